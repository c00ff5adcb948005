import type { z } from 'zod';
import { type Config, ConfigError, environmentSchema, parseMaxFeatures } from './environment.ts';
import { policySettingProblems } from './policy-settings.ts';

type Setter = (config: Config, value: never) => void;

/**
 * The settings a pipeline may override, by their environment names (the environment gives the
 * defaults). Each is parsed by the environment's own rule for that name.
 */
const SETTERS = {
  WINDOW_SIZE: (c: Config, v: number) => {
    c.drift.windowSize = v;
  },
  DRIFT_P_VALUE: (c: Config, v: number) => {
    c.drift.pValue = v;
  },
  PSI_THRESHOLD: (c: Config, v: number) => {
    c.drift.psiThreshold = v;
  },
  DRIFT_SHARE: (c: Config, v: number) => {
    c.drift.driftShare = v;
  },
  CHECK_INTERVAL_SECONDS: (c: Config, v: number) => {
    c.drift.checkIntervalSeconds = v;
  },
  DRIFT_COOLDOWN_ROWS: (c: Config, v: number) => {
    c.drift.cooldownRows = v;
  },
  REFERENCE_SAMPLE_SIZE: (c: Config, v: number) => {
    c.drift.referenceSampleSize = v;
  },
  TRAIN_WINDOW: (c: Config, v: number) => {
    c.retrain.trainWindow = v;
  },
  MIN_TRAIN_ROWS: (c: Config, v: number) => {
    c.retrain.minTrainRows = v;
  },
  HOLDOUT_FRACTION: (c: Config, v: number) => {
    c.retrain.holdoutFraction = v;
  },
  PROMOTION_GATE: (c: Config, v: 'out-of-bag' | 'holdout') => {
    c.retrain.gate = v;
  },
  FEATURE_TRANSFER: (c: Config, v: boolean) => {
    c.retrain.featureTransfer = v;
  },
  FORWARD_PROMISE: (c: Config, v: boolean) => {
    c.retrain.forwardPromise = v;
  },
  BURST_AWARE: (c: Config, v: boolean) => {
    c.drift.burstAware = v;
  },
  PROMOTION_TOLERANCE: (c: Config, v: number) => {
    c.retrain.promotionTolerance = v;
  },
  RETRAIN_WAIT_SECONDS: (c: Config, v: number) => {
    c.retrain.waitSeconds = v;
  },
  RETRAIN_MIN_INTERVAL_SECONDS: (c: Config, v: number) => {
    c.retrain.minIntervalSeconds = v;
  },
  MAX_PROMOTIONS_PER_HOUR: (c: Config, v: number) => {
    c.retrain.maxPromotionsPerHour = v;
  },
  AUTOML_BUDGET_SECONDS: (c: Config, v: number) => {
    c.retrain.automlBudgetSeconds = v;
  },
  GROWTH_RETRAIN_ROWS: (c: Config, v: number) => {
    c.retrain.growthRows = v;
  },
  N_ESTIMATORS: (c: Config, v: number) => {
    c.model.nEstimators = v;
  },
  MAX_DEPTH: (c: Config, v: number) => {
    c.model.maxDepth = v;
  },
  MIN_SAMPLES_LEAF: (c: Config, v: number) => {
    c.model.minSamplesLeaf = v;
  },
  MAX_FEATURES: (c: Config, v: string) => {
    const problems: string[] = [];
    c.model.maxFeatures = parseMaxFeatures(v, problems);
    if (problems.length > 0) throw new ConfigError(problems);
  },
  MAX_CATEGORIES: (c: Config, v: number) => {
    c.data.maxCategories = v;
  },
} satisfies Record<string, Setter>;

export type PipelineSettingName = keyof typeof SETTERS;

/** The names a pipeline's configuration may set, in a stable order. */
export const PIPELINE_SETTINGS = Object.keys(SETTERS).sort() as PipelineSettingName[];

export type PipelineSettings = Partial<Record<PipelineSettingName, string | number>>;

/**
 * Checks a pipeline's configuration overrides and returns them normalised (numbers as numbers);
 * throws ConfigError listing every problem (unknown names, values out of range, MIN_TRAIN_ROWS
 * above TRAIN_WINDOW once applied to `base`, the policy's P8 problems of the result: those that
 * switch the loop off, and in production also those that weaken it).
 */
export function parsePipelineSettings(raw: Record<string, unknown>, base: Config): PipelineSettings {
  const problems: string[] = [];
  const out: PipelineSettings = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in SETTERS)) {
      problems.push(`${name}: not a pipeline setting (one of ${PIPELINE_SETTINGS.join(', ')})`);
      continue;
    }
    if (typeof value !== 'number' && typeof value !== 'string') {
      problems.push(`${name}: must be a number or a string (got ${JSON.stringify(value)})`);
      continue;
    }
    const rule = environmentSchema.shape[name as PipelineSettingName] as z.ZodType;
    const parsed = rule.safeParse(String(value));
    if (!parsed.success) problems.push(`${name}: ${parsed.error.issues[0]?.message} (got "${value}")`);
    else out[name as PipelineSettingName] = parsed.data as string | number;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const applied = applyPipelineSettings(base, out);
  if (applied.retrain.minTrainRows > applied.retrain.trainWindow) {
    throw new ConfigError([
      `MIN_TRAIN_ROWS (${applied.retrain.minTrainRows}) must not exceed TRAIN_WINDOW (${applied.retrain.trainWindow})`,
    ]);
  }
  const policy = policySettingProblems(
    {
      WINDOW_SIZE: applied.drift.windowSize,
      MIN_TRAIN_ROWS: applied.retrain.minTrainRows,
      RETRAIN_WAIT_SECONDS: applied.retrain.waitSeconds,
      RETRAIN_EXPIRE_SECONDS: applied.retrain.expireSeconds,
      DRIFT_SHARE: applied.drift.driftShare,
      PSI_THRESHOLD: applied.drift.psiThreshold,
    },
    base.env === 'production',
  );
  if (policy.refused.length > 0) throw new ConfigError(policy.refused);
  return out;
}

/** `base` with a pipeline's (already parsed) overrides applied; `base` is not changed. */
export function applyPipelineSettings(base: Config, settings: PipelineSettings): Config {
  const config = structuredClone(base);
  for (const [name, value] of Object.entries(settings)) {
    (SETTERS[name as PipelineSettingName] as Setter)(config, value as never);
  }
  // Like the environment: one shift, one retrain; the cooldown follows the window unless set.
  if (settings.WINDOW_SIZE !== undefined && settings.DRIFT_COOLDOWN_ROWS === undefined) {
    config.drift.cooldownRows = Number(settings.WINDOW_SIZE);
  }
  return config;
}
