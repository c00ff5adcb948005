import { availableParallelism } from 'node:os';
import { encodeForest } from './artifact.ts';
import { ForestInputError } from './errors.ts';
import {
  addQuantizedWalk,
  compileLayout,
  type InferenceLayout,
  predictOneRow,
  predictRows,
  walkGeneral,
} from './inference.ts';
import { randomBelow, treeRngState } from './kernel.ts';
import { checkRow, copyFiniteRows, type FeatureRows, type RowMajorMatrix, toRowMajor } from './matrix.ts';
import { categoryCount, type ForestModel, featureTypesOf, leafDistribution } from './model.ts';
import type { FeatureType, ForestParams } from './options.ts';
import { predictionPool, SHARED_CHUNK_ROWS } from './prediction-pool.ts';
import { TurnBudget, WORK_PER_TURN } from './turns.ts';

export type { ForestModel } from './model.ts';

/**
 * Input and output buffers of synchronous batches, kept between calls (shared memory, so the
 * prediction workers read and write them): a fresh buffer of megabytes costs its page faults on
 * first touch, about 4 ms for the 1.6 MB of a 20,000 × 10 batch on this kind of virtual machine.
 * Safe to reuse because a batch ends before its call returns: no worker writes into the output
 * after the calling thread has finished its chunks, and the callers copy the output out at once.
 * Batches beyond SCRATCH_LIMIT values (8 MB) get buffers of their own.
 */
const SCRATCH_LIMIT = 1 << 20;
const scratch = {
  inputBuffer: new Float64Array(new SharedArrayBuffer(0)),
  outputBuffer: new Float64Array(new SharedArrayBuffer(0)),
  input(length: number): Float64Array {
    if (length > SCRATCH_LIMIT) return new Float64Array(new SharedArrayBuffer(8 * length));
    if (this.inputBuffer.length < length)
      this.inputBuffer = new Float64Array(new SharedArrayBuffer(8 * length));
    return this.inputBuffer.subarray(0, length);
  },
  output(length: number): Float64Array {
    if (length > SCRATCH_LIMIT) return new Float64Array(new SharedArrayBuffer(8 * length));
    if (this.outputBuffer.length < length)
      this.outputBuffer = new Float64Array(new SharedArrayBuffer(8 * length));
    return this.outputBuffer.subarray(0, length).fill(0);
  },
};

/** Up to this many number[] rows, predictProba walks each row in place instead of copying. */
const SMALL_BATCH_ROWS = 8;
/**
 * From this many node visits (rows × trees, about a millisecond of work) a synchronous batch is
 * shared with the prediction workers, with at most this many threads in all.
 */
const SHARED_BATCH_WORK = 200_000;
const SHARED_BATCH_THREADS = 4;

/**
 * A tree as nested nodes, for inspection and as the reference for the compiled walk.
 * - `split` (numeric): a present value goes left when `row[feature] <= threshold`; a missing
 *   one (NaN) goes left when `missingLeft`.
 * - `categorical`: code c goes left when it is in `leftCategories`, right when it is in
 *   `rightCategories` (together: the codes 0..C-1 of the feature's C training categories);
 *   anything else (NaN, a code never seen in training, negative, fractional) goes left when
 *   `missingLeft`. Categories never seen at this node in training follow `missingLeft` too.
 */
export type DecisionTreeNode =
  | {
      kind: 'split';
      feature: number;
      threshold: number;
      missingLeft: boolean;
      left: DecisionTreeNode;
      right: DecisionTreeNode;
    }
  | {
      kind: 'categorical';
      feature: number;
      leftCategories: number[];
      rightCategories: number[];
      missingLeft: boolean;
      left: DecisionTreeNode;
      right: DecisionTreeNode;
    }
  | { kind: 'leaf'; classProbabilities: number[] };

/** Whether `row` goes left at a split node (see {@link DecisionTreeNode}). */
function goesLeft(node: Exclude<DecisionTreeNode, { kind: 'leaf' }>, row: ArrayLike<number>): boolean {
  const x = row[node.feature]!;
  if (node.kind === 'split') return Number.isNaN(x) ? node.missingLeft : x <= node.threshold;
  if (node.leftCategories.includes(x)) return true;
  return node.rightCategories.includes(x) ? false : node.missingLeft;
}

