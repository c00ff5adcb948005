/**
 * The tree-growing kernel: CART classification trees (Gini impurity) over pre-binned features.
 *
 * These functions run inside worker threads that are started from their own source text
 * (`fn.toString()`, see `workerSource` in train.ts), because a worker started from a `.ts` file
 * URL works neither under vitest nor under plain `node --import tsx`. Hence the rules for this
 * file, which a test checks by evaluating the source in a bare context:
 *   - no imports, no module-level constants, no classes: every function is self-contained and
 *     may only call the other functions listed in `KERNEL_FUNCTIONS`;
 *   - nothing but numbers and typed arrays cross the thread boundary.
 *
 * Split search is histogram based: for each candidate feature the node's samples are counted
 * into at most 256 bins per class, and the bins are scanned once. Cost per tree level is
 * O(samples × features tried + bins × features tried × nodes), never quadratic in the rows.
 *
 * Missing values sit in bin 255 of their feature. Where a node has samples missing the split
 * feature, the search tries them on both sides and keeps the better; where it has none, they
 * are sent to the heavier child. Categorical features split on subsets of categories (see
 * `scanCategorical`), stored as 256-bit sets of the bins going left.
 */

/** Everything a worker needs to grow any tree of the forest. Shared by all workers, read-only. */
export interface KernelInput {
  /** Bin index of every value, feature-major: `bins[f * nSamples + i]`. */
  bins: Uint8Array;
  /** Class of every sample, 0..nClasses-1. */
  labels: Int32Array;
  /** Number of bins used by each feature (1..256); bin indices are below it. */
  binCounts: Int32Array;
  nSamples: number;
  nFeatures: number;
  nClasses: number;
  /** Deepest level a split may create (root is depth 0); `Infinity` for unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  /** Number of non-constant features examined per split (already resolved to a count). */
  maxFeatures: number;
  bootstrap: boolean;
  /** Per class, the weight multiplying each sample of that class (all 1 without class weights). */
  classWeight: Float64Array;
  /** Forest seed, a uint32. Each tree derives its own stream from (seed, treeIndex). */
  seed: number;
  /**
   * Per feature, 1 when some training sample misses it: those samples are in bin 255, and the
   * feature's value bins are 0..254.
   */
  hasMissing: Uint8Array;
  /** Per feature, 1 for a categorical feature: bin = category code 0..254, 255 = missing. */
  categorical: Uint8Array;
}

/**
 * One grown tree in the kernel's own layout. Node 0 is the root; children are allocated in
 * pairs so a node's right child is `leftChild + 1`, and every child id is larger than its
 * parent's (compilation and artifact validation rely on that).
 */
export interface GrownTree {
  treeIndex: number;
  nodeCount: number;
  /** Split feature, or -1 for a leaf. */
  feature: Int32Array;
  /**
   * Numeric split: a present value goes left when its bin is <= this. Categorical split: the
   * slot of its bin set in `categoryBits`.
   */
  thresholdBin: Int32Array;
  /** Left child id (right is +1); -1 for a leaf. */
  leftChild: Int32Array;
  /** Per split node, 1 when missing values go left (0 for leaves). */
  missingLeft: Uint8Array;
  /**
   * 8 words per categorical split: bit b of word b >> 5 set when bin b goes left (bins never seen
   * at the node and bin 255, missing, follow the missing direction).
   */
  categoryBits: Int32Array;
  /** Bootstrap-weighted class counts, `nodeCount × nClasses`; meaningful for leaves. */
  classWeights: Float64Array;
  /** Weighted Gini decrease per feature, summed over the tree's splits (sklearn's MDI numerator). */
  impurityDecrease: Float64Array;
  /** Total bootstrap weight at the root (sklearn divides the importances by it). */
  rootWeight: number;
}

/**
 * Four uint32 words of xoshiro128** state for tree `treeIndex` of a forest seeded with `seed`.
 * Derived by hashing both numbers, so a tree's randomness depends only on (seed, treeIndex) and
 * the forest is the same whichever thread grows which tree.
 */
export function treeRngState(seed: number, treeIndex: number): Uint32Array {
  const state = new Uint32Array(4);
  // splitmix32 over a counter that mixes seed and tree index.
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(treeIndex + 1, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    state[i] = (z ^ (z >>> 15)) >>> 0;
  }
  if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
  return state;
}

/** xoshiro128**: next uint32 from `state`, advancing it. */
export function nextUint32(state: Uint32Array): number {
  const s0 = state[0]!;
  const s1 = state[1]!;
  const s2 = state[2]!;
  const s3 = state[3]!;
  const m = Math.imul(s1, 5);
  const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
  const t = s1 << 9;
  const n2 = s2 ^ s0;
  const n3 = s3 ^ s1;
  state[1] = s1 ^ n2;
  state[0] = s0 ^ n3;
  state[2] = n2 ^ t;
  state[3] = (n3 << 11) | (n3 >>> 21);
  return result;
}

/** Uniform integer in [0, bound) for bound <= 2^32 (bias below bound / 2^32, irrelevant here). */
export function randomBelow(state: Uint32Array, bound: number): number {
  return Math.floor((nextUint32(state) / 4294967296) * bound);
}

/**
 * Most features whose histograms are built per round at a node (one round usually suffices:
 * a round draws as many features as are still needed, capped here to bound the workspace).
 */
export function histogramBatchLimit(): number {
  return 16;
}

/**
 * Scratch memory of one tree's split search, allocated once per tree and reused at every node.
 * Histograms are Int32: bootstrap weights are integer counts, so sums are exact.
 */
