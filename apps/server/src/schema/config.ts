import type { Config } from '@automl-stream/config';
import { builder } from '../builder.ts';
import { pipelineArg, pipelineOf, scoped } from './pipeline-arg.ts';

interface PublicConfig {
  config: Config;
  nFeatures: number | null;
}

/** What a client may know of the configuration (no URLs, keys or limits that help an attacker). */
const PlatformConfigRef = builder.objectRef<PublicConfig>('PlatformConfig').implement({
  fields: (t) => ({
    nFeatures: t.int({
      nullable: true,
      description: 'Features per row, fixed by N_FEATURES or the first batch.',
      resolve: (c) => c.nFeatures,
    }),
    maxBatchRows: t.int({ resolve: (c) => c.config.data.maxBatchRows }),
    nEstimators: t.int({ resolve: (c) => c.config.model.nEstimators }),
    maxDepth: t.int({ resolve: (c) => c.config.model.maxDepth }),
    maxFeatures: t.string({ resolve: (c) => String(c.config.model.maxFeatures) }),
    driftPValue: t.float({ resolve: (c) => c.config.drift.pValue }),
    psiThreshold: t.float({ resolve: (c) => c.config.drift.psiThreshold }),
    driftShare: t.float({ resolve: (c) => c.config.drift.driftShare }),
    windowSize: t.int({ resolve: (c) => c.config.drift.windowSize }),
    checkIntervalSeconds: t.int({ resolve: (c) => c.config.drift.checkIntervalSeconds }),
    cooldownRows: t.int({ resolve: (c) => c.config.drift.cooldownRows }),
    trainWindow: t.int({ resolve: (c) => c.config.retrain.trainWindow }),
    minTrainRows: t.int({ resolve: (c) => c.config.retrain.minTrainRows }),
    holdoutFraction: t.float({ resolve: (c) => c.config.retrain.holdoutFraction }),
    promotionTolerance: t.float({ resolve: (c) => c.config.retrain.promotionTolerance }),
    authEnabled: t.boolean({ resolve: (c) => c.config.auth.enabled }),
  }),
});

builder.queryField('config', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: PlatformConfigRef,
    description: 'The settings in force for the pipeline (the environment’s, with its overrides).',
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const { config, data } = await pipelineOf(ctx, args);
      return { config, nFeatures: await data.featureCount() };
    },
  }),
);
