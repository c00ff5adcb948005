/**
 * Compiled inference: the forest as flat arrays and the loops that walk them.
 *
 * The walking functions also run in prediction worker threads (see prediction-pool.ts), which
 * start from their source text like the training kernel does, so the same rules apply: no
 * imports, no module-level constants, each function self-contained apart from the others listed
 * in `INFERENCE_FUNCTIONS`. The layout's arrays live in SharedArrayBuffers so workers read them
 * without a copy.
 */
import { type ForestModel, leafDistribution } from './model.ts';

/**
 * The inference layout. Every tree is walked for exactly its depth: a leaf has threshold +∞ and
 * is its own left child, so a row that reached it stays there, and the walk needs no per-step
 * "is this a leaf?" branch, which the CPU could not predict. A step is
 * `node = left(node) + (row[feature(node)] > threshold(node))`, free of branches: the fast path,
 * taken when the rows have no missing value and the forest no categorical split. Otherwise the
 * general walk ({@link walkGeneral}) also reads each node's missing direction and category set.
 */
export interface InferenceLayout {
  nFeatures: number;
  nClasses: number;
  /** Global index of each tree's root. */
  treeRoot: Int32Array;
  /** Steps from each tree's root to its deepest leaf. */
  treeDepth: Int32Array;
  /**
   * Per tree: the steps the quantized walk takes in lockstep for a group of rows, at most
   * `treeDepth` (see {@link lockstepDepth}); a row not in a leaf by then finishes alone.
   */
  treeLockstep: Int32Array;
  /** Per node: threshold, +∞ for leaves. */
  threshold: Float64Array;
  /**
   * Per node: `left << featureBits | feature` (leaves: `self << featureBits`), so a step loads
   * one int and one float; null when the forest has too many nodes to pack into 31 bits (only
   * with millions of nodes over thousands of features), then `left`/`feature` are used.
   */
  packed: Int32Array | null;
  featureBits: number;
  /** Per node: global index of the left child (the right one is next); leaves: themselves. */
  left: Int32Array;
  /** Per node: the feature compared (leaves: 0). */
  feature: Int32Array;
  /** Per node: offset of its class probabilities in `leafProba` (leaves only). */
  leafOffset: Int32Array;
  /** Per leaf: class probabilities (class weights / their sum), `nClasses` each. */
  leafProba: Float64Array;
  /** Per node: 1 when a missing value goes right (leaves: 0, so a row stays in its leaf). */
  missingRight: Uint8Array;
  /**
   * Per node: offset in `categoryBits` of a categorical split's 8-word bit set, else -1; null when
   * the forest has no categorical split.
   */
  categoryOffset: Int32Array | null;
  /** 8 words per categorical split: bit c of word c >> 5 set when code c goes left; bit 255 = missing. */
  categoryBits: Int32Array;
  /** Turns values into the codes the quantized walk compares (see {@link Quantizer}). */
  quantizer: Quantizer;
  /**
   * The quantized walk's nodes (see {@link accumulateQuantized}), one word each:
   * `feature << 24 | left << 8 | (255 - cut index)`, with `left` counted from the tree's root,
   * so `((word & 0xffffff) + code) >> 8` is `left + (code > cut)`; a leaf is `self << 8` (no code
   * exceeds 255, so a row stays in it). Fixed fields keep every shift and mask a constant. Null
   * when the forest has a categorical split, more than 256 features, a feature with more than 255
   * distinct thresholds (trained forests have at most 255: thresholds are bin edges) or a tree of
   * more than 65,536 nodes.
   */
  quantized: Int32Array | null;
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * length));
}

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * length));
}

/**
 * What a step of a row walking alone costs against a step of a group walking in lockstep (6: the
 * fastest of 1.5, 3, 4, 6 and 10 on bench:api's unlimited-depth forest, see bench/README.md).
 */
const ALONE_STEP_COST = 6;

/**
 * The lockstep depth of a tree whose leaves lie at `depths` and hold `weights` of the training
 * rows: the depth D that minimises the expected steps, D for every row plus, for a row whose leaf
 * is deeper, its remaining steps taken alone (dearer: one row's walk is a chain of dependent
 * loads and a branch). A balanced tree gets its full depth; a deep, lopsided one (unlimited
 * depth, where most rows stop far above the deepest leaf) much less.
 */
function lockstepDepth(depths: readonly number[], weights: readonly number[], maxDepth: number): number {
  let total = 0;
  for (const w of weights) total += w;
  let best = maxDepth;
  let bestCost = maxDepth * total;
  for (let d = 0; d < maxDepth; d++) {
    let cost = d * total;
    for (let i = 0; i < depths.length; i++) {
      if (depths[i]! > d) cost += ALONE_STEP_COST * weights[i]! * (depths[i]! - d);
    }
    if (cost < bestCost) {
      bestCost = cost;
      best = d;
    }
  }
  return best;
}

/**
 * Builds the inference layout; `allowPacking: false` forces the unpacked path (for tests).
 * `quantize: false` leaves the quantized walk out, for {@link addQuantizedWalk} to add later.
 */