export interface SplitWorkspace {
  /**
   * Per feature slot, bin and class the summed weight, then the bin's distinct-sample count:
   * `hist[slot * 256 * (K + 1) + bin * (K + 1) + k]`, count at `k = K`; bin 255 holds the
   * samples missing the feature. Invariant: all zero between nodes (the scans clear what the
   * histogram pass filled).
   */
  hist: Int32Array;
  leftWeight: Float64Array;
  /** Per class, the weight of the node's samples missing the scanned feature; their total at K. */
  missingWeight: Float64Array;
  /**
   * Best split so far at this node: [proxy, feature, thresholdBin, leftTotal, leftCount,
   * missingSide]. missingSide is 1 (missing go left) or 0 (right) when the node had samples
   * missing that feature, so both sides were tried; -1 when it had none (decided by
   * `splitNode`: the heavier child).
   */
  best: Float64Array;
  /** Per class: left-side weight of the best split. */
  bestLeftWeight: Float64Array;
  /** Best categorical split: the bins going left and the bins present at the node, 256-bit sets. */
  bestLeftBits: Int32Array;
  bestPresentBits: Int32Array;
  /** Categorical scan: the categories present at the node, in scan order, and their sort keys. */
  order: Int32Array;
  key: Float64Array;
  /** Categorical scan with more than 2 classes: the classes whose orderings are scanned. */
  classOrder: Int32Array;
  /**
   * For a small node (see {@link sparseNodeLimit}), per feature slot the bins holding a sample,
   * a 256-bit set (8 words): the scan visits those instead of all bins. All zero between nodes.
   */
  occupied: Int32Array;
}

/** Workspace for `slots` feature histograms at a time. */
export function createSplitWorkspace(nClasses: number, slots: number): SplitWorkspace {
  return {
    hist: new Int32Array(slots * 256 * (nClasses + 1) + 4), // + 4: see scanFewClasses
    leftWeight: new Float64Array(nClasses),
    missingWeight: new Float64Array(nClasses + 1),
    best: new Float64Array(6),
    bestLeftWeight: new Float64Array(nClasses),
    bestLeftBits: new Int32Array(8),
    bestPresentBits: new Int32Array(8),
    order: new Int32Array(256),
    key: new Float64Array(256),
    classOrder: new Int32Array(8),
    occupied: new Int32Array(slots * 8),
  };
}

/**
 * Below this many samples a node's histograms are mostly empty (256 bins per feature), so they
 * also record which bins are occupied and the scan visits only those.
 */
export function sparseNodeLimit(): number {
  return 96;
}

/**
 * As {@link fillHistograms} for a small node, one feature at a time, also marking each occupied
 * bin in `ws.occupied`.
 */
export function fillHistogramsSparse(
  input: KernelInput,
  ws: SplitWorkspace,
  samples: Int32Array,
  labelWeight: Int32Array,
  start: number,
  end: number,
  features: Int32Array,
  from: number,
  to: number,
): void {
  const { hist, occupied } = ws;
  const bins = input.bins;
  const n = input.nSamples;
  const K = input.nClasses;
  const S = K + 1;
  for (let q = from; q < to; q++) {
    const b0 = features[q]! * n;
    const h0 = (q - from) * 256 * S;
    const w0 = (q - from) * 8;
    for (let i = start; i < end; i++) {
      const s = samples[i]!;
      const v = labelWeight[s]!;
      const bin = bins[b0 + s]!;
      const o = h0 + bin * S;
      const label = v & 0xffff;
      hist[o + label] = hist[o + label]! + (v >>> 16);
      hist[o + K]!++;
      occupied[w0 + (bin >>> 5)]! |= 1 << (bin & 31);
    }
  }
}

/** Empties the occupied set at word offset `w0`; returns false (no set any more). */
export function clearOccupied(ws: SplitWorkspace, w0: number): boolean {
  for (let w = 0; w < 8; w++) ws.occupied[w0 + w] = 0;
  return false;
}

/**
 * The first bin after `b` with a sample: from the occupied set at word offset `w0` when
 * `sparse`, else by reading the counts of the histogram at `base`. -1 when there is none.
 */
export function nextBin(
  ws: SplitWorkspace,
  sparse: boolean,
  w0: number,
  base: number,
  S: number,
  K: number,
  b: number,
  nBins: number,
): number {
  if (sparse) {
    for (let w = (b + 1) >>> 5; w < 8; w++) {
      const shift = w === (b + 1) >>> 5 ? (b + 1) & 31 : 0;
      const word = (ws.occupied[w0 + w]! >>> shift) << shift;
      if (word !== 0) return (w << 5) + 31 - Math.clz32(word & -word);
    }
    return -1;
  }
  for (let next = b + 1; next < nBins; next++) if (ws.hist[base + next * S + K]! !== 0) return next;
  return -1;
}

/**
 * Fills the histograms of features `features[from, to)` (slot q = index - from) for the node
 * holding samples[start, end). `labelWeight[s]` packs sample s as `weight << 16 | label`.
 * Three features share each pass over the samples: one load of a sample's label and weight
 * serves all three, and the unrolled body runs about three times faster per feature than
 * three separate passes.
 */
export function fillHistograms(
  input: KernelInput,
  hist: Int32Array,
  samples: Int32Array,
  labelWeight: Int32Array,
  start: number,
  end: number,
  features: Int32Array,
  from: number,
  to: number,
): void {
  const bins = input.bins;
  const n = input.nSamples;
  const K = input.nClasses;
  const S = K + 1;
  const H = 256 * S;
  let q = from;
  for (; q + 3 <= to; q += 3) {
    const b0 = features[q]! * n;
    const b1 = features[q + 1]! * n;
    const b2 = features[q + 2]! * n;
    const h0 = (q - from) * H;
    const h1 = h0 + H;
    const h2 = h1 + H;
    for (let i = start; i < end; i++) {
      const s = samples[i]!;
      const v = labelWeight[s]!;
      const label = v & 0xffff;
      const w = v >>> 16;
      let o = h0 + bins[b0 + s]! * S;
      hist[o + label] = hist[o + label]! + w;
      hist[o + K]!++;
      o = h1 + bins[b1 + s]! * S;
      hist[o + label] = hist[o + label]! + w;
      hist[o + K]!++;
      o = h2 + bins[b2 + s]! * S;
      hist[o + label] = hist[o + label]! + w;
      hist[o + K]!++;
    }
  }
  for (; q < to; q++) {
    const b0 = features[q]! * n;
    const h0 = (q - from) * H;
    for (let i = start; i < end; i++) {
      const s = samples[i]!;
      const v = labelWeight[s]!;
      const o = h0 + bins[b0 + s]! * S;
      const label = v & 0xffff;
      hist[o + label] = hist[o + label]! + (v >>> 16);
      hist[o + K]!++;
    }
  }
}