/** Class probabilities of the leaf `row` reaches in `tree`. */
export function walkTree(tree: DecisionTreeNode, row: ArrayLike<number>): number[] {
  let node = tree;
  while (node.kind !== 'leaf') node = goesLeft(node, row) ? node.left : node.right;
  return node.classProbabilities;
}

/**
 * 1 when `row` is an array of exactly `nFeatures` numbers, some NaN; 0 when all are finite;
 * -1 when it is anything else (then the general path throws the right error).
 */
function rowStatus(row: ArrayLike<number> | null | undefined, nFeatures: number): number {
  if (!Array.isArray(row) && !ArrayBuffer.isView(row)) return -1;
  if (row.length !== nFeatures) return -1;
  let status = 0;
  for (let c = 0; c < nFeatures; c++) {
    const v = row[c];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      if (Number.isNaN(v)) status = 1;
      else return -1;
    }
  }
  return status;
}

/** Index of the largest value; ties go to the lowest index (numpy's argmax). */
function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  let bestValue = values[offset]!;
  for (let k = 1; k < length; k++) {
    const v = values[offset + k]!;
    if (v > bestValue) {
      bestValue = v;
      best = k;
    }
  }
  return best;
}

/** Rows walked through a tree between two turns of the event loop in the `InTurns` methods (about 10 ms). */
export const ROWS_PER_TURN = WORK_PER_TURN;

/**
 * A trained random forest classifier. `predictProba` is the mean of the trees' leaf class
 * distributions (summed in tree order, then divided by the tree count, as scikit-learn does);
 * `predict` is its argmax. Every prediction path gives bit-identical results, equal to walking
 * {@link Forest.toTrees}.
 */

export class Forest {
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly nTrees: number;
  /** The hyperparameters actually used, defaults filled in. */
  readonly params: Readonly<ForestParams>;
  /** Impurity-based (mean decrease in impurity) importance of each feature, summing to 1. */
  readonly featureImportances: readonly number[];
  /** How each feature was read in training (all 'numeric' for a format-1 artifact). */
  readonly featureTypes: readonly FeatureType[];
  readonly #model: ForestModel;
  readonly #layout: InferenceLayout;
  #quantizeTried = false;

  /**
   * Use {@link trainForest} or {@link loadForest}; this wraps an already-validated model.
   * @param options.allowPacking false forces the unpacked inference path (tests use it)
   */
  constructor(model: ForestModel, options: { allowPacking?: boolean } = {}) {
    this.#model = model;
    // The quantized walk is added on the first batch: training and single-row serving skip it.
    this.#layout = compileLayout(model, options.allowPacking ?? true, false);
    this.nFeatures = model.nFeatures;
    this.nClasses = model.nClasses;
    this.nTrees = model.treeNodeCount.length;
    this.params = Object.freeze({ ...model.params });
    this.featureImportances = Object.freeze(Array.from(model.featureImportances));
    this.featureTypes = Object.freeze(featureTypesOf(model));
  }

