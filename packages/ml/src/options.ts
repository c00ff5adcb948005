import { availableParallelism } from 'node:os';
import { ForestInputError } from './errors.ts';

/**
 * Features examined at each split: `'sqrt'` → floor(√F), `'log2'` → floor(log2 F), `'all'` → F,
 * an integer ≥ 1 → that many (at most F), a fraction in (0, 1) → floor(fraction × F); never fewer
 * than 1. As in scikit-learn, constant features do not count towards this number.
 */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

/**
 * How a column's values are read. `'numeric'`: ordered values, split by thresholds.
 * `'categorical'`: integer category codes 0..C-1 (C <= 255), split by subsets of categories.
 * In both, NaN means "missing".
 */
export type FeatureType = 'numeric' | 'categorical';

/** Hyperparameters and run-time settings of {@link trainForest}. */
export interface TrainForestOptions {
  /**
   * Number of trees.
   * @default 100
   */
  nEstimators?: number;
  /**
   * Maximum depth of a tree (the root is depth 0, so depth d allows up to 2^d leaves);
   * `null` or `Infinity` grow until leaves are pure or too small to split.
   * @default 10
   */
  maxDepth?: number | null;
  /**
   * Minimum number of distinct training samples in a leaf.
   * @default 1
   */
  minSamplesLeaf?: number;
  /**
   * Minimum number of distinct training samples a node needs to be split.
   * @default 2
   */
  minSamplesSplit?: number;
  /**
   * Features drawn at random for each split, see {@link MaxFeatures}.
   * @default 'sqrt'
   */
  maxFeatures?: MaxFeatures;
  /**
   * Train each tree on a bootstrap sample (n draws with replacement); otherwise on all rows.
   * @default true
   */
  bootstrap?: boolean;
  /**
   * Seed of the random streams (bootstrap draws and feature choice), an integer in 0..2^32-1.
   * Each tree derives its stream from (seed, tree index), so the same seed, data and options give
   * the same forest, byte for byte, whatever `threads` is.
   * @default 42
   */
  seed?: number;
  /**
   * Number of worker threads that grow trees in parallel (never more than `nEstimators`).
   * Training always runs off the calling thread, so its event loop stays free.
   * @default os.availableParallelism()
   */
  threads?: number;
  /**
   * Nice value of the worker threads that grow the trees, 0 (normal) to 19 (lowest). A training
   * at nice 10 takes only the CPU the rest of the process and the machine leave it: a long
   * search no longer slows the thread that serves predictions and runs drift checks. Linux sets
   * it per thread; elsewhere it is ignored. Workers are pooled per nice value (a thread cannot
   * take back a priority it gave up without privileges).
   * @default 0
   */
  nice?: number;
  /**
   * Number of histogram bins per feature, 2..256. A feature with at most `nBins` distinct values
   * gets one bin per value, so its candidate splits are exactly scikit-learn's; otherwise bin
   * edges are quantiles of the training values. 255 is LightGBM's and HistGradientBoosting's
   * default; the benchmark shows accuracy stays within 0.5 points of scikit-learn's exact splits.
   * @default 255
   */
  nBins?: number;
  /**
   * `'balanced'` weighs each sample by n / (K × n_k), with n_k the rows of its class and K the
   * classes present (scikit-learn's `class_weight='balanced'`, computed once on all rows); the
   * weights enter the impurity, the split choice and the leaf probabilities. `null`: all 1.
   * @default null
   */
  classWeight?: 'balanced' | null;
  /**
   * Number of classes K, when some classes may be absent from this training sample (their
   * probability is then 0). Without it the labels must be exactly 0..K-1 with every class present.
   * @default 1 + the largest label
   */
  nClasses?: number;
  /**
   * Type of each feature, one entry per column. A categorical column holds integer category codes
   * 0..C-1 with C <= 255 (NaN = missing); map high-cardinality columns to their most frequent
   * categories plus "other" first. Booleans are numeric 0/1.
   * @default every feature 'numeric'
   */
  featureTypes?: readonly FeatureType[];
  /**
   * Number of features per row; required when `features` is a flat row-major Float64Array.
   * @default features[0].length for number[][]
   */
  nFeatures?: number;
  /** Called on the calling thread each time a tree finishes (treesDone = 1..total). */
  onProgress?: (treesDone: number, total: number) => void;
  /** Aborting stops the workers and rejects the training promise with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The hyperparameters a forest was actually trained with (defaults filled in). Stored in the
 * artifact; run-time settings (threads, callbacks) are not, as they do not change the model.
 */
export interface ForestParams {
  nEstimators: number;
  /** `null` means unlimited. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  maxFeatures: MaxFeatures;
  /** `maxFeatures` resolved against the feature count. */
  maxFeaturesCount: number;
  bootstrap: boolean;
  seed: number;
  nBins: number;
  /** The `classWeight` option; absent in artifacts written before it existed (= null). */
  classWeight?: 'balanced' | null;
  /** Per class, the weight multiplying each sample of that class; null when all are 1. */
  classWeights?: number[] | null;
}

export const DEFAULT_SEED = 42;

function positiveInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
    throw new ForestInputError(`options.${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}

export function resolveMaxFeatures(maxFeatures: MaxFeatures, nFeatures: number): number {
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (maxFeatures === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (maxFeatures === 'all') return nFeatures;
  if (typeof maxFeatures === 'number' && Number.isFinite(maxFeatures) && maxFeatures > 0) {
    if (Number.isInteger(maxFeatures)) return Math.min(maxFeatures, nFeatures);
    if (maxFeatures < 1) return Math.max(1, Math.floor(maxFeatures * nFeatures));
  }
  throw new ForestInputError(
    `options.maxFeatures must be 'sqrt', 'log2', 'all', an integer >= 1 or a fraction in (0, 1), got ${String(maxFeatures)}`,
  );
}

/** Fills in defaults and checks every hyperparameter; throws ForestInputError naming the option. */
export function resolveParams(options: TrainForestOptions, nFeatures: number): ForestParams {
  const nEstimators = positiveInteger('nEstimators', options.nEstimators ?? 100, 1, 1_000_000);
  const rawDepth = options.maxDepth === undefined ? 10 : options.maxDepth;
  const maxDepth =
    rawDepth === null || rawDepth === Number.POSITIVE_INFINITY
      ? null
      : positiveInteger('maxDepth', rawDepth, 1, 1000);
  const minSamplesLeaf = positiveInteger('minSamplesLeaf', options.minSamplesLeaf ?? 1, 1);
  const minSamplesSplit = positiveInteger('minSamplesSplit', options.minSamplesSplit ?? 2, 2);
  const maxFeatures = options.maxFeatures ?? 'sqrt';
  const maxFeaturesCount = resolveMaxFeatures(maxFeatures, nFeatures);
  const bootstrap = options.bootstrap ?? true;
  if (typeof bootstrap !== 'boolean') {
    throw new ForestInputError(`options.bootstrap must be true or false, got ${String(bootstrap)}`);
  }
  const seed = positiveInteger('seed', options.seed ?? DEFAULT_SEED, 0, 0xffffffff);
  const nBins = positiveInteger('nBins', options.nBins ?? 255, 2, 256);
  const classWeight = options.classWeight ?? null;
  if (classWeight !== null && classWeight !== 'balanced') {
    throw new ForestInputError(`options.classWeight must be 'balanced' or null, got ${String(classWeight)}`);
  }
  return {
    nEstimators,
    maxDepth,
    minSamplesLeaf,
    minSamplesSplit,
    maxFeatures,
    maxFeaturesCount,
    bootstrap,
    seed,
    nBins,
    classWeight,
    classWeights: null,
  };
}

/**
 * scikit-learn's balanced class weights: n / (K × n_k) for each class present (K counts only the
 * classes present); a declared class absent from the sample gets 1 (it has no rows to weigh).
 */
export function balancedClassWeights(labels: Int32Array, nClasses: number): number[] {
  const counts = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 1));
}

/**
 * Checks `options.featureTypes` against the feature count; returns one flag per feature,
 * 1 for categorical.
 */
export function resolveFeatureTypes(featureTypes: unknown, nFeatures: number): Uint8Array {
  const categorical = new Uint8Array(nFeatures);
  if (featureTypes === undefined) return categorical;
  if (!Array.isArray(featureTypes) || featureTypes.length !== nFeatures) {
    const got = Array.isArray(featureTypes) ? `${featureTypes.length} entries` : String(featureTypes);
    throw new ForestInputError(
      `options.featureTypes must have one entry per feature (${nFeatures}), 'numeric' or 'categorical'; got ${got}`,
    );
  }
  featureTypes.forEach((type: unknown, f) => {
    if (type !== 'numeric' && type !== 'categorical') {
      throw new ForestInputError(
        `options.featureTypes[${f}] must be 'numeric' or 'categorical', got ${JSON.stringify(type)}`,
      );
    }
    categorical[f] = type === 'categorical' ? 1 : 0;
  });
  return categorical;
}

/** The nice value of a training's worker threads, 0..19 (see TrainForestOptions.nice). */
export function resolveNice(nice: number | undefined): number {
  return nice === undefined ? 0 : positiveInteger('nice', nice, 0, 19);
}

export function resolveThreads(threads: number | undefined, nEstimators: number): number {
  const wanted = positiveInteger('threads', threads ?? availableParallelism(), 1, 1024);
  return Math.min(wanted, nEstimators);
}