/**
 * Scans the histogram in `slot` (feature `f`), records the best split in `ws.best` when its
 * Gini proxy beats the best so far, and zeroes the slot. Returns false when the feature is
 * constant in the node; such a feature does not count towards maxFeatures. Categorical
 * features and numeric features with missing values at this node have their own scans; this
 * one is the all-numeric hot path: every split "bin <= b" between two non-empty bins.
 */
export function scanHistogram(
  input: KernelInput,
  ws: SplitWorkspace,
  slot: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
  sparse: boolean,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const base = slot * 256 * S;
  const w0 = slot * 8;
  // The categorical and missing-value scans read every bin: they need no occupied set.
  if (sparse && (input.categorical[f] === 1 || input.hasMissing[f] === 1)) sparse = clearOccupied(ws, w0);
  if (input.categorical[f] === 1)
    return scanCategorical(input, ws, base, f, nodeWeight, nodeTotal, nodeCount);
  if (input.hasMissing[f] === 1 && ws.hist[base + 255 * S + K]! > 0) {
    return scanNumericMissing(input, ws, base, f, nodeWeight, nodeTotal, nodeCount);
  }
  if (K <= 4) return scanFewClasses(input, ws, base, w0, f, nodeWeight, nodeTotal, nodeCount, sparse);
  return scanManyClasses(input, ws, base, w0, f, nodeWeight, nodeTotal, nodeCount, sparse);
}

/** {@link scanHistogram}'s numeric scan for any number of classes. */
export function scanManyClasses(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  w0: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
  sparse: boolean,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const { hist, leftWeight, best } = ws;
  const minSamplesLeaf = input.minSamplesLeaf;
  const nBins = input.binCounts[f]!;
  const bestLeftWeight = ws.bestLeftWeight;
  const classWeight = input.classWeight;
  for (let k = 0; k < K; k++) leftWeight[k] = 0;
  let leftCount = 0;
  let leftTotal = 0;
  let previous = -1; // last non-empty bin, already added to the left side
  let nonEmpty = 0;
  let searching = true;
  for (
    let b = nextBin(ws, sparse, w0, base, S, K, -1, nBins);
    b >= 0;
    b = nextBin(ws, sparse, w0, base, S, K, b, nBins)
  ) {
    const o = base + b * S;
    const c = hist[o + K]!;
    nonEmpty++;
    if (previous >= 0 && searching && leftCount >= minSamplesLeaf) {
      if (nodeCount - leftCount < minSamplesLeaf) {
        searching = false; // the right side only shrinks from here
      } else {
        // Gini proxy (scikit-learn's proxy_impurity_improvement up to a constant):
        // sum_k L_k^2 / wL + sum_k R_k^2 / wR, larger is better.
        let sl = 0;
        let sr = 0;
        for (let k = 0; k < K; k++) {
          const l = leftWeight[k]!;
          const r = nodeWeight[k]! - l;
          sl += l * l;
          sr += r * r;
        }
        const rightTotal = nodeTotal - leftTotal;
        const proxy = (sl * rightTotal + sr * leftTotal) / (leftTotal * rightTotal);
        if (proxy > best[0]!) {
          best[0] = proxy;
          best[1] = f;
          // Bins strictly between `previous` and b are empty in this node: put the threshold
          // in the middle of that gap, as scikit-learn puts it midway between the two nearest
          // values, rather than hugging the left side.
          best[2] = (previous + b - 1) >> 1;
          best[3] = leftTotal;
          best[4] = leftCount;
          best[5] = -1;
          for (let k = 0; k < K; k++) bestLeftWeight[k] = leftWeight[k]!;
        }
      }
    }
    leftCount += c;
    hist[o + K] = 0;
    for (let k = 0; k < K; k++) {
      const w = hist[o + k]! * classWeight[k]!;
      leftWeight[k] = leftWeight[k]! + w;
      leftTotal += w;
      hist[o + k] = 0;
    }
    previous = b;
  }
  if (sparse) clearOccupied(ws, w0);
  return nonEmpty > 1;
}

/**
 * {@link scanHistogram}'s numeric scan for up to 4 classes, the class weights in locals instead
 * of arrays: the same candidates and the same floating-point operations in the same order (the
 * classes past K are zeros, which add nothing: x + 0 = x, 0 · 0 = 0), so the same splits. The
 * histogram has 4 spare entries at its end, so reading 4 classes never leaves it.
 */