  /** Number of split nodes and leaves over all trees. */
  get nodeCounts(): { splits: number; leaves: number } {
    const leaves = this.#model.leafClassWeights.length / this.nClasses;
    return { splits: this.#model.nodeFeature.length - leaves, leaves };
  }

  /**
   * Class probabilities of every row as one flat row-major Float64Array (`nRows × nClasses`):
   * the fast batch path.
   */
  predictProbaFlat(rows: FeatureRows): Float64Array {
    return this.#predictFlat(rows).slice(); // an ordinary array of the caller's own
  }

  /**
   * The batch path of every synchronous prediction. A large batch is shared with the prediction
   * workers (see PredictionPool.predictShared): the calling thread computes too and waits for
   * their last chunks, so the call stays synchronous and bit-identical. The result is the scratch
   * output (shared memory) that the next call overwrites: the caller copies it out at once.
   */
  #predictFlat(rows: FeatureRows): Float64Array {
    this.#batchLayout();
    const count = rows instanceof Float64Array ? rows.length / this.nFeatures : rows.length;
    const helpers = Math.min(availableParallelism(), SHARED_BATCH_THREADS) - 1;
    const shared = helpers > 0 && count >= 2 * SHARED_CHUNK_ROWS && count * this.nTrees >= SHARED_BATCH_WORK;
    const { data, nRows, hasMissing } = this.#input(rows, count, shared);
    const K = this.nClasses;
    const out = scratch.output(nRows * K);
    if (!shared) predictRows(this.#layout, data, 0, nRows, out, hasMissing);
    else predictionPool.predictShared(this.#layout, data, nRows, out, helpers, hasMissing);
    return out;
  }

  /** The layout with the quantized walk, added once, before any worker is sent the layout. */
  #batchLayout(): void {
    if (this.#quantizeTried) return;
    this.#quantizeTried = true;
    addQuantizedWalk(this.#layout);
  }

  /**
   * The rows as one row-major Float64Array, checked. Usual number[][] batches are copied
   * straight into the reused scratch input; a batch for the workers lives in shared memory.
   */
  #input(rows: FeatureRows, count: number, shared: boolean): RowMajorMatrix & { hasMissing: boolean } {
    const F = this.nFeatures;
    if (Array.isArray(rows) && count >= 2 * SHARED_CHUNK_ROWS) {
      const data = scratch.input(count * F);
      if (copyFiniteRows(rows, F, data)) return { data, nRows: count, nFeatures: F, hasMissing: false };
    }
    const matrix = toRowMajor(rows, F, 'rows');
    let data = matrix.data;
    if (shared && !(data.buffer instanceof SharedArrayBuffer)) {
      data = scratch.input(data.length);
      data.set(matrix.data);
    }
    return { data, nRows: matrix.nRows, nFeatures: F, hasMissing: matrix.hasMissing ?? false };
  }

  /**
   * As {@link Forest.predictProbaFlat}, with the rows split over `threads` worker threads (for
   * large batches: scoring a hold-out set, backfills). The workers are shared by all forests
   * and stay warm between calls; the calling thread stays free. Small batches, where starting
   * the work costs more than it saves, run on the calling thread. Results are bit-identical to
   * predictProbaFlat.
   * @param options.threads @default os.availableParallelism()
   */
  async predictProbaParallel(rows: FeatureRows, options: { threads?: number } = {}): Promise<Float64Array> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
      throw new ForestInputError(`options.threads must be an integer in 1..1024, got ${String(threads)}`);
    }
    const { data, nRows, hasMissing = false } = toRowMajor(rows, this.nFeatures, 'rows');
    this.#batchLayout();
    // Below about a millisecond of work the round trip to the workers is not worth it.
    if (threads === 1 || nRows * this.nTrees < 200_000) {
      const out = new Float64Array(nRows * this.nClasses);
      predictRows(this.#layout, data, 0, nRows, out, hasMissing);
      return out;
    }
    const sharedData = new Float64Array(new SharedArrayBuffer(data.byteLength));
    sharedData.set(data);
    const sharedOut = new Float64Array(new SharedArrayBuffer(8 * nRows * this.nClasses));
    await predictionPool.predict(this.#layout, sharedData, nRows, sharedOut, threads, hasMissing);
    return sharedOut.slice(); // an ordinary (non-shared) array for the caller
  }

  /** Class probabilities per row (`nRows` arrays of `nClasses`). */
  predictProba(rows: FeatureRows): number[][] {
    // Small batches of number[] rows (the serving path, often a single row) skip the flat copy:
    // each row is checked and walked in place, with the same sums as the flat path.
    if (Array.isArray(rows) && rows.length <= SMALL_BATCH_ROWS) {
      const result: number[][] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r] as ArrayLike<number>;
        const status = rowStatus(row, this.nFeatures);
        // A bad row takes the general path, which throws the same error as for any batch.
        if (status < 0) return this.#predictProbaViaFlat(rows);
        const sums = new Array<number>(this.nClasses).fill(0);
        predictOneRow(this.#layout, row, sums, status === 1);
        result[r] = sums;
      }
      return result;
    }
    return this.#predictProbaViaFlat(rows);
  }

  #predictProbaViaFlat(rows: FeatureRows): number[][] {
    const flat = this.#predictFlat(rows);
    const K = this.nClasses;
    const result: number[][] = new Array(flat.length / K);
    // Array literals for the usual class counts allocate in one step (about 2× faster).
    if (K === 2) {
      for (let r = 0; r < result.length; r++) result[r] = [flat[2 * r]!, flat[2 * r + 1]!];
      return result;
    }
    if (K === 3) {
      for (let r = 0; r < result.length; r++) result[r] = [flat[3 * r]!, flat[3 * r + 1]!, flat[3 * r + 2]!];
      return result;
    }
    for (let r = 0; r < result.length; r++) {
      const row = new Array<number>(K);
      for (let k = 0; k < K; k++) row[k] = flat[r * K + k]!;
      result[r] = row;
    }
    return result;
  }

