import {
  AccuracySeriesDocument,
  ActiveModelDocument,
  ConfigDocument,
  type ConfigQuery,
  CreatePipelineDocument,
  type NodeClient,
  toApiError,
} from '@automl-stream/sdk/node.ts';
import type { StreamName, SyntheticStream } from '@automl-stream/streams';
import { CliError } from '../errors.ts';

/** Rows of the old concept the first model should score before the drift (see `holdAt`). */
const PRE_DRIFT_ROWS = 500;

export interface Preflight {
  /** The version serving now (null before the first model). */
  servingVersion: number | null;
  /** Row where the stream holds until a model serves. */
  holdAt: number;
  /** Scored rows the platform already had: the accuracy series counts from there. */
  scoredOffset: number;
}

/**
 * Checks that the platform can take the stream (its feature count, a first model before the
 * drift) and reads where things start. Refuses with a message that says what to change.
 */
export async function preflight(
  client: NodeClient,
  stream: SyntheticStream,
  options: { stream: StreamName; driftAt: number; pipeline?: string | undefined },
): Promise<Preflight> {
  const { pipeline } = options;
  const config = await pipelineConfig(client, pipeline);
  if (config.nFeatures !== null && config.nFeatures !== stream.nFeatures) {
    throw new CliError(
      `this platform takes ${config.nFeatures} features per row and the ${options.stream} stream has ${stream.nFeatures}: ` +
        'run the demo against an empty platform (`automl-stream demo` without --url starts one)',
    );
  }
  const active = await client.request(ActiveModelDocument, { pipeline });
  const servingVersion = active.activeModel?.version ?? null;
  if (servingVersion === null && config.minTrainRows >= options.driftAt) {
    throw new CliError(
      `the platform trains its first model after MIN_TRAIN_ROWS = ${config.minTrainRows} labelled rows: pass a --drift-at beyond that, so a model serves before the stream changes`,
    );
  }
  const before = await client.request(AccuracySeriesDocument, {
    pipeline,
    bucketSize: 100_000,
    limit: 1,
  });
  return {
    servingVersion,
    holdAt: holdAt(options.driftAt, config.minTrainRows),
    scoredOffset: before.accuracySeries[0]?.position ?? 0,
  };
}

/**
 * The pipeline's configuration; a pipeline that does not exist yet is created first (its
 * subscriptions need it), which takes an admin key.
 */
async function pipelineConfig(
  client: NodeClient,
  pipeline: string | undefined,
): Promise<ConfigQuery['config']> {
  try {
    return (await client.request(ConfigDocument, { pipeline })).config;
  } catch (error) {
    const api = toApiError(error);
    if (api.code !== 'NOT_FOUND' || pipeline === undefined) throw api;
  }
  try {
    await client.request(CreatePipelineDocument, { input: { name: pipeline } });
  } catch (error) {
    const api = toApiError(error);
    if (api.code !== 'FORBIDDEN' && api.code !== 'CONFLICT') throw api;
    if (api.code === 'FORBIDDEN') {
      throw new CliError(
        `there is no pipeline "${pipeline}" and this key may not create one: \`automl-stream pipelines create ${pipeline}\` with an admin key first`,
      );
    }
  }
  return (await client.request(ConfigDocument, { pipeline })).config;
}

/**
 * Where the stream holds until a model serves: the model that meets the drift must have scored
 * some rows of the old concept first (up to 500), or its error stream shows no change.
 */
export function holdAt(driftAt: number, minTrainRows: number): number {
  return Math.min(
    driftAt,
    Math.max(minTrainRows, driftAt - Math.min(PRE_DRIFT_ROWS, Math.floor(driftAt / 2))),
  );
}