export function scanFewClasses(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  w0: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
  sparse: boolean,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const { hist, best } = ws;
  const minSamplesLeaf = input.minSamplesLeaf;
  const nBins = input.binCounts[f]!;
  const cw = input.classWeight;
  const [c0, c1, c2, c3] = [cw[0]!, K > 1 ? cw[1]! : 0, K > 2 ? cw[2]! : 0, K > 3 ? cw[3]! : 0];
  const nw = nodeWeight;
  const [n0, n1, n2, n3] = [nw[0]!, K > 1 ? nw[1]! : 0, K > 2 ? nw[2]! : 0, K > 3 ? nw[3]! : 0];
  let [l0, l1, l2, l3] = [0, 0, 0, 0];
  let leftCount = 0;
  let leftTotal = 0;
  let previous = -1; // last non-empty bin, already added to the left side
  let nonEmpty = 0;
  let searching = true;
  for (
    let b = nextBin(ws, sparse, w0, base, S, K, -1, nBins);
    b >= 0;
    b = nextBin(ws, sparse, w0, base, S, K, b, nBins)
  ) {
    const o = base + b * S;
    nonEmpty++;
    if (previous >= 0 && searching && leftCount >= minSamplesLeaf) {
      if (nodeCount - leftCount < minSamplesLeaf) {
        searching = false; // the right side only shrinks from here
      } else {
        const r0 = n0 - l0;
        const r1 = n1 - l1;
        const r2 = n2 - l2;
        const r3 = n3 - l3;
        const sl = l0 * l0 + l1 * l1 + l2 * l2 + l3 * l3;
        const sr = r0 * r0 + r1 * r1 + r2 * r2 + r3 * r3;
        const rightTotal = nodeTotal - leftTotal;
        const proxy = (sl * rightTotal + sr * leftTotal) / (leftTotal * rightTotal);
        if (proxy > best[0]!) {
          best[0] = proxy;
          best[1] = f;
          best[2] = (previous + b - 1) >> 1; // mid-gap, see scanHistogram
          best[3] = leftTotal;
          best[4] = leftCount;
          best[5] = -1;
          const bestLeft = ws.bestLeftWeight;
          bestLeft[0] = l0;
          if (K > 1) bestLeft[1] = l1;
          if (K > 2) bestLeft[2] = l2;
          if (K > 3) bestLeft[3] = l3;
        }
      }
    }
    const w0b = hist[o]! * c0;
    const w1b = hist[o + 1]! * c1;
    const w2b = hist[o + 2]! * c2;
    const w3b = hist[o + 3]! * c3;
    leftCount += hist[o + K]!;
    for (let j = 0; j < S; j++) hist[o + j] = 0;
    l0 += w0b;
    l1 += w1b;
    l2 += w2b;
    l3 += w3b;
    leftTotal = leftTotal + w0b + w1b + w2b + w3b;
    previous = b;
  }
  if (sparse) clearOccupied(ws, w0);
  return nonEmpty > 1;
}

/**
 * Reads the missing bin (255) of the histogram at `base` into `ws.missingWeight` (class-weighted,
 * total at index K), zeroes it and returns its distinct-sample count.
 */
export function takeMissingBin(input: KernelInput, ws: SplitWorkspace, base: number): number {
  const K = input.nClasses;
  const o = base + 255 * (K + 1);
  const missingWeight = ws.missingWeight;
  let total = 0;
  for (let k = 0; k < K; k++) {
    const w = ws.hist[o + k]! * input.classWeight[k]!;
    missingWeight[k] = w;
    total += w;
    ws.hist[o + k] = 0;
  }
  missingWeight[K] = total;
  const count = ws.hist[o + K]!;
  ws.hist[o + K] = 0;
  return count;
}

/**
 * Evaluates the split whose left side holds `ws.leftWeight` (weight leftTotal, leftCount
 * samples) plus, when side is 1, the node's samples missing the feature (side 0: they go
 * right; -1: there are none). Records it in `ws.best` when it honours minSamplesLeaf and beats
 * the best so far; returns whether it did.
 */
export function trySplit(
  input: KernelInput,
  ws: SplitWorkspace,
  f: number,
  bin: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
  leftTotal: number,
  leftCount: number,
  missingCount: number,
  side: number,
): boolean {
  const K = input.nClasses;
  const withMissing = side === 1 ? 1 : 0;
  const count = leftCount + withMissing * missingCount;
  if (count < input.minSamplesLeaf || nodeCount - count < input.minSamplesLeaf) return false;
  const { leftWeight, missingWeight, best } = ws;
  const total = leftTotal + withMissing * missingWeight[K]!;
  let sl = 0;
  let sr = 0;
  for (let k = 0; k < K; k++) {
    const l = leftWeight[k]! + withMissing * missingWeight[k]!;
    const r = nodeWeight[k]! - l;
    sl += l * l;
    sr += r * r;
  }
  const rightTotal = nodeTotal - total;
  const proxy = (sl * rightTotal + sr * total) / (total * rightTotal);
  if (!(proxy > best[0]!)) return false;
  best[0] = proxy;
  best[1] = f;
  best[2] = bin;
  best[3] = total;
  best[4] = count;
  best[5] = side;
  for (let k = 0; k < K; k++) ws.bestLeftWeight[k] = leftWeight[k]! + withMissing * missingWeight[k]!;
  return true;
}

/**
 * Scan of a numeric feature some of the node's samples miss: at every threshold between two
 * non-empty bins the missing samples are tried on both sides (LightGBM's, XGBoost's and
 * scikit-learn's rule), and one more split sends every present value left and the missing ones
 * right (its threshold bin is the last value bin: +∞ as a float). Zeroes the slot.
 */
export function scanNumericMissing(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const { hist, leftWeight } = ws;
  const missingCount = takeMissingBin(input, ws, base);
  const nBins = input.binCounts[f]!;
  for (let k = 0; k < K; k++) leftWeight[k] = 0;
  let leftCount = 0;
  let leftTotal = 0;
  let previous = -1;
  for (let b = 0; b < nBins; b++) {
    const o = base + b * S;
    const c = hist[o + K]!;
    if (c === 0) continue;
    if (previous >= 0) {
      const bin = (previous + b - 1) >> 1;
      trySplit(input, ws, f, bin, nodeWeight, nodeTotal, nodeCount, leftTotal, leftCount, missingCount, 0);
      trySplit(input, ws, f, bin, nodeWeight, nodeTotal, nodeCount, leftTotal, leftCount, missingCount, 1);
    }
    leftCount += c;
    hist[o + K] = 0;
    for (let k = 0; k < K; k++) {
      const w = hist[o + k]! * input.classWeight[k]!;
      leftWeight[k] = leftWeight[k]! + w;
      leftTotal += w;
      hist[o + k] = 0;
    }
    previous = b;
  }
  if (previous >= 0) {
    trySplit(
      input,
      ws,
      f,
      nBins - 1,
      nodeWeight,
      nodeTotal,
      nodeCount,
      leftTotal,
      leftCount,
      missingCount,
      0,
    );
  }
  return previous >= 0; // present values and missing ones: not constant
}

/**
 * The up to 8 classes of largest weight at the node (ties: lower class first) into
 * `ws.classOrder`; returns how many.
 */
