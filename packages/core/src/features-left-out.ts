/**
 * The platform's side of policy/feature-transfer.ts: a drift retrain after a located change
 * leaves out the features that moved across the change and whose use made a model of the rows
 * before it predict the rows after it clearly worse, provided that leaving them out is not
 * clearly worse on the window's own rows (out of bag). The regime's growth keeps them out. The
 * forest trains on the rows with those columns constant, so it never splits on them: the
 * artifact, the serving path and the reference are unchanged.
 */
import { type FeatureType, type Forest, trainForest } from '@automl-stream/ml';
import {
  pairedZ,
  type TransferRows,
  type TransferStep,
  transferMask,
  withoutFeatures,
} from './policy/feature-transfer.ts';
import { padTo } from './schema/category-caps.ts';

/** What a version records of the features it left out (model_versions.params.leftOut). */
export interface LeftOut {
  /** Column indices left out, in the order they were dropped. */
  features: number[];
  /** Their names in the pipeline's schema, when it was recorded (absent in what the benchmark keeps). */
  names?: string[];
  /** Transfer accuracy with every feature: a model of the rows before the change, scored on the window. */
  baseline: number;
  /** The same with `features` left out. */
  accuracy: number;
  /** Rows before the change the transfer learned. */
  pastRows: number;
  steps: TransferStep[];
  /** Inherited from the regime's first version (growth), not measured again. */
  inherited?: boolean;
}

export interface LeftOutInput {
  /** The newest labelled rows before the change, as the model reads them (caps applied). */
  past: TransferRows;
  /** The window's training rows, as the model reads them. */
  window: TransferRows;
  nClasses: number;
  featureTypes: readonly FeatureType[];
  forest: { nEstimators: number; maxDepth: number; minSamplesLeaf: number; seed: number; threads?: number };
}

const TRANSFER_TREES = 30;

function fitter(input: LeftOutInput) {
  const { forest, nClasses, featureTypes } = input;
  return (rows: TransferRows): Promise<Forest> =>
    trainForest(rows.features as number[][], rows.labels as number[], {
      // The comparisons, not the model: 30 trees (the spec's common setup) tell them apart while
      // the failing version serves, at a third of the default forest's time.
      nEstimators: Math.min(TRANSFER_TREES, forest.nEstimators),
      maxDepth: forest.maxDepth,
      minSamplesLeaf: forest.minSamplesLeaf,
      seed: forest.seed,
      nClasses,
      featureTypes,
      ...(forest.threads ? { threads: forest.threads } : {}),
    });
}

/** Which window rows a forest of the window (with `dropped` left out) gets right out of bag. */
async function outOfBagRight(input: LeftOutInput, dropped: readonly number[]): Promise<Uint8Array> {
  const features = withoutFeatures(input.window.features, dropped);
  const forest = await fitter(input)({ features, labels: input.window.labels });
  const { proba, votes } = await forest.outOfBagProbaInTurns(features);
  const k = input.nClasses;
  return Uint8Array.from(input.window.labels, (y, r) => {
    if (votes[r] === 0) return 0;
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[r * k + c]! > proba[r * k + best]!) best = c;
    return best === y ? 1 : 0;
  });
}

/**
 * The past as the window's forest reads it: rows stored before a column was added are shorter
 * (missing there), and a class that vanished at the change still counts among the past's.
 */
function comparable(input: LeftOutInput): LeftOutInput {
  const width = input.window.features[0]?.length ?? 0;
  const features = padTo(input.past.features as number[][], width);
  let nClasses = input.nClasses;
  for (const y of input.past.labels) if (y >= nClasses) nClasses = y + 1;
  return { ...input, past: { features, labels: input.past.labels }, nClasses };
}

/** Rows the past and the window each need for the check to say anything. */
export const MIN_TRANSFER_ROWS = 50;

/**
 * Rows of the past and of the window the check reads at most: the newest of each, next to the
 * change on the past's side. Its eight or so forests of the past cost time in proportion to
 * them while the failing version serves (on the platform, a sweep of 64 features spent 2.1 s on
 * 3,200 rows, 2.5 times the fit it came before; `pnpm bench:transfer`). 1,500 rows leave McNemar's
 * z ample discordant pairs, and no figure of `pnpm bench:loop` moved (1,000 moved T8's).
 */
export const MAX_TRANSFER_ROWS = 1500;

const newest = (rows: TransferRows, n: number): TransferRows =>
  rows.labels.length <= n ? rows : { features: rows.features.slice(-n), labels: rows.labels.slice(-n) };

/**
 * The features to leave out, or null when none (no moved feature, or no clear gain). It reads the
 * newest `maxRows` of the past and of the window (Infinity: all, the benchmark's reference).
 */
export async function featuresToLeaveOut(
  given: LeftOutInput,
  maxRows = MAX_TRANSFER_ROWS,
): Promise<LeftOut | null> {
  if (given.past.labels.length < MIN_TRANSFER_ROWS || given.window.labels.length < MIN_TRANSFER_ROWS)
    return null;
  const input = comparable({
    ...given,
    past: newest(given.past, maxRows),
    window: newest(given.window, maxRows),
  });
  const categorical = input.featureTypes.map((t) => t === 'categorical');
  const result = await transferMask(input.past, input.window, fitter(input), { categorical });
  if (result.dropped.length === 0) return null;
  const z = pairedZ(await outOfBagRight(input, []), await outOfBagRight(input, result.dropped));
  if (z <= -2) return null;
  return {
    features: result.dropped,
    baseline: result.baseline,
    accuracy: result.accuracy,
    pastRows: input.past.labels.length,
    steps: result.steps,
  };
}

/** How a training job and the logs tell it: "left out temp: …". */
export function describeLeftOut(leftOut: LeftOut): string {
  const list = leftOut.features.map((j, k) => leftOut.names?.[k] ?? `feature ${j}`).join(', ');
  if (leftOut.inherited) return `left out ${list}, as the serving version did`;
  return `left out ${list}: they moved across the change, and a model of the ${leftOut.pastRows} rows before it predicted the window at ${(100 * leftOut.accuracy).toFixed(1)} % without them, ${(100 * leftOut.baseline).toFixed(1)} % with them`;
}
