import { type BinnedFeatures, binFeatures } from './binning.ts';
import { ForestInputError } from './errors.ts';
import { Forest } from './forest.ts';
import type { GrownTree, KernelInput } from './kernel.ts';
import { checkCategoricalCodes, checkLabels, type FeatureRows, toRowMajor } from './matrix.ts';
import type { ForestModel } from './model.ts';
import {
  balancedClassWeights,
  type ForestParams,
  resolveFeatureTypes,
  resolveParams,
  resolveThreads,
  type TrainForestOptions,
} from './options.ts';
import { trainingPool } from './training-pool.ts';

/**
 * Trains a random forest classifier: CART trees on Gini impurity, each on a bootstrap sample,
 * each split choosing among `maxFeatures` random features (scikit-learn's RandomForestClassifier
 * semantics), grown in parallel on `options.threads` worker threads.
 *
 * Missing values (NaN) are handled at every split: where a node has rows missing the split
 * feature, both sides are tried for them and the better kept; otherwise they go to the heavier
 * child. Categorical features (`options.featureTypes`) split on subsets of their categories.
 *
 * @param features one row per sample: `number[][]`, or a row-major Float64Array with
 *   `options.nFeatures` set. Every value must be finite or NaN (missing); categorical columns
 *   hold integer codes 0..254.
 * @param labels class of each row, integers 0..K-1.
 * @throws ForestInputError for empty, ragged or infinite features, bad category codes, bad
 *   labels or options.
 */
export async function trainForest(
  features: FeatureRows,
  labels: readonly number[] | Int32Array,
  options: TrainForestOptions = {},
): Promise<Forest> {
  const matrix = toRowMajor(features, options.nFeatures, 'features');
  if (matrix.nRows < 2) {
    throw new ForestInputError(`features has ${matrix.nRows} rows; training needs at least 2 labelled rows`);
  }
  if (matrix.nFeatures < 1) {
    throw new ForestInputError('features rows are empty; every row needs at least one feature');
  }
  const checked = checkLabels(labels, matrix.nRows, options.nClasses);
  const params = resolveParams(options, matrix.nFeatures);
  const categorical = resolveFeatureTypes(options.featureTypes, matrix.nFeatures);
  checkCategoricalCodes(matrix, categorical);
  const threads = resolveThreads(options.threads, params.nEstimators);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ForestInputError('options.onProgress must be a function (treesDone, total) => void');
  }
  options.signal?.throwIfAborted();

  if (params.classWeight === 'balanced') {
    params.classWeights = balancedClassWeights(checked.labels, checked.nClasses);
  }
  const classWeight = new Float64Array(new SharedArrayBuffer(8 * checked.nClasses)).fill(1);
  if (params.classWeights) classWeight.set(params.classWeights);
  const binned = binFeatures(matrix, params.nBins, categorical);
  const sharedLabels = new Int32Array(new SharedArrayBuffer(4 * matrix.nRows));
  sharedLabels.set(checked.labels);
  const input: KernelInput = {
    bins: binned.bins,
    labels: sharedLabels,
    binCounts: binned.binCounts,
    nSamples: matrix.nRows,
    nFeatures: matrix.nFeatures,
    nClasses: checked.nClasses,
    maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
    minSamplesLeaf: params.minSamplesLeaf,
    minSamplesSplit: params.minSamplesSplit,
    maxFeatures: params.maxFeaturesCount,
    bootstrap: params.bootstrap,
    classWeight,
    seed: params.seed,
    hasMissing: binned.hasMissing,
    categorical: binned.categorical,
  };
  const trees = await trainingPool.grow(input, params.nEstimators, threads, options);
  return new Forest(assembleModel(trees, binned, params, matrix.nFeatures, checked.nClasses));
}

/**
 * Concatenates the kernel's trees into the canonical {@link ForestModel}: bin thresholds become
 * the float cut points (+∞ past the last edge), categorical bin sets are gathered into one pool,
 * leaves keep their integer class weights, and feature importances follow scikit-learn.
 */