export function rankClasses(ws: SplitWorkspace, nodeWeight: Float64Array, K: number): number {
  const n = Math.min(K, 8);
  for (let q = 0; q < n; q++) {
    let pick = -1;
    for (let k = 0; k < K; k++) {
      let taken = false;
      for (let j = 0; j < q; j++) if (ws.classOrder[j] === k) taken = true;
      if (!taken && (pick < 0 || nodeWeight[k]! > nodeWeight[pick]!)) pick = k;
    }
    ws.classOrder[q] = pick;
  }
  return n;
}

/**
 * Split search on a categorical feature: the left side is a subset of the categories present.
 * For 2 classes the categories are ordered by their proportion of class 1 and every prefix of
 * that order is a candidate: the best subset is among them (Breiman et al., CART, 1984, thm
 * 4.5), so 2^(m-1) subsets cost m evaluations. For K > 2 classes no such ordering is optimal;
 * the rule here is a one-vs-rest heuristic: for each of the (up to 8) classes of largest weight
 * at the node, order the categories by p(class | category) and scan the prefixes; the best
 * candidate over all these orderings wins. Missing samples are tried on both sides, plus
 * "all present categories | missing". Zeroes the slot.
 */
export function scanCategorical(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const { hist, order } = ws;
  const missingCount = takeMissingBin(input, ws, base);
  const nCategories = input.binCounts[f]!;
  let m = 0;
  for (let c = 0; c < nCategories; c++) if (hist[base + c * S + K]! > 0) order[m++] = c;
  const nonConstant = m + (missingCount > 0 ? 1 : 0) > 1;
  if (nonConstant) {
    const nOrders = K === 2 ? 1 : rankClasses(ws, nodeWeight, K);
    for (let q = 0; q < nOrders; q++) {
      sortCategories(input, ws, base, m, K === 2 ? 1 : ws.classOrder[q]!);
      scanCategoryPrefixes(input, ws, base, f, m, missingCount, nodeWeight, nodeTotal, nodeCount);
    }
  }
  for (let c = 0; c < nCategories; c++) for (let j = 0; j < S; j++) hist[base + c * S + j] = 0;
  return nonConstant;
}

/** Orders `ws.order[0, m)` by the class-weighted proportion of class k, ties by code. */
export function sortCategories(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  m: number,
  k: number,
): void {
  const K = input.nClasses;
  const S = K + 1;
  const key = ws.key;
  for (let i = 0; i < m; i++) {
    const c = ws.order[i]!;
    let total = 0;
    for (let j = 0; j < K; j++) total += ws.hist[base + c * S + j]! * input.classWeight[j]!;
    key[c] = (ws.hist[base + c * S + k]! * input.classWeight[k]!) / total;
  }
  ws.order.subarray(0, m).sort((a, b) => key[a]! - key[b]! || a - b);
}

/** Evaluates every prefix of `ws.order[0, m)` as the left side (see {@link scanCategorical}). */
export function scanCategoryPrefixes(
  input: KernelInput,
  ws: SplitWorkspace,
  base: number,
  f: number,
  m: number,
  missingCount: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
): void {
  const K = input.nClasses;
  const S = K + 1;
  const leftWeight = ws.leftWeight;
  for (let k = 0; k < K; k++) leftWeight[k] = 0;
  let leftTotal = 0;
  let leftCount = 0;
  for (let i = 0; i < m; i++) {
    const o = base + ws.order[i]! * S;
    leftCount += ws.hist[o + K]!;
    for (let k = 0; k < K; k++) {
      const w = ws.hist[o + k]! * input.classWeight[k]!;
      leftWeight[k] = leftWeight[k]! + w;
      leftTotal += w;
    }
    // Where the missing samples go: -1 none at the node, 0 right, 1 left. With every present
    // category on the left, only "missing right" separates anything.
    const full = i + 1 === m;
    const firstSide = missingCount === 0 ? (full ? 2 : -1) : 0;
    const lastSide = missingCount === 0 ? -1 : full ? 0 : 1;
    for (let side = firstSide; side <= lastSide; side++) {
      if (
        trySplit(input, ws, f, -1, nodeWeight, nodeTotal, nodeCount, leftTotal, leftCount, missingCount, side)
      ) {
        recordCategories(ws, i + 1, m, missingCount, side);
      }
    }
  }
}

/** Stores the first `prefix` categories of `ws.order` (and the missing bin when side is 1) as the best left set. */
export function recordCategories(
  ws: SplitWorkspace,
  prefix: number,
  m: number,
  missingCount: number,
  side: number,
): void {
  const { bestLeftBits, bestPresentBits, order } = ws;
  bestLeftBits.fill(0);
  bestPresentBits.fill(0);
  for (let i = 0; i < m; i++) {
    const c = order[i]!;
    bestPresentBits[c >>> 5]! |= 1 << (c & 31);
    if (i < prefix) bestLeftBits[c >>> 5]! |= 1 << (c & 31);
  }
  if (missingCount > 0) bestPresentBits[7]! |= 1 << 31;
  if (side === 1) bestLeftBits[7]! |= 1 << 31;
}

/** Growable node arrays of one tree (see {@link GrownTree} for their meaning). */
export interface NodeStore {
  capacity: number;
  feature: Int32Array;
  thresholdBin: Int32Array;
  leftChild: Int32Array;
  missingLeft: Uint8Array;
  classWeights: Float64Array;
  /** 8 words (a 256-bit set of bins going left) per categorical split. */
  categoryBits: Int32Array;
  categorySlots: number;
}

export function createNodeStore(capacity: number, nClasses: number): NodeStore {
  return {
    capacity,
    feature: new Int32Array(capacity),
    thresholdBin: new Int32Array(capacity),
    leftChild: new Int32Array(capacity),
    missingLeft: new Uint8Array(capacity),
    classWeights: new Float64Array(capacity * nClasses),
    categoryBits: new Int32Array(64),
    categorySlots: 0,
  };
}

