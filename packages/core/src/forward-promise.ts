/**
 * The platform's side of policy/forward-promise.ts: after a retrain's forest is fitted, a smaller
 * forest of the same settings learns the window's older rows and scores its newest, beside the
 * fitted forest's out-of-bag predictions of them. When the rows are serially dependent (a recorded
 * stream) the forward error is what the version promises, so its level test does not alarm at
 * the first check on an error the version always had. The benchmark's trainer calls the same.
 */
import { labelShares } from '@automl-stream/drift';
import { type FeatureType, type TrainForestOptions, trainForest } from '@automl-stream/ml';
import {
  compareForward,
  type ForwardEvidence,
  type ForwardOptions,
  forwardHoldout,
  forwardSlices,
} from './policy/forward-promise.ts';
import type { ModelVersionRecord } from './storage/models-storage.ts';

const FORWARD_TREES = 30;

export interface ForwardInput {
  /** The rows the forest learned, in serve order, as it read them. */
  features: readonly (readonly number[])[];
  labels: readonly number[];
  /** The fitted forest's out-of-bag class of each of those rows. */
  outOfBag: ArrayLike<number>;
  nClasses: number;
  featureTypes: readonly FeatureType[];
  /** The fitted forest's settings (its trees capped at 30). */
  forest: TrainForestOptions & { nEstimators: number };
  signal?: AbortSignal;
  options?: ForwardOptions;
}

/** The forward check (null when the window is too small to split). */
export async function forwardEvidence(input: ForwardInput): Promise<ForwardEvidence | null> {
  const slices = forwardSlices(input.labels.length, input.options);
  if (!slices) return null;
  const { train, scored } = slices;
  const trainY = input.labels.slice(train.start, train.end);
  // A forward slice of one class teaches nothing to compare: keep the out-of-bag promise.
  if (new Set(trainY).size < 2) return null;
  const forest = await trainForest(
    input.features.slice(train.start, train.end) as number[][],
    trainY as number[],
    {
      ...input.forest,
      // A comparison, not the model: 30 trees, as the features-left-out check fits.
      nEstimators: Math.min(FORWARD_TREES, input.forest.nEstimators),
      nClasses: input.nClasses,
      featureTypes: input.featureTypes,
      ...(input.signal ? { signal: input.signal } : {}),
    },
  );
  const scoredX = input.features.slice(scored.start, scored.end) as number[][];
  const forward = forest.predict(scoredX);
  return compareForward(
    input.labels.slice(scored.start, scored.end),
    forward,
    Array.from(input.outOfBag).slice(scored.start, scored.end),
    train.end - train.start,
    input.options,
    // The class shares the scored rows' runs are judged at: the window's (the rows checked).
    labelShares(input.labels.slice(train.start, scored.end)),
  );
}

/** What the version records of it (model_versions.params.forward). */
export type ForwardRecord = Omit<ForwardEvidence, 'classes'> & { classes?: ForwardEvidence['classes'] };

/**
 * What a version promises its level test: its hold-out (rows, errors, per class), or, when its
 * forward check found its rows serially dependent (`params.forward.used`), the forward error,
 * counted as the independent rows it is worth (`rows`: the rows scored, when fewer are counted).
 */
export function promisedHoldout(version: Pick<ModelVersionRecord, 'holdoutRows' | 'metrics' | 'params'>): {
  n: number;
  errors: number;
  classes?: { label: number; n: number; errors: number }[];
  forward: boolean;
  rows?: number;
} {
  const forward = version.params.forward as ForwardRecord | undefined;
  if (forward?.used && forward.n > 0) return { ...forwardHoldout(forward), forward: true };
  const n = version.holdoutRows;
  const classes = version.metrics.classes as { label: number; n: number; errors: number }[] | undefined;
  return {
    n,
    errors: Math.round((1 - version.metrics.accuracy) * n),
    ...(Array.isArray(classes) ? { classes } : {}),
    forward: false,
  };
}