  /**
   * Out-of-bag class probabilities of the rows the forest was trained on, as scikit-learn's
   * `oob_decision_function_`: per row, the mean leaf distribution of the trees whose bootstrap
   * sample left that row out, an honest (held-out) prediction for every training row. The
   * bootstrap draws are replayed from (seed, tree index), so `rows` must be exactly the training
   * rows, in training order. `votes[r]` counts the trees that left row r out; rows that every tree
   * drew (about e^-nTrees of them) have NaN probabilities and 0 votes.
   * @throws ForestInputError without bootstrap (no row is ever out of bag)
   */
  outOfBagProba(rows: FeatureRows): { proba: Float64Array; votes: Int32Array } {
    const run = this.#outOfBag(rows);
    for (let t = 0; t < this.nTrees; t++) run.tree(t);
    return run.finish();
  }

  /**
   * {@link outOfBagProba}, the same numbers, giving the event loop a turn after every
   * {@link ROWS_PER_TURN} rows walked (12,000 rows through 100 trees take about 170 ms, and the
   * caller may be the thread that answers predictions). Throws the signal's reason when it is
   * aborted meanwhile.
   */
  async outOfBagProbaInTurns(
    rows: FeatureRows,
    signal?: AbortSignal,
  ): Promise<{ proba: Float64Array; votes: Int32Array }> {
    const run = this.#outOfBag(rows);
    const turns = new TurnBudget(signal, ROWS_PER_TURN);
    for (let t = 0; t < this.nTrees; t++) {
      await turns.before(run.nRows);
      run.tree(t);
    }
    return run.finish();
  }