/** Doubles the store's capacity; rare, hence kept out of the hot loop. */
export function growNodeStore(store: NodeStore, nClasses: number): void {
  const capacity = store.capacity * 2;
  const feature = new Int32Array(capacity);
  feature.set(store.feature);
  const thresholdBin = new Int32Array(capacity);
  thresholdBin.set(store.thresholdBin);
  const leftChild = new Int32Array(capacity);
  leftChild.set(store.leftChild);
  const missingLeft = new Uint8Array(capacity);
  missingLeft.set(store.missingLeft);
  const classWeights = new Float64Array(capacity * nClasses);
  classWeights.set(store.classWeights);
  store.capacity = capacity;
  store.feature = feature;
  store.thresholdBin = thresholdBin;
  store.leftChild = leftChild;
  store.missingLeft = missingLeft;
  store.classWeights = classWeights;
}

/**
 * Appends the best categorical split's bin set to the store and returns its slot: the categories
 * chosen for the left side, plus, when missing values go left, every bin not present at the node
 * (categories never seen here, and the missing bin 255 when the node had no missing samples).
 */
export function addCategorySlot(store: NodeStore, ws: SplitWorkspace, missingLeft: number): number {
  const slot = store.categorySlots++;
  if (8 * store.categorySlots > store.categoryBits.length) {
    const bigger = new Int32Array(2 * store.categoryBits.length);
    bigger.set(store.categoryBits);
    store.categoryBits = bigger;
  }
  for (let w = 0; w < 8; w++) {
    const unseen = missingLeft === 1 ? ~ws.bestPresentBits[w]! : 0;
    store.categoryBits[8 * slot + w] = ws.bestLeftBits[w]! | unseen;
  }
  return slot;
}

/**
 * Stable partition of samples[start, end): those with bin <= thresholdBin on `feature` first,
 * both sides keeping their order; with `missingLeft` 1 the missing bin (255) goes left too
 * (only for features that have missing values). Samples start sorted, so every node's samples
 * stay sorted and the histogram pass reads bins, labels and weights in increasing address
 * order, which the hardware prefetcher follows (a swap partition scrambles them and is markedly
 * slower). Returns the boundary.
 */
export function partitionSamples(
  input: KernelInput,
  samples: Int32Array,
  scratch: Int32Array,
  start: number,
  end: number,
  feature: number,
  thresholdBin: number,
  missingLeft: number,
): number {
  const bins = input.bins;
  const base = feature * input.nSamples;
  let left = start;
  let right = 0;
  // Branch-free: the comparison is a coin toss to the branch predictor.
  if (missingLeft === 1) {
    for (let i = start; i < end; i++) {
      const s = samples[i]!;
      const b = bins[base + s]!;
      const goesLeft = +(b <= thresholdBin) | +(b === 255);
      samples[left] = s;
      scratch[right] = s;
      left += goesLeft;
      right += 1 - goesLeft;
    }
  } else {
    for (let i = start; i < end; i++) {
      const s = samples[i]!;
      const goesLeft = +(bins[base + s]! <= thresholdBin);
      samples[left] = s;
      scratch[right] = s;
      left += goesLeft;
      right += 1 - goesLeft;
    }
  }
  samples.set(scratch.subarray(0, right), left);
  return left;
}

/** As {@link partitionSamples} for a categorical split: left when the bin's bit is set in `bits[offset, offset + 8)`. */
export function partitionByCategory(
  input: KernelInput,
  samples: Int32Array,
  scratch: Int32Array,
  start: number,
  end: number,
  feature: number,
  bits: Int32Array,
  offset: number,
): number {
  const bins = input.bins;
  const base = feature * input.nSamples;
  let left = start;
  let right = 0;
  for (let i = start; i < end; i++) {
    const s = samples[i]!;
    const b = bins[base + s]!;
    const goesLeft = (bits[offset + (b >>> 5)]! >>> (b & 31)) & 1;
    samples[left] = s;
    scratch[right] = s;
    left += goesLeft;
    right += 1 - goesLeft;
  }
  samples.set(scratch.subarray(0, right), left);
  return left;
}

/** Everything growing one tree needs besides the input; see {@link createTreeState}. */
export interface TreeState {
  input: KernelInput;
  rng: Uint32Array;
  /** The drawn samples; each pending node owns a range, ascending. */
  samples: Int32Array;
  scratch: Int32Array;
  /** Per sample: bootstrap weight << 16 | label (0 for samples not drawn). */
  labelWeight: Int32Array;
  store: NodeStore;
  ws: SplitWorkspace;
  /** Feature indices, permuted in place by the lazy Fisher-Yates draws at each node. */
  featureOrder: Int32Array;
  batchLimit: number;
  impurityDecrease: Float64Array;
  /** Per class: weight of the node being split. */
  nodeWeight: Float64Array;
  /** Depth-first stack of pending nodes: (start, end, depth, nodeId), and per class their weight. */
  stack: Int32Array;
  stackWeights: Float64Array;
  stackSize: number;
}

/**
 * Bootstrap by per-sample counts (n draws with replacement become integer weights; only drawn
 * samples take part), then the root on the stack.
 */