export function compileLayout(model: ForestModel, allowPacking = true, quantize = true): InferenceLayout {
  const K = model.nClasses;
  const nTrees = model.treeNodeCount.length;
  const nNodes = model.nodeFeature.length;
  const treeRoot = sharedInt32(nTrees);
  const treeDepth = sharedInt32(nTrees);
  const treeLockstep = sharedInt32(nTrees);
  const threshold = sharedFloat64(nNodes);
  const left = sharedInt32(nNodes);
  const feature = sharedInt32(nNodes);
  const leafOffset = sharedInt32(nNodes);
  const leafProba = sharedFloat64(model.leafClassWeights.length);
  const missingRight = new Uint8Array(new SharedArrayBuffer(nNodes));
  const categoryBits = sharedInt32(model.categoryBits.length);
  categoryBits.set(model.categoryBits);
  const categoryOffset = model.categoryBits.length > 0 ? sharedInt32(nNodes).fill(-1) : null;
  const depth = new Int32Array(nNodes);
  let base = 0;
  let leaf = 0;
  for (let t = 0; t < nTrees; t++) {
    treeRoot[t] = base;
    const count = model.treeNodeCount[t]!;
    let maxDepth = 0;
    const leafDepths: number[] = [];
    const leafWeights: number[] = [];
    for (let i = base; i < base + count; i++) {
      // Parents precede children, so depth[i] is final when node i is reached.
      if (depth[i]! > maxDepth) maxDepth = depth[i]!;
      const f = model.nodeFeature[i]!;
      if (f >= 0) {
        const l = base + model.nodeLeft[i]!;
        threshold[i] = model.nodeThreshold[i]!;
        left[i] = l;
        feature[i] = f;
        missingRight[i] = 1 - model.nodeMissingLeft[i]!;
        if (categoryOffset !== null && model.nodeCategorySlot[i]! >= 0) {
          categoryOffset[i] = 8 * model.nodeCategorySlot[i]!;
        }
        depth[l] = depth[i]! + 1;
        depth[l + 1] = depth[i]! + 1;
      } else {
        threshold[i] = Number.POSITIVE_INFINITY;
        left[i] = i;
        leafOffset[i] = leaf * K;
        leafDistribution(model, leaf, leafProba, leaf * K);
        let weight = 0;
        for (let k = 0; k < K; k++) weight += model.leafClassWeights[leaf * K + k]!;
        leafDepths.push(depth[i]!);
        leafWeights.push(weight);
        leaf++;
      }
    }
    treeDepth[t] = maxDepth;
    treeLockstep[t] = lockstepDepth(leafDepths, leafWeights, maxDepth);
    base += count;
  }
  const featureBits = Math.max(1, Math.ceil(Math.log2(model.nFeatures)));
  let packed: Int32Array | null = null;
  if (allowPacking && nNodes <= 2 ** (31 - featureBits)) {
    packed = sharedInt32(nNodes);
    for (let i = 0; i < nNodes; i++) packed[i] = (left[i]! << featureBits) | feature[i]!;
  }
  const { quantizer, quantized } = quantizeLayout(
    model.nFeatures,
    treeRoot,
    threshold,
    left,
    feature,
    quantize && allowPacking && categoryOffset === null,
  );
  return {
    quantizer,
    quantized,
    nFeatures: model.nFeatures,
    nClasses: K,
    treeRoot,
    treeDepth,
    treeLockstep,
    threshold,
    packed,
    featureBits,
    left,
    feature,
    leafOffset,
    leafProba,
    missingRight,
    categoryOffset,
    categoryBits,
  };
}

/**
 * The cut points of every feature and the quantized node words (see {@link InferenceLayout}).
 * `quantized` is null when `allowed` is false or the forest does not fit the encoding.
 */
function quantizeLayout(
  F: number,
  treeRoot: Int32Array,
  threshold: Float64Array,
  left: Int32Array,
  feature: Int32Array,
  allowed: boolean,
): { quantizer: Quantizer; quantized: Int32Array | null } {
  if (!allowed)
    return {
      quantizer: buildQuantizer(Array.from({ length: F }, () => new Float64Array(0))),
      quantized: null,
    };
  const nNodes = threshold.length;
  const perFeature: number[][] = Array.from({ length: F }, () => []);
  for (let i = 0; i < nNodes; i++) if (left[i] !== i) perFeature[feature[i]!]!.push(threshold[i]!);
  // Set equality treats -0 and +0 as one value, as the comparisons do.
  const sorted = perFeature.map((values) => Float64Array.from(new Set(values)).sort());
  const nTrees = treeRoot.length;
  let largestTree = 0;
  for (let t = 0; t < nTrees; t++) {
    const end = t + 1 < nTrees ? treeRoot[t + 1]! : nNodes;
    largestTree = Math.max(largestTree, end - treeRoot[t]!);
  }
  const fits = F <= 256 && sorted.every((values) => values.length <= 255) && largestTree <= 65_536;
  // A forest that does not fit gets the quantizer of no cuts at all (never used).
  const quantizer = buildQuantizer(fits ? sorted : sorted.map(() => new Float64Array(0)));
  if (!fits) return { quantizer, quantized: null };
  const cutIndex = sorted.map((values) => new Map(Array.from(values, (v, j) => [v, j])));
  const quantized = new Int32Array(new SharedArrayBuffer(4 * nNodes));
  for (let t = 0, i = 0; t < nTrees; t++) {
    const root = treeRoot[t]!;
    const end = t + 1 < nTrees ? treeRoot[t + 1]! : nNodes;
    for (; i < end; i++) {
      const f = feature[i]!;
      if (left[i] === i) {
        quantized[i] = (i - root) << 8;
      } else {
        const cut = cutIndex[f]!.get(threshold[i]!)!;
        quantized[i] = (f << 24) | ((left[i]! - root) << 8) | (255 - cut);
      }
    }
  }
  return { quantizer, quantized };
}

