import { Worker } from 'node:worker_threads';
import { type BinnedFeatures, binFeaturesInTurns } from './binning.ts';
import { ForestInputError } from './errors.ts';
import { Forest } from './forest.ts';
import {
  type GrownTree,
  KERNEL_FUNCTIONS,
  type KernelInput,
  type TrainingReply,
  type TrainingRequest,
} from './kernel.ts';
import {
  checkCategoricalCodes,
  checkLabels,
  type FeatureRows,
  type RowMajorMatrix,
  toRowMajor,
} from './matrix.ts';
import type { ForestModel } from './model.ts';
import {
  balancedClassWeights,
  type ForestParams,
  resolveFeatureTypes,
  resolveNice,
  resolveParams,
  resolveThreads,
  type TrainForestOptions,
} from './options.ts';

/**
 * JavaScript source of a tree-growing worker: the kernel functions' own text (types already
 * stripped by tsx or vite) plus a two-line entry point (workerData is unused: a worker serves
 * many training jobs, each sent with its input). `__name` is the helper esbuild inserts
 * when it keeps function names (tsx does); outside a bundle it must be provided.
 */
export function workerSource(): string {
  return [
    "'use strict';",
    'const __name = (target) => target;',
    ...KERNEL_FUNCTIONS.map((fn) => fn.toString()),
    lowerThreadPriority.toString(),
    "const { parentPort, workerData } = require('node:worker_threads');",
    'lowerThreadPriority(workerData?.nice ?? 0);',
    'serveTrees(parentPort);',
  ].join('\n');
}

/**
 * Gives the calling thread the nice value `nice` (runs inside a training worker). Linux keeps a
 * nice value per thread and setpriority() on a thread id sets only that thread's; the id is
 * read from /proc/thread-self. Where that is not available (another OS, a sandbox that refuses
 * it) the thread keeps its priority: the training is the same, only less polite.
 */
function lowerThreadPriority(nice: number): void {
  if (!nice) return;
  try {
    const fs = require('node:fs');
    const os = require('node:os');
    const tid = Number(String(fs.readlinkSync('/proc/thread-self')).split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: the thread keeps the process's priority
  }
}

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
  const nice = resolveNice(options.nice);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ForestInputError('options.onProgress must be a function (treesDone, total) => void');
  }
  options.signal?.throwIfAborted();

  if (params.classWeight === 'balanced') {
    params.classWeights = balancedClassWeights(checked.labels, checked.nClasses);
  }
  // The workers start (or wake, warm, from an earlier training) while the features are binned.
  const workers = trainingPool.acquire(threads, nice);
  try {
    const binned = await binFeaturesInTurns(matrix, params.nBins, categorical, options.signal);
    const input = kernelInput(matrix, binned, checked, params);
    const trees = await growTreesInWorkers(input, params.nEstimators, { workers, nice }, options);
    return new Forest(assembleModel(trees, binned, params, matrix.nFeatures, checked.nClasses));
  } catch (error) {
    // A worker may still be growing a tree of this job: it is not handed to the next one.
    trainingPool.discard(workers);
    throw error;
  }
}

/** The kernel's view of a training job, its arrays in shared memory. */
function kernelInput(
  matrix: RowMajorMatrix,
  binned: BinnedFeatures,
  checked: { labels: Int32Array | readonly number[]; nClasses: number },
  params: ForestParams,
): KernelInput {
  const classWeight = new Float64Array(new SharedArrayBuffer(8 * checked.nClasses)).fill(1);
  if (params.classWeights) classWeight.set(params.classWeights);
  const labels = new Int32Array(new SharedArrayBuffer(4 * matrix.nRows));
  labels.set(checked.labels);
  return {
    bins: binned.bins,
    labels,
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
}

/** How long idle training workers are kept for the next training, in milliseconds. */
const IDLE_WORKER_MS = 60_000;

/**
 * Tree-growing worker threads kept between trainings: starting a worker and compiling the kernel
 * in it (V8 optimises the split search only after a few trees) cost about 0.1 to 0.3 s per
 * training otherwise. A training takes `threads` idle workers (starting more when there are not
 * enough, so concurrent trainings never share one) and gives them back when it succeeds; after a
 * failure or an abort they are stopped. Idle workers are unref'd (they never keep the process
 * alive) and stopped after IDLE_WORKER_MS without a training.
 */
class TrainingPool {
  /** Idle workers by nice value. */
  #idle = new Map<number, Worker[]>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  acquire(count: number, nice: number): Worker[] {
    clearTimeout(this.#timer);
    const workers = this.#idleAt(nice).splice(0, count);
    while (workers.length < count) workers.push(this.#start(nice));
    for (const worker of workers) worker.ref();
    return workers;
  }

  release(workers: readonly Worker[], nice: number): void {
    for (const worker of workers) {
      worker.unref();
      this.#idleAt(nice).push(worker);
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      for (const idle of this.#idle.values()) this.discard(idle.splice(0));
    }, IDLE_WORKER_MS);
    this.#timer.unref();
  }

  discard(workers: readonly Worker[]): void {
    for (const worker of workers) void worker.terminate();
  }

  #idleAt(nice: number): Worker[] {
    let idle = this.#idle.get(nice);
    if (!idle) this.#idle.set(nice, (idle = []));
    return idle;
  }

  #start(nice: number): Worker {
    // execArgv: [] keeps the parent's loaders (tsx, vitest) out of the worker: it runs plain JS.
    const worker = new Worker(workerSource(), { eval: true, execArgv: [], workerData: { nice } });
    worker.on('exit', () => {
      const idle = this.#idleAt(nice);
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
    });
    worker.on('error', () => {}); // reported to the training that uses it, see growTreesInWorkers
    return worker;
  }
}

const trainingPool = new TrainingPool();

/**
 * Runs a job on the workers: they take tree indices from a shared counter (see TrainingRequest)
 * and the trees are collected by index, so the result does not depend on which worker grew
 * what. Rejects on a worker error, an exception from onProgress, or an abort (the counter is
 * closed so no new tree starts, and the caller stops the workers); on success the workers go
 * back to the pool.
 */
function growTreesInWorkers(
  input: KernelInput,
  nTrees: number,
  { workers, nice }: { workers: readonly Worker[]; nice: number },
  options: TrainForestOptions,
): Promise<GrownTree[]> {
  const trees: GrownTree[] = new Array(nTrees);
  const next = new Int32Array(new SharedArrayBuffer(4));
  return new Promise((resolve, reject) => {
    let done = 0;
    let settled = false;
    const detach: (() => void)[] = [];
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      Atomics.store(next, 0, nTrees);
      for (const off of detach) off();
      options.signal?.removeEventListener('abort', onAbort);
      if (error === undefined) {
        trainingPool.release(workers, nice);
        resolve(trees);
      } else {
        reject(error);
      }
    };
    const onAbort = (): void => finish(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onMessage = (reply: TrainingReply): void => {
      if (settled) return;
      if ('error' in reply) {
        finish(new Error(`forest training worker failed: ${reply.error}`));
        return;
      }
      trees[reply.treeIndex] = reply;
      done++;
      try {
        options.onProgress?.(done, nTrees);
      } catch (error) {
        finish(error);
        return;
      }
      if (done === nTrees) finish();
    };
    const onError = (error: Error): void =>
      finish(new Error(`forest training worker failed: ${error.message}`, { cause: error }));
    const onExit = (code: number): void =>
      finish(new Error(`forest training worker exited with code ${code}`));
    for (const worker of workers) {
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      detach.push(() => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      });
      worker.postMessage({ kind: 'job', input, next, nTrees } satisfies TrainingRequest);
    }
  });
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