export function createTreeState(input: KernelInput, treeIndex: number): TreeState {
  const { labels, nSamples, nFeatures, nClasses: K } = input;
  const rng = treeRngState(input.seed, treeIndex);
  const weight = new Int32Array(nSamples);
  if (input.bootstrap) {
    for (let i = 0; i < nSamples; i++) weight[randomBelow(rng, nSamples)]!++;
  } else {
    weight.fill(1);
  }
  let nDrawn = 0;
  const labelWeight = new Int32Array(nSamples);
  const stackWeights = new Float64Array(K * 64);
  for (let i = 0; i < nSamples; i++) {
    const w = weight[i]!;
    if (w === 0) continue;
    // A count of 65536 needs n >= 65536 and about 1/65536! luck: it cannot happen in practice.
    if (w > 0xffff) throw new Error(`bootstrap count ${w} of sample ${i} exceeds 65535`);
    labelWeight[i] = (w << 16) | labels[i]!;
    stackWeights[labels[i]!] = stackWeights[labels[i]!]! + w * input.classWeight[labels[i]!]!;
    nDrawn++;
  }
  const samples = new Int32Array(nDrawn); // ascending
  for (let i = 0, j = 0; i < nSamples; i++) if (weight[i]! > 0) samples[j++] = i;
  const batchLimit = Math.min(histogramBatchLimit(), input.maxFeatures);
  const stack = new Int32Array(4 * 64);
  stack[1] = nDrawn; // root: start 0, end nDrawn, depth 0, node 0
  return {
    input,
    rng,
    samples,
    scratch: new Int32Array(nDrawn),
    labelWeight,
    // A binary tree over nDrawn samples has fewer than 2 × nDrawn nodes; start small, double.
    store: createNodeStore(Math.min(2 * nDrawn + 1, 1024), K),
    ws: createSplitWorkspace(K, batchLimit),
    featureOrder: Int32Array.from({ length: nFeatures }, (_, f) => f),
    batchLimit,
    impurityDecrease: new Float64Array(nFeatures),
    nodeWeight: new Float64Array(K),
    stack,
    stackWeights,
    stackSize: 1,
  };
}

/**
 * Best split of the node holding samples[start, end) into `ws.best`: features are drawn without
 * replacement (lazy Fisher-Yates) until maxFeatures non-constant ones were examined. Each round
 * draws only as many as are still needed, so the features examined and the random draws are
 * those of a one-at-a-time search. Returns the feature, or -1 when there is no valid split.
 */
export function findSplit(state: TreeState, start: number, end: number, total: number): number {
  const { input, ws, featureOrder, rng, batchLimit } = state;
  const { nFeatures, maxFeatures } = input;
  ws.best[0] = Number.NEGATIVE_INFINITY;
  ws.best[1] = -1;
  let nonConstant = 0;
  let drawn = 0;
  const sparse = end - start < sparseNodeLimit();
  while (nonConstant < maxFeatures && drawn < nFeatures) {
    const round = Math.min(maxFeatures - nonConstant, nFeatures - drawn, batchLimit);
    for (let q = drawn; q < drawn + round; q++) {
      const r = q + randomBelow(rng, nFeatures - q);
      const f = featureOrder[r]!;
      featureOrder[r] = featureOrder[q]!;
      featureOrder[q] = f;
    }
    const { samples, labelWeight } = state;
    if (sparse) {
      fillHistogramsSparse(input, ws, samples, labelWeight, start, end, featureOrder, drawn, drawn + round);
    } else {
      fillHistograms(input, ws.hist, samples, labelWeight, start, end, featureOrder, drawn, drawn + round);
    }
    for (let q = 0; q < round; q++) {
      const f = featureOrder[drawn + q]!;
      if (scanHistogram(input, ws, q, f, state.nodeWeight, total, end - start, sparse)) nonConstant++;
    }
    drawn += round;
  }
  return ws.best[1]!;
}

/**
 * Applies the best split found for `node` (its children get ids `left` and `left + 1`): adds its
 * weighted impurity decrease (scikit-learn's importance term), settles where missing values go
 * (the side chosen by the search, else the heavier child), stores the split and partitions the
 * node's samples. Returns the boundary between the children's samples.
 */
export function splitNode(
  state: TreeState,
  node: number,
  left: number,
  start: number,
  end: number,
  total: number,
  impurity: number,
): number {
  const { input, ws, store, nodeWeight } = state;
  const K = input.nClasses;
  const best = ws.best;
  const f = best[1]!;
  const leftTotal = best[3]!;
  const rightTotal = total - leftTotal;
  let sl = 0;
  let sr = 0;
  for (let k = 0; k < K; k++) {
    const l = ws.bestLeftWeight[k]!;
    const r = nodeWeight[k]! - l;
    sl += l * l;
    sr += r * r;
  }
  state.impurityDecrease[f]! +=
    total * impurity -
    leftTotal * (1 - sl / (leftTotal * leftTotal)) -
    rightTotal * (1 - sr / (rightTotal * rightTotal));
  const missingLeft = best[5]! >= 0 ? best[5]! : leftTotal >= rightTotal ? 1 : 0;
  store.feature[node] = f;
  store.leftChild[node] = left;
  store.missingLeft[node] = missingLeft;
  const { samples, scratch } = state;
  if (input.categorical[f] === 1) {
    const slot = addCategorySlot(store, ws, missingLeft);
    store.thresholdBin[node] = slot;
    return partitionByCategory(input, samples, scratch, start, end, f, store.categoryBits, 8 * slot);
  }
  store.thresholdBin[node] = best[2]!;
  const ml = input.hasMissing[f]! & missingLeft;
  return partitionSamples(input, samples, scratch, start, end, f, best[2]!, ml);
}

/**
 * Pushes the children of a split node: right first, so the left subtree is grown first
 * (scikit-learn's order). The left child's class weights are the best split's left weights.
 */
export function pushChildren(
  state: TreeState,
  start: number,
  mid: number,
  end: number,
  depth: number,
  left: number,
): void {
  const K = state.input.nClasses;
  if (state.stackSize + 2 > state.stack.length / 4) {
    const biggerStack = new Int32Array(2 * state.stack.length);
    biggerStack.set(state.stack);
    state.stack = biggerStack;
    const biggerWeights = new Float64Array(2 * state.stackWeights.length);
    biggerWeights.set(state.stackWeights);
    state.stackWeights = biggerWeights;
  }
  const { stack, stackWeights, nodeWeight } = state;
  let e = 4 * state.stackSize;
  stack[e] = mid;
  stack[e + 1] = end;
  stack[e + 2] = depth;
  stack[e + 3] = left + 1;
  stack[e + 4] = start;
  stack[e + 5] = mid;
  stack[e + 6] = depth;
  stack[e + 7] = left;
  e = K * state.stackSize;
  for (let k = 0; k < K; k++) {
    const l = state.ws.bestLeftWeight[k]!;
    stackWeights[e + k] = nodeWeight[k]! - l;
    stackWeights[e + K + k] = l;
  }
  state.stackSize += 2;
}