/**
 * Adds the quantized walk to a layout compiled without it (a no-op once added, or when the
 * forest does not fit it). Call it before the layout is first sent to a worker: a worker keeps
 * the copy it was sent.
 */
export function addQuantizedWalk(layout: InferenceLayout): void {
  if (layout.quantized !== null || layout.packed === null || layout.categoryOffset !== null) return;
  const { treeRoot, threshold, left, feature } = layout;
  const { quantizer, quantized } = quantizeLayout(layout.nFeatures, treeRoot, threshold, left, feature, true);
  layout.quantizer = quantizer;
  layout.quantized = quantized;
}

/**
 * How values become codes: per feature f, its m distinct split thresholds ("cuts") ascending, and
 * a value x's code is the number of cuts below x, so `x > cut j` exactly when `code > j`. To find
 * it without a binary search, x first falls in one of B equal buckets spanning the cuts,
 * `bucket(x) = trunc(clamp((x - low) * scale, 0, B - 1))`, a non-decreasing function of x: a cut
 * in a lower bucket is below x, one in a higher bucket is above it. So the code is the count of
 * cuts in lower buckets (`table`) plus those of x's own bucket below x, found by comparing x with
 * `steps` cuts from there (at most `steps` cuts share a bucket; +∞ pads the end).
 */
export interface Quantizer {
  /** Per feature: its cuts, then `steps` times +∞, from `cutStart[f]`. */
  cuts: Float64Array;
  cutStart: Int32Array;
  /** Per feature: from `tableStart[f]`, `buckets[f]` counts of the cuts in lower buckets. */
  table: Uint8Array;
  tableStart: Int32Array;
  buckets: Int32Array;
  low: Float64Array;
  scale: Float64Array;
  steps: Int32Array;
}

function largest(values: Int32Array): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

/** The bucket of x (see {@link Quantizer}). */
function bucketOf(x: number, low: number, scale: number, buckets: number): number {
  return Math.min(Math.max((x - low) * scale, 0), buckets - 1) | 0;
}

/**
 * The quantizer of features with these sorted distinct cuts (at most 255 each). Buckets double
 * from 2m until no more than two cuts share one (or 64m buckets).
 */
function buildQuantizer(sorted: Float64Array[]): Quantizer {
  const F = sorted.length;
  const shared = (bytes: number) => new SharedArrayBuffer(bytes);
  const buckets = new Int32Array(shared(4 * F));
  const low = new Float64Array(shared(8 * F));
  const scale = new Float64Array(shared(8 * F));
  const steps = new Int32Array(shared(4 * F));
  const tables: Uint8Array[] = [];
  for (let f = 0; f < F; f++) {
    const c = sorted[f]!;
    const m = c.length;
    let B = 1;
    let counts = new Int32Array(1);
    counts[0] = m;
    if (m > 0) {
      low[f] = c[0]!;
      const range = c[m - 1]! - c[0]!;
      for (B = 2 ** Math.ceil(Math.log2(2 * m)); ; B *= 2) {
        const k = range > 0 && Number.isFinite(B / range) ? B / range : 0;
        scale[f] = k;
        counts = new Int32Array(B);
        for (const x of c) counts[bucketOf(x, c[0]!, k, B)]!++;
        if (largest(counts) <= 2 || B >= 64 * m || k === 0) break;
      }
    }
    buckets[f] = B;
    steps[f] = largest(counts);
    const table = new Uint8Array(B);
    for (let b = 1; b < B; b++) table[b] = Math.min(255, table[b - 1]! + counts[b - 1]!);
    tables.push(table);
  }
  const cutStart = new Int32Array(shared(4 * F));
  const tableStart = new Int32Array(shared(4 * F));
  let nCuts = 0;
  let nTable = 0;
  for (let f = 0; f < F; f++) {
    cutStart[f] = nCuts;
    tableStart[f] = nTable;
    nCuts += sorted[f]!.length + steps[f]!;
    nTable += buckets[f]!;
  }
  const cuts = new Float64Array(shared(8 * nCuts)).fill(Number.POSITIVE_INFINITY);
  const table = new Uint8Array(shared(nTable));
  for (let f = 0; f < F; f++) {
    cuts.set(sorted[f]!, cutStart[f]!);
    table.set(tables[f]!, tableStart[f]!);
  }
  return { cuts, cutStart, table, tableStart, buckets, low, scale, steps };
}

/**
 * The codes (see {@link Quantizer}) of rows [from, to) of `data` (finite values) into `codes`
 * (row-major, from row 0), feature by feature so the scan length is the same for every row.
 */