export function assembleModel(
  trees: readonly GrownTree[],
  binned: Pick<BinnedFeatures, 'edges' | 'categorical' | 'categorySeen'>,
  params: ForestParams,
  nFeatures: number,
  nClasses: number,
): ForestModel {
  let nNodes = 0;
  let nLeaves = 0;
  let nCategorical = 0;
  for (const tree of trees) {
    nNodes += tree.nodeCount;
    nCategorical += tree.categoryBits.length / 8;
    for (let i = 0; i < tree.nodeCount; i++) if (tree.feature[i]! < 0) nLeaves++;
  }
  const model: ForestModel = {
    nFeatures,
    nClasses,
    params,
    featureImportances: featureImportances(trees, nFeatures),
    treeNodeCount: Int32Array.from(trees, (tree) => tree.nodeCount),
    nodeFeature: new Int32Array(nNodes),
    nodeThreshold: new Float64Array(nNodes),
    nodeLeft: new Int32Array(nNodes),
    nodeMissingLeft: new Uint8Array(nNodes),
    nodeCategorySlot: new Int32Array(nNodes).fill(-1),
    categoryBits: new Uint32Array(8 * nCategorical),
    featureCategorical: Uint8Array.from(binned.categorical),
    categorySeen: Uint32Array.from(binned.categorySeen),
    leafClassWeights: new Uint32Array(nLeaves * nClasses),
  };
  const at = { node: 0, leaf: 0, slot: 0 };
  for (const tree of trees) copyTree(model, tree, binned.edges, at);
  return model;
}

/** Appends one grown tree's nodes to `model` at the positions in `at` (advanced past them). */
function copyTree(
  model: ForestModel,
  tree: GrownTree,
  edges: readonly Float64Array[],
  at: { node: number; leaf: number; slot: number },
): void {
  const K = model.nClasses;
  const classWeights = model.params.classWeights ?? null;
  for (let i = 0; i < tree.nodeCount; i++) {
    const node = at.node + i;
    const f = tree.feature[i]!;
    model.nodeFeature[node] = f;
    if (f < 0) {
      model.nodeLeft[node] = -1;
      // The kernel's leaf weights include the class weights; the model keeps the integer
      // bootstrap counts (exact in the artifact) and applies params.classWeights at compile time.
      for (let k = 0; k < K; k++) {
        const w = tree.classWeights[i * K + k]!;
        model.leafClassWeights[at.leaf * K + k] = classWeights ? Math.round(w / classWeights[k]!) : w;
      }
      at.leaf++;
      continue;
    }
    model.nodeLeft[node] = tree.leftChild[i]!;
    model.nodeMissingLeft[node] = tree.missingLeft[i]!;
    const bin = tree.thresholdBin[i]!;
    if (model.featureCategorical[f] === 1) {
      model.categoryBits.set(tree.categoryBits.subarray(8 * bin, 8 * bin + 8), 8 * at.slot);
      model.nodeCategorySlot[node] = at.slot++;
    } else {
      model.nodeThreshold[node] = bin < edges[f]!.length ? edges[f]![bin]! : Number.POSITIVE_INFINITY;
    }
  }
  at.node += tree.nodeCount;
}

/**
 * scikit-learn's impurity importances: per tree, impurity decrease / root weight, normalised to
 * sum 1; then the mean over the trees that split, normalised again.
 */
function featureImportances(trees: readonly GrownTree[], nFeatures: number): Float64Array {
  const importanceSum = new Float64Array(nFeatures);
  for (const tree of trees) {
    let treeSum = 0;
    for (let f = 0; f < nFeatures; f++) treeSum += tree.impurityDecrease[f]! / tree.rootWeight;
    if (tree.nodeCount > 1 && treeSum > 0) {
      for (let f = 0; f < nFeatures; f++)
        importanceSum[f] = importanceSum[f]! + tree.impurityDecrease[f]! / tree.rootWeight / treeSum;
    }
  }
  const result = new Float64Array(nFeatures);
  let total = 0;
  for (let f = 0; f < nFeatures; f++) total += importanceSum[f]!;
  if (total > 0) for (let f = 0; f < nFeatures; f++) result[f] = importanceSum[f]! / total;
  return result;
}