/**
 * Grows tree `treeIndex` depth-first, the way scikit-learn's DepthFirstTreeBuilder does:
 * bootstrap by per-sample counts (weights), a node becomes a leaf when it is pure, at maxDepth,
 * below minSamplesSplit or below 2 × minSamplesLeaf samples; otherwise the best Gini split over
 * `maxFeatures` randomly drawn non-constant features is taken (constant features do not count
 * towards maxFeatures, as in scikit-learn). Sample counts for the min-samples rules are distinct
 * samples, weights are bootstrap counts, exactly as scikit-learn does it.
 */
export function growTree(input: KernelInput, treeIndex: number): GrownTree {
  const K = input.nClasses;
  const state = createTreeState(input, treeIndex);
  const nodeWeight = state.nodeWeight;
  let nodeCount = 1;
  let rootWeight = 0;
  while (state.stackSize > 0) {
    state.stackSize--;
    const e = 4 * state.stackSize;
    const start = state.stack[e]!;
    const end = state.stack[e + 1]!;
    const depth = state.stack[e + 2]!;
    const node = state.stack[e + 3]!;
    const count = end - start;
    const store = state.store;
    let total = 0;
    let sumSq = 0;
    for (let k = 0; k < K; k++) {
      const c = state.stackWeights[K * state.stackSize + k]!;
      nodeWeight[k] = c;
      store.classWeights[node * K + k] = c;
      total += c;
      sumSq += c * c;
    }
    if (node === 0) rootWeight = total;
    const impurity = 1 - sumSq / (total * total);
    store.feature[node] = -1;
    store.leftChild[node] = -1;
    store.thresholdBin[node] = 0;
    store.missingLeft[node] = 0;
    // 2.220446049250313e-16 is DBL_EPSILON, scikit-learn's purity tolerance.
    if (
      depth >= input.maxDepth ||
      count < input.minSamplesSplit ||
      count < 2 * input.minSamplesLeaf ||
      impurity <= 2.220446049250313e-16 ||
      findSplit(state, start, end, total) < 0 // every feature constant, or none honours minSamplesLeaf
    ) {
      continue;
    }
    if (nodeCount + 2 > store.capacity) growNodeStore(store, K);
    const mid = splitNode(state, node, nodeCount, start, end, total, impurity);
    pushChildren(state, start, mid, end, depth + 1, nodeCount);
    nodeCount += 2;
  }
  const { store } = state;
  return {
    treeIndex,
    nodeCount,
    feature: store.feature.slice(0, nodeCount),
    thresholdBin: store.thresholdBin.slice(0, nodeCount),
    leftChild: store.leftChild.slice(0, nodeCount),
    missingLeft: store.missingLeft.slice(0, nodeCount),
    classWeights: store.classWeights.slice(0, nodeCount * K),
    categoryBits: store.categoryBits.slice(0, 8 * store.categorySlots),
    impurityDecrease: state.impurityDecrease,
    rootWeight,
  };
}

/**
 * A training job for a tree-growing worker: the input (shared memory, no copy) and a shared
 * counter of the next tree to grow. Every worker of the job takes tree indices from the counter
 * until it passes `nTrees`, so the workers never wait for the main thread between trees (a main
 * thread busy with a check or a batch of predictions used to leave them idle); the main thread
 * ends a job early by setting the counter to `nTrees`.
 */
export interface TrainingRequest {
  kind: 'job';
  input: KernelInput;
  next: Int32Array;
  nTrees: number;
}

/** A worker's answer: one tree, or the error that stopped it. */
export type TrainingReply = GrownTree | { treeIndex: number; error: string };

/** Minimal view of a worker's `parentPort`, so the kernel stays free of Node imports. */
export interface KernelPort {
  on(event: 'message', listener: (message: TrainingRequest) => void): void;
  postMessage(message: TrainingReply, transfer?: ArrayBuffer[]): void;
}

/**
 * Worker loop: for each job, grows the trees whose indices it takes from the job's counter and
 * sends each back as it is done (transferring its buffers); after an error it sends the error and
 * takes no more. The worker outlives a training job (see TrainingPool in train.ts), so its
 * compiled code stays warm for the next one; which worker grows a tree has no effect on the tree.
 */
export function serveTrees(port: KernelPort): void {
  port.on('message', ({ input, next, nTrees }) => {
    for (let treeIndex = Atomics.add(next, 0, 1); treeIndex < nTrees; treeIndex = Atomics.add(next, 0, 1)) {
      let tree: GrownTree;
      try {
        tree = growTree(input, treeIndex);
      } catch (error) {
        port.postMessage({ treeIndex, error: error instanceof Error ? error.message : String(error) });
        return;
      }
      port.postMessage(tree, [
        tree.feature.buffer as ArrayBuffer,
        tree.thresholdBin.buffer as ArrayBuffer,
        tree.leftChild.buffer as ArrayBuffer,
        tree.missingLeft.buffer as ArrayBuffer,
        tree.classWeights.buffer as ArrayBuffer,
        tree.categoryBits.buffer as ArrayBuffer,
        tree.impurityDecrease.buffer as ArrayBuffer,
      ]);
    }
  });
}

/** Every function the worker source must contain, in dependency order. */
export const KERNEL_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  treeRngState,
  nextUint32,
  randomBelow,
  histogramBatchLimit,
  createSplitWorkspace,
  sparseNodeLimit,
  clearOccupied,
  fillHistograms,
  fillHistogramsSparse,
  nextBin,
  scanHistogram,
  scanFewClasses,
  scanManyClasses,
  takeMissingBin,
  trySplit,
  scanNumericMissing,
  rankClasses,
  scanCategorical,
  sortCategories,
  scanCategoryPrefixes,
  recordCategories,
  createNodeStore,
  growNodeStore,
  addCategorySlot,
  partitionSamples,
  partitionByCategory,
  createTreeState,
  findSplit,
  splitNode,
  pushChildren,
  growTree,
  serveTrees,
];