export function quantizeRows(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  codes: Uint8Array,
): void {
  const { cuts, cutStart, table, tableStart, buckets, low, scale, steps } = layout.quantizer;
  const F = layout.nFeatures;
  for (let f = 0; f < F; f++) {
    const c0 = cutStart[f]!;
    const t0 = tableStart[f]!;
    const B = buckets[f]!;
    const lo = low[f]!;
    const k = scale[f]!;
    const n = steps[f]!;
    for (let r = from, p = f; r < to; r++, p += F) {
      const x = data[r * F + f]!;
      const below = table[t0 + (Math.min(Math.max((x - lo) * k, 0), B - 1) | 0)]!;
      let code = below;
      const first = c0 + below;
      for (let j = 0; j < n; j++) code += +(x > cuts[first + j]!);
      codes[p] = code;
    }
  }
}

/**
 * The leaf of a quantized row (its codes from `codes[o]`) walked alone from node `node` of `tree`
 * (indices counted from the tree's root): steps until a leaf, whose word has a zero low byte
 * (a split's is 255 - cut, at least 1).
 */
export function finishQuantized(tree: Int32Array, codes: Uint8Array, o: number, node: number): number {
  let m = node;
  let w = tree[m]!;
  while ((w & 0xff) !== 0) {
    m = ((w & 0xffffff) + codes[(o + (w >>> 24)) | 0]!) >> 8;
    w = tree[m]!;
  }
  return m;
}

/**
 * As {@link accumulatePacked} on quantized rows (`codes` from {@link quantizeRows}, row 0 = row
 * `from`): a step loads one node word and one byte of the row, `node = left + (code > cut)`,
 * which takes the same branch as `x > threshold`. A node is 4 bytes instead of 12 and a row 10
 * bytes instead of 80, so a tree and a block of rows stay in the nearest caches.
 */