  /** The out-of-bag sums, one tree at a time, then their means. */
  #outOfBag(rows: FeatureRows) {
    if (!this.params.bootstrap) {
      throw new ForestInputError('out-of-bag predictions need a forest trained with bootstrap: true');
    }
    const { data, nRows } = toRowMajor(rows, this.nFeatures, 'rows');
    const K = this.nClasses;
    const F = this.nFeatures;
    const layout = this.#layout;
    const { treeRoot, treeDepth, leafOffset, leafProba } = layout;
    const seed = this.params.seed;
    const proba = new Float64Array(nRows * K);
    const votes = new Int32Array(nRows);
    const drawn = new Uint8Array(nRows);
    const tree = (t: number): void => {
      // The same draws growTree made first from this tree's stream.
      const rng = treeRngState(seed, t);
      drawn.fill(0);
      for (let i = 0; i < nRows; i++) drawn[randomBelow(rng, nRows)] = 1;
      const root = treeRoot[t]!;
      const depth = treeDepth[t]!;
      for (let r = 0; r < nRows; r++) {
        if (drawn[r]) continue;
        const l = leafOffset[walkGeneral(layout, data, r * F, root, depth)]!;
        for (let k = 0; k < K; k++) proba[r * K + k] = proba[r * K + k]! + leafProba[l + k]!;
        votes[r]!++;
      }
    };
    const finish = () => {
      for (let r = 0; r < nRows; r++) {
        const v = votes[r]!;
        for (let k = 0; k < K; k++) proba[r * K + k] = v > 0 ? proba[r * K + k]! / v : Number.NaN;
      }
      return { proba, votes };
    };
    return { nRows, tree, finish };
  }

  /** Most probable class per row (ties go to the lower class index). */
  predict(rows: FeatureRows): number[] {
    const flat = this.#predictFlat(rows);
    const K = this.nClasses;
    const result: number[] = new Array(flat.length / K);
    for (let r = 0; r < result.length; r++) result[r] = argmax(flat, r * K, K);
    return result;
  }

  /**
   * Class probabilities of one row: the low-latency serving path (no per-call allocation but
   * the result).
   */
  predictProbaOne(row: ArrayLike<number>): number[] {
    const hasMissing = checkRow(row, this.nFeatures);
    const sums = new Array<number>(this.nClasses).fill(0);
    predictOneRow(this.#layout, row, sums, hasMissing);
    return sums;
  }

  /** Most probable class of one row. */
  predictOne(row: ArrayLike<number>): number {
    const proba = this.predictProbaOne(row);
    return argmax(proba, 0, proba.length);
  }

  /**
   * Number of values of categorical features that are not a category seen in training: codes
   * never seen, negative, fractional or too large (such a value takes each split's missing
   * direction). Missing values (NaN) are not counted. 0 for a forest without categorical
   * features.
   */
  countUnseenCategories(rows: FeatureRows): number {
    const { data, nRows } = toRowMajor(rows, this.nFeatures, 'rows');
    const { featureCategorical, categorySeen } = this.#model;
    const F = this.nFeatures;
    let unseen = 0;
    for (let f = 0; f < F; f++) {
      if (featureCategorical[f] === 0) continue;
      for (let r = 0; r < nRows; r++) {
        const x = data[r * F + f]!;
        if (Number.isNaN(x)) continue;
        const known =
          Number.isInteger(x) && x >= 0 && x < 255 && (categorySeen[8 * f + (x >>> 5)]! >>> (x & 31)) & 1;
        if (!known) unseen++;
      }
    }
    return unseen;
  }

  /** The trees as nested nodes, built from the model (not from the inference layout). */
  toTrees(): DecisionTreeNode[] {
    const m = this.#model;
    const trees: DecisionTreeNode[] = [];
    let base = 0;
    let leaf = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const count = m.treeNodeCount[t]!;
      // Leaves are numbered in node order, so number them before building recursively.
      const leafIndex = new Int32Array(count);
      for (let i = 0; i < count; i++) leafIndex[i] = m.nodeFeature[base + i]! < 0 ? leaf++ : -1;
      trees.push(buildNode(m, base, leafIndex, 0));
      base += count;
    }
    return trees;
  }

  /**
   * The model artifact: a compact little-endian binary (magic, format version, header, packed
   * arrays) that {@link loadForest} turns back into a forest with identical predictions.
   */
  serialize(): Uint8Array {
    return encodeForest(this.#model);
  }
}

/** Node `i` of the tree starting at model node `base`, with its subtree. */
function buildNode(m: ForestModel, base: number, leafIndex: Int32Array, i: number): DecisionTreeNode {
  const node = base + i;
  const f = m.nodeFeature[node]!;
  if (f < 0) {
    const classProbabilities = new Array<number>(m.nClasses);
    leafDistribution(m, leafIndex[i]!, classProbabilities, 0);
    return { kind: 'leaf', classProbabilities };
  }
  const l = m.nodeLeft[node]!;
  const left = buildNode(m, base, leafIndex, l);
  const right = buildNode(m, base, leafIndex, l + 1);
  const missingLeft = m.nodeMissingLeft[node] === 1;
  const slot = m.nodeCategorySlot[node]!;
  if (slot < 0)
    return { kind: 'split', feature: f, threshold: m.nodeThreshold[node]!, missingLeft, left, right };
  const leftCategories: number[] = [];
  const rightCategories: number[] = [];
  for (let c = 0; c < categoryCount(m, f); c++) {
    if ((m.categoryBits[8 * slot + (c >>> 5)]! >>> (c & 31)) & 1) leftCategories.push(c);
    else rightCategories.push(c);
  }
  return { kind: 'categorical', feature: f, leftCategories, rightCategories, missingLeft, left, right };
}