export function accumulateQuantized(
  layout: InferenceLayout,
  codes: Uint8Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const { treeRoot, treeDepth, treeLockstep, leafOffset, leafProba } = layout;
  const quantized = layout.quantized!;
  const F = layout.nFeatures;
  const K = layout.nClasses;
  const nTrees = treeRoot.length;
  const n = to - from;
  const groupsEnd = n & ~7;
  for (let t = 0; t < nTrees; t++) {
    const root = treeRoot[t]!;
    const depth = treeLockstep[t]!;
    const alone = depth < treeDepth[t]!;
    const tree = quantized.subarray(root, t + 1 < nTrees ? treeRoot[t + 1]! : quantized.length);
    let r = 0;
    for (; r < groupsEnd; r += 8) {
      const o0 = r * F;
      const o1 = o0 + F;
      const o2 = o1 + F;
      const o3 = o2 + F;
      const o4 = o3 + F;
      const o5 = o4 + F;
      const o6 = o5 + F;
      const o7 = o6 + F;
      let n0 = 0;
      let n1 = 0;
      let n2 = 0;
      let n3 = 0;
      let n4 = 0;
      let n5 = 0;
      let n6 = 0;
      let n7 = 0;
      for (let d = 0; d < depth; d++) {
        let w = tree[n0]!;
        n0 = ((w & 0xffffff) + codes[(o0 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n1]!;
        n1 = ((w & 0xffffff) + codes[(o1 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n2]!;
        n2 = ((w & 0xffffff) + codes[(o2 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n3]!;
        n3 = ((w & 0xffffff) + codes[(o3 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n4]!;
        n4 = ((w & 0xffffff) + codes[(o4 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n5]!;
        n5 = ((w & 0xffffff) + codes[(o5 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n6]!;
        n6 = ((w & 0xffffff) + codes[(o6 + (w >>> 24)) | 0]!) >> 8;
        w = tree[n7]!;
        n7 = ((w & 0xffffff) + codes[(o7 + (w >>> 24)) | 0]!) >> 8;
      }
      if (alone) {
        n0 = finishQuantized(tree, codes, o0, n0);
        n1 = finishQuantized(tree, codes, o1, n1);
        n2 = finishQuantized(tree, codes, o2, n2);
        n3 = finishQuantized(tree, codes, o3, n3);
        n4 = finishQuantized(tree, codes, o4, n4);
        n5 = finishQuantized(tree, codes, o5, n5);
        n6 = finishQuantized(tree, codes, o6, n6);
        n7 = finishQuantized(tree, codes, o7, n7);
      }
      const p = (from + r) * K;
      const l0 = leafOffset[root + n0]!;
      const l1 = leafOffset[root + n1]!;
      const l2 = leafOffset[root + n2]!;
      const l3 = leafOffset[root + n3]!;
      const l4 = leafOffset[root + n4]!;
      const l5 = leafOffset[root + n5]!;
      const l6 = leafOffset[root + n6]!;
      const l7 = leafOffset[root + n7]!;
      for (let k = 0; k < K; k++) {
        out[p + k] = out[p + k]! + leafProba[l0 + k]!;
        out[p + K + k] = out[p + K + k]! + leafProba[l1 + k]!;
        out[p + 2 * K + k] = out[p + 2 * K + k]! + leafProba[l2 + k]!;
        out[p + 3 * K + k] = out[p + 3 * K + k]! + leafProba[l3 + k]!;
        out[p + 4 * K + k] = out[p + 4 * K + k]! + leafProba[l4 + k]!;
        out[p + 5 * K + k] = out[p + 5 * K + k]! + leafProba[l5 + k]!;
        out[p + 6 * K + k] = out[p + 6 * K + k]! + leafProba[l6 + k]!;
        out[p + 7 * K + k] = out[p + 7 * K + k]! + leafProba[l7 + k]!;
      }
    }
    for (; r < n; r++) {
      const m = finishQuantized(tree, codes, r * F, 0);
      const l = leafOffset[root + m]!;
      const p = (from + r) * K;
      for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
    }
  }
}

/**
 * The leaf a row reaches in the tree at `root` (walked for `depth` steps), reading the row at
 * `data[o + feature]`: the general walk. A missing value (NaN) takes the node's missing
 * direction; at a categorical split an integer code 0..254 goes left when its bit is set, any
 * other value (NaN, negative, fractional, too large) takes the bit of 255, the missing direction.
 * On finite numeric rows it reaches the same leaf as the fast loops.
 */
export function walkGeneral(
  layout: InferenceLayout,
  data: ArrayLike<number>,
  o: number,
  root: number,
  depth: number,
): number {
  const { threshold, left, feature, missingRight, categoryOffset, categoryBits } = layout;
  let n = root;
  if (categoryOffset === null) {
    for (let d = 0; d < depth; d++) {
      const x = data[o + feature[n]!]!;
      // biome-ignore lint/suspicious/noSelfCompare: the cheapest NaN test, in the walk's inner loop
      n = left[n]! + (+(x > threshold[n]!) | (missingRight[n]! & +(x !== x)));
    }
    return n;
  }
  for (let d = 0; d < depth; d++) {
    const x = data[o + feature[n]!]!;
    const c = categoryOffset[n]!;
    if (c < 0) {
      // biome-ignore lint/suspicious/noSelfCompare: the cheapest NaN test, in the walk's inner loop
      n = left[n]! + (+(x > threshold[n]!) | (missingRight[n]! & +(x !== x)));
    } else {
      const code = x >= 0 && x < 255 && Math.floor(x) === x ? x : 255;
      n = left[n]! + 1 - ((categoryBits[c + (code >>> 5)]! >>> (code & 31)) & 1);
    }
  }
  return n;
}

/** As {@link accumulatePacked} through {@link walkGeneral}: rows with missing values, categorical splits. */
export function accumulateGeneral(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const { treeRoot, treeDepth, leafOffset, leafProba } = layout;
  const F = layout.nFeatures;
  const K = layout.nClasses;
  for (let t = 0; t < treeRoot.length; t++) {
    const root = treeRoot[t]!;
    const depth = treeDepth[t]!;
    for (let r = from; r < to; r++) {
      const l = leafOffset[walkGeneral(layout, data, r * F, root, depth)]!;
      const p = r * K;
      for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
    }
  }
}

/**
 * As {@link accumulateGeneral} for a forest without categorical splits (rows with missing values
 * on a numeric forest, the common case): four rows walk in lockstep, as in
 * {@link accumulatePacked}, so their loads overlap.
 */
export function accumulateMissing(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const { treeRoot, treeDepth, threshold, left, feature, missingRight: mr, leafOffset, leafProba } = layout;
  const F = layout.nFeatures;
  const K = layout.nClasses;
  const groupsEnd = from + ((to - from) & ~3);
  for (let t = 0; t < treeRoot.length; t++) {
    const root = treeRoot[t]!;
    const depth = treeDepth[t]!;
    let r = from;
    for (; r < groupsEnd; r += 4) {
      const o0 = r * F;
      const o1 = o0 + F;
      const o2 = o1 + F;
      const o3 = o2 + F;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      // biome-ignore-start lint/suspicious/noSelfCompare: x !== x is the cheapest NaN test
      for (let d = 0; d < depth; d++) {
        let x = data[o0 + feature[n0]!]!;
        n0 = left[n0]! + (+(x > threshold[n0]!) | (mr[n0]! & +(x !== x)));
        x = data[o1 + feature[n1]!]!;
        n1 = left[n1]! + (+(x > threshold[n1]!) | (mr[n1]! & +(x !== x)));
        x = data[o2 + feature[n2]!]!;
        n2 = left[n2]! + (+(x > threshold[n2]!) | (mr[n2]! & +(x !== x)));
        x = data[o3 + feature[n3]!]!;
        n3 = left[n3]! + (+(x > threshold[n3]!) | (mr[n3]! & +(x !== x)));
      }
      // biome-ignore-end lint/suspicious/noSelfCompare: x !== x is the cheapest NaN test
      const p = r * K;
      const l0 = leafOffset[n0]!;
      const l1 = leafOffset[n1]!;
      const l2 = leafOffset[n2]!;
      const l3 = leafOffset[n3]!;
      for (let k = 0; k < K; k++) {
        out[p + k] = out[p + k]! + leafProba[l0 + k]!;
        out[p + K + k] = out[p + K + k]! + leafProba[l1 + k]!;
        out[p + 2 * K + k] = out[p + 2 * K + k]! + leafProba[l2 + k]!;
        out[p + 3 * K + k] = out[p + 3 * K + k]! + leafProba[l3 + k]!;
      }
    }
    for (; r < to; r++) {
      const l = leafOffset[walkGeneral(layout, data, r * F, root, depth)]!;
      for (let k = 0; k < K; k++) out[r * K + k] = out[r * K + k]! + leafProba[l + k]!;
    }
  }
}

/**
 * Adds every tree's leaf distribution for rows [from, to) of `data` (row-major) to `out`
 * (`nClasses` per row, indexed by absolute row), tree by tree: one tree's nodes stay in cache
 * while the rows pass through it, and eight rows walk in lockstep so their independent loads
 * overlap (eight measured about 20 % faster than four; more runs out of registers). Each row's
 * sum is accumulated in tree order.
 */
export function accumulatePacked(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const { treeRoot, treeDepth, threshold, featureBits, leafOffset, leafProba } = layout;
  const packed = layout.packed!;
  const mask = (1 << featureBits) - 1;
  const F = layout.nFeatures;
  const K = layout.nClasses;
  const groupsEnd = from + ((to - from) & ~7);
  for (let t = 0; t < treeRoot.length; t++) {
    const root = treeRoot[t]!;
    const depth = treeDepth[t]!;
    let r = from;
    for (; r < groupsEnd; r += 8) {
      const o0 = r * F;
      const o1 = o0 + F;
      const o2 = o1 + F;
      const o3 = o2 + F;
      const o4 = o3 + F;
      const o5 = o4 + F;
      const o6 = o5 + F;
      const o7 = o6 + F;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let n4 = root;
      let n5 = root;
      let n6 = root;
      let n7 = root;
      for (let d = 0; d < depth; d++) {
        let w = packed[n0]!;
        n0 = (w >> featureBits) + +(data[o0 + (w & mask)]! > threshold[n0]!);
        w = packed[n1]!;
        n1 = (w >> featureBits) + +(data[o1 + (w & mask)]! > threshold[n1]!);
        w = packed[n2]!;
        n2 = (w >> featureBits) + +(data[o2 + (w & mask)]! > threshold[n2]!);
        w = packed[n3]!;
        n3 = (w >> featureBits) + +(data[o3 + (w & mask)]! > threshold[n3]!);
        w = packed[n4]!;
        n4 = (w >> featureBits) + +(data[o4 + (w & mask)]! > threshold[n4]!);
        w = packed[n5]!;
        n5 = (w >> featureBits) + +(data[o5 + (w & mask)]! > threshold[n5]!);
        w = packed[n6]!;
        n6 = (w >> featureBits) + +(data[o6 + (w & mask)]! > threshold[n6]!);
        w = packed[n7]!;
        n7 = (w >> featureBits) + +(data[o7 + (w & mask)]! > threshold[n7]!);
      }
      const p = r * K;
      const l0 = leafOffset[n0]!;
      const l1 = leafOffset[n1]!;
      const l2 = leafOffset[n2]!;
      const l3 = leafOffset[n3]!;
      const l4 = leafOffset[n4]!;
      const l5 = leafOffset[n5]!;
      const l6 = leafOffset[n6]!;
      const l7 = leafOffset[n7]!;
      for (let k = 0; k < K; k++) {
        out[p + k] = out[p + k]! + leafProba[l0 + k]!;
        out[p + K + k] = out[p + K + k]! + leafProba[l1 + k]!;
        out[p + 2 * K + k] = out[p + 2 * K + k]! + leafProba[l2 + k]!;
        out[p + 3 * K + k] = out[p + 3 * K + k]! + leafProba[l3 + k]!;
        out[p + 4 * K + k] = out[p + 4 * K + k]! + leafProba[l4 + k]!;
        out[p + 5 * K + k] = out[p + 5 * K + k]! + leafProba[l5 + k]!;
        out[p + 6 * K + k] = out[p + 6 * K + k]! + leafProba[l6 + k]!;
        out[p + 7 * K + k] = out[p + 7 * K + k]! + leafProba[l7 + k]!;
      }
    }
    for (; r < to; r++) {
      const o = r * F;
      let n = root;
      for (let d = 0; d < depth; d++) {
        const w = packed[n]!;
        n = (w >> featureBits) + +(data[o + (w & mask)]! > threshold[n]!);
      }
      const l = leafOffset[n]!;
      const p = r * K;
      for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
    }
  }
}

/** As {@link accumulatePacked} for forests too large to pack, one row at a time. */
export function accumulateUnpacked(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
): void {
  const { treeRoot, treeDepth, threshold, left, feature, leafOffset, leafProba } = layout;
  const F = layout.nFeatures;
  const K = layout.nClasses;
  for (let t = 0; t < treeRoot.length; t++) {
    const root = treeRoot[t]!;
    const depth = treeDepth[t]!;
    for (let r = from; r < to; r++) {
      const o = r * F;
      let n = root;
      for (let d = 0; d < depth; d++) n = left[n]! + +(data[o + feature[n]!]! > threshold[n]!);
      const l = leafOffset[n]!;
      const p = r * K;
      for (let k = 0; k < K; k++) out[p + k] = out[p + k]! + leafProba[l + k]!;
    }
  }
}

/**
 * Writes the class probabilities of rows [from, to) into `out` (zeroed beforehand): the trees'
 * leaf distributions summed in tree order, then divided by the tree count, as scikit-learn does.
 * `hasMissing`: some value in the rows may be NaN (then the general walk is taken).
 */
export function predictRows(
  layout: InferenceLayout,
  data: Float64Array,
  from: number,
  to: number,
  out: Float64Array,
  hasMissing: boolean,
): void {
  if (layout.categoryOffset !== null) accumulateGeneral(layout, data, from, to, out);
  else if (!hasMissing && layout.quantized !== null) {
    // Blocks of 2,048 rows: the codes stay in a small buffer (a fresh large one costs its page
    // faults, several milliseconds on a virtual machine), and the walk measured no slower.
    const F = layout.nFeatures;
    const codes = new Uint8Array(Math.min(to - from, 2048) * F);
    for (let b = from; b < to; b += 2048) {
      const e = Math.min(to, b + 2048);
      quantizeRows(layout, data, b, e, codes);
      accumulateQuantized(layout, codes, b, e, out);
    }
  } else if (hasMissing) accumulateMissing(layout, data, from, to, out);
  else if (layout.packed !== null) accumulatePacked(layout, data, from, to, out);
  else accumulateUnpacked(layout, data, from, to, out);
  const nTrees = layout.treeRoot.length;
  const end = to * layout.nClasses;
  for (let i = from * layout.nClasses; i < end; i++) out[i] = out[i]! / nTrees;
}

/**
 * Class probabilities of one row into `sums` (zeroed, `nClasses` long). Eight trees are walked
 * in lockstep so their cache misses overlap (one row's walk through a forest larger than the
 * cache is bound by memory latency: one tree at a time measured 3-4× slower), then added in
 * tree order like every other path. `hasMissing`: the row may hold a NaN.
 */
export function predictOneRow(
  layout: InferenceLayout,
  row: ArrayLike<number>,
  sums: number[],
  hasMissing: boolean,
): void {
  const K = layout.nClasses;
  const { treeRoot, treeDepth, threshold, packed, featureBits, left, feature, leafOffset, leafProba } =
    layout;
  const nTrees = treeRoot.length;
  if (hasMissing || layout.categoryOffset !== null) {
    predictOneRowGeneral(layout, row, sums);
    return;
  }
  let t = 0;
  if (packed !== null) {
    const mask = (1 << featureBits) - 1;
    for (; t + 8 <= nTrees; t += 8) {
      let n0 = treeRoot[t]!;
      let n1 = treeRoot[t + 1]!;
      let n2 = treeRoot[t + 2]!;
      let n3 = treeRoot[t + 3]!;
      let n4 = treeRoot[t + 4]!;
      let n5 = treeRoot[t + 5]!;
      let n6 = treeRoot[t + 6]!;
      let n7 = treeRoot[t + 7]!;
      let depth = 0;
      for (let j = t; j < t + 8; j++) if (treeDepth[j]! > depth) depth = treeDepth[j]!;
      for (let d = 0; d < depth; d++) {
        let w = packed[n0]!;
        n0 = (w >> featureBits) + +(row[w & mask]! > threshold[n0]!);
        w = packed[n1]!;
        n1 = (w >> featureBits) + +(row[w & mask]! > threshold[n1]!);
        w = packed[n2]!;
        n2 = (w >> featureBits) + +(row[w & mask]! > threshold[n2]!);
        w = packed[n3]!;
        n3 = (w >> featureBits) + +(row[w & mask]! > threshold[n3]!);
        w = packed[n4]!;
        n4 = (w >> featureBits) + +(row[w & mask]! > threshold[n4]!);
        w = packed[n5]!;
        n5 = (w >> featureBits) + +(row[w & mask]! > threshold[n5]!);
        w = packed[n6]!;
        n6 = (w >> featureBits) + +(row[w & mask]! > threshold[n6]!);
        w = packed[n7]!;
        n7 = (w >> featureBits) + +(row[w & mask]! > threshold[n7]!);
      }
      const l0 = leafOffset[n0]!;
      const l1 = leafOffset[n1]!;
      const l2 = leafOffset[n2]!;
      const l3 = leafOffset[n3]!;
      const l4 = leafOffset[n4]!;
      const l5 = leafOffset[n5]!;
      const l6 = leafOffset[n6]!;
      const l7 = leafOffset[n7]!;
      // Left to right: the same summation order as one tree at a time.
      for (let k = 0; k < K; k++) {
        sums[k] =
          sums[k]! +
          leafProba[l0 + k]! +
          leafProba[l1 + k]! +
          leafProba[l2 + k]! +
          leafProba[l3 + k]! +
          leafProba[l4 + k]! +
          leafProba[l5 + k]! +
          leafProba[l6 + k]! +
          leafProba[l7 + k]!;
      }
    }
  }
  for (; t < nTrees; t++) {
    let n = treeRoot[t]!;
    const depth = treeDepth[t]!;
    for (let d = 0; d < depth; d++) n = left[n]! + +(row[feature[n]!]! > threshold[n]!);
    const l = leafOffset[n]!;
    for (let k = 0; k < K; k++) sums[k] = sums[k]! + leafProba[l + k]!;
  }
  for (let k = 0; k < K; k++) sums[k] = sums[k]! / nTrees;
}

/** As {@link predictOneRow} through {@link walkGeneral}, one tree at a time. */
export function predictOneRowGeneral(layout: InferenceLayout, row: ArrayLike<number>, sums: number[]): void {
  const { treeRoot, treeDepth, leafOffset, leafProba } = layout;
  const K = layout.nClasses;
  const nTrees = treeRoot.length;
  for (let t = 0; t < nTrees; t++) {
    const l = leafOffset[walkGeneral(layout, row, 0, treeRoot[t]!, treeDepth[t]!)]!;
    for (let k = 0; k < K; k++) sums[k] = sums[k]! + leafProba[l + k]!;
  }
  for (let k = 0; k < K; k++) sums[k] = sums[k]! / nTrees;
}

/**
 * Chunk c of a shared batch (see {@link predictSharedChunks}) into a zeroed array of its own:
 * rows [start of c, start of c + 1) of `data`.
 */
export function predictChunk(
  layout: InferenceLayout,
  data: Float64Array,
  hasMissing: boolean,
  control: Int32Array,
  c: number,
): Float64Array {
  const F = layout.nFeatures;
  const nChunks = control[1]!;
  const from = control[5 + nChunks + c]!;
  const to = control[6 + nChunks + c]!;
  const own = new Float64Array((to - from) * layout.nClasses);
  predictRows(layout, data.subarray(from * F, to * F), 0, to - from, own, hasMissing);
  return own;
}

/**
 * A batch that several threads share without messages. `control` (a shared Int32Array) holds
 * [next chunk to take, chunk count, 0, 0, 0], one state per chunk (0 free or just taken, 1 being
 * computed by a worker, 3 being copied out by it, 2 finished, 4 computed by the calling thread),
 * then the first row of every chunk and the row count. Each thread takes chunks with an atomic
 * increment until none is left. The calling thread (`direct`) writes its chunks straight into `out`; a worker computes a
 * chunk apart and copies it in only if the calling thread has not taken it over meanwhile (see
 * finishSharedChunks in prediction-pool.ts), so a worker that is slow to start, or descheduled,
 * never holds the batch up.
 */
export function predictSharedChunks(
  layout: InferenceLayout,
  data: Float64Array,
  out: Float64Array,
  hasMissing: boolean,
  control: Int32Array,
  direct: boolean,
): void {
  const nChunks = control[1]!;
  const K = layout.nClasses;
  for (let c = Atomics.add(control, 0, 1); c < nChunks; c = Atomics.add(control, 0, 1)) {
    const from = control[5 + nChunks + c]!;
    if (direct) {
      Atomics.store(control, 5 + c, 4);
      predictRows(layout, data, from, control[6 + nChunks + c]!, out, hasMissing);
      continue;
    }
    // The calling thread may have taken the chunk over already (from state 0 or 1).
    if (Atomics.compareExchange(control, 5 + c, 0, 1) !== 0) continue;
    const own = predictChunk(layout, data, hasMissing, control, c);
    if (Atomics.compareExchange(control, 5 + c, 1, 3) === 1) {
      out.set(own, from * K);
      Atomics.store(control, 5 + c, 2);
      Atomics.notify(control, 5 + c);
    }
  }
}

/** Messages a prediction worker understands. */
export type PredictionRequest =
  | { kind: 'forest'; forestId: number; layout: InferenceLayout }
  | { kind: 'drop'; forestId: number }
  | {
      kind: 'share';
      forestId: number;
      data: Float64Array;
      out: Float64Array;
      hasMissing: boolean;
      control: Int32Array;
    }
  | {
      kind: 'predict';
      task: number;
      forestId: number;
      data: Float64Array;
      from: number;
      to: number;
      out: Float64Array;
      hasMissing: boolean;
    };

/** What a prediction worker answers to a `predict` request. */
export interface PredictionReply {
  task: number;
  error?: string;
}

/** Minimal view of a worker's `parentPort`, so this file stays free of Node imports. */
export interface PredictionPort {
  on(event: 'message', listener: (message: PredictionRequest) => void): void;
  postMessage(message: PredictionReply): void;
}

/**
 * Prediction worker loop: keeps the layouts of the forests it was sent (shared memory, no
 * copy) and fills row ranges of shared output arrays on request.
 */
export function servePredictions(port: PredictionPort): void {
  const forests = new Map<number, InferenceLayout>();
  port.on('message', (message) => {
    if (message.kind === 'forest') {
      forests.set(message.forestId, message.layout);
    } else if (message.kind === 'drop') {
      forests.delete(message.forestId);
    } else if (message.kind === 'share') {
      const layout = forests.get(message.forestId);
      if (layout !== undefined) {
        const { data, out, hasMissing, control } = message;
        predictSharedChunks(layout, data, out, hasMissing, control, false);
      }
    } else {
      const layout = forests.get(message.forestId);
      if (layout === undefined) {
        port.postMessage({
          task: message.task,
          error: `forest ${message.forestId} was never sent to this worker`,
        });
        return;
      }
      try {
        predictRows(layout, message.data, message.from, message.to, message.out, message.hasMissing);
        port.postMessage({ task: message.task });
      } catch (error) {
        port.postMessage({ task: message.task, error: String(error) });
      }
    }
  });
}

/** Every function a prediction worker's source must contain, in dependency order. */
export const INFERENCE_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  walkGeneral,
  quantizeRows,
  finishQuantized,
  accumulateQuantized,
  accumulateGeneral,
  accumulateMissing,
  accumulatePacked,
  accumulateUnpacked,
  predictRows,
  predictChunk,
  predictSharedChunks,
  servePredictions,
];
