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
  /** A sample goes left when its bin is <= this. */
  thresholdBin: Int32Array;
  /** Left child id (right is +1); -1 for a leaf. */
  leftChild: Int32Array;
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
   * `hist[slot * 256 * (K + 1) + bin * (K + 1) + k]`, count at `k = K`.
   * Invariant: all zero between nodes (the scan clears what the histogram pass filled).
   */
  hist: Int32Array;
  leftWeight: Float64Array;
  /** Best split so far at this node: [proxy, feature, thresholdBin, leftTotal, leftCount]. */
  best: Float64Array;
  /** Per class: left-side weight of the best split. */
  bestLeftWeight: Float64Array;
}

/** Workspace for `slots` feature histograms at a time. */
export function createSplitWorkspace(nClasses: number, slots: number): SplitWorkspace {
  return {
    hist: new Int32Array(slots * 256 * (nClasses + 1)),
    leftWeight: new Float64Array(nClasses),
    best: new Float64Array(5),
    bestLeftWeight: new Float64Array(nClasses),
  };
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
 * Scans the histogram in `slot` (feature `f`) bin by bin, evaluating every split "bin <= b"
 * between two non-empty bins, records it in `ws.best` when its Gini proxy beats the best so
 * far, and zeroes the slot. Returns false when the feature is constant in the node (one
 * non-empty bin); such a feature does not count towards maxFeatures.
 */
export function scanHistogram(
  input: KernelInput,
  ws: SplitWorkspace,
  slot: number,
  f: number,
  nodeWeight: Float64Array,
  nodeTotal: number,
  nodeCount: number,
): boolean {
  const K = input.nClasses;
  const S = K + 1;
  const minSamplesLeaf = input.minSamplesLeaf;
  const { hist, leftWeight, best } = ws;
  const base = slot * 256 * S;
  const nBins = input.binCounts[f]!;
  const bestLeftWeight = ws.bestLeftWeight;
  const classWeight = input.classWeight;
  for (let k = 0; k < K; k++) leftWeight[k] = 0;
  let leftCount = 0;
  let leftTotal = 0;
  let previous = -1; // last non-empty bin, already added to the left side
  let nonEmpty = 0;
  let searching = true;
  for (let b = 0; b < nBins; b++) {
    const o = base + b * S;
    const c = hist[o + K]!;
    if (c === 0) continue;
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
  return nonEmpty > 1;
}

/** Growable node arrays of one tree (see {@link GrownTree} for their meaning). */
export interface NodeStore {
  capacity: number;
  feature: Int32Array;
  thresholdBin: Int32Array;
  leftChild: Int32Array;
  classWeights: Float64Array;
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
  const classWeights = new Float64Array(capacity * nClasses);
  classWeights.set(store.classWeights);
  store.capacity = capacity;
  store.feature = feature;
  store.thresholdBin = thresholdBin;
  store.leftChild = leftChild;
  store.classWeights = classWeights;
}

/**
 * Stable partition of samples[start, end): those with bin <= thresholdBin on `feature` first,
 * both sides keeping their order. Samples start sorted, so every node's samples stay sorted and
 * the histogram pass reads bins, labels and weights in increasing address order, which the
 * hardware prefetcher follows (a swap partition scrambles them and is markedly slower).
 * Returns the boundary.
 */
export function partitionSamples(
  input: KernelInput,
  samples: Int32Array,
  scratch: Int32Array,
  start: number,
  end: number,
  feature: number,
  thresholdBin: number,
): number {
  const bins = input.bins;
  const base = feature * input.nSamples;
  let left = start;
  let right = 0;
  // Branch-free: the comparison is a coin toss to the branch predictor.
  for (let i = start; i < end; i++) {
    const s = samples[i]!;
    const goesLeft = +(bins[base + s]! <= thresholdBin);
    samples[left] = s;
    scratch[right] = s;
    left += goesLeft;
    right += 1 - goesLeft;
  }
  samples.set(scratch.subarray(0, right), left);
  return left;
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
  const { labels, nSamples, nFeatures, nClasses: K } = input;
  const { maxDepth, minSamplesLeaf, minSamplesSplit, maxFeatures } = input;
  const rng = treeRngState(input.seed, treeIndex);

  // Bootstrap: n draws with replacement become integer weights; only drawn samples take part.
  const weight = new Int32Array(nSamples);
  if (input.bootstrap) {
    for (let i = 0; i < nSamples; i++) weight[randomBelow(rng, nSamples)]!++;
  } else {
    weight.fill(1);
  }
  let nDrawn = 0;
  const labelWeight = new Int32Array(nSamples);
  for (let i = 0; i < nSamples; i++) {
    const w = weight[i]!;
    if (w === 0) continue;
    // A count of 65536 needs n >= 65536 and about 1/65536! luck: it cannot happen in practice.
    if (w > 0xffff) throw new Error(`bootstrap count ${w} of sample ${i} exceeds 65535`);
    labelWeight[i] = (w << 16) | labels[i]!;
    nDrawn++;
  }
  const samples = new Int32Array(nDrawn); // ascending
  const scratch = new Int32Array(nDrawn);
  for (let i = 0, j = 0; i < nSamples; i++) if (weight[i]! > 0) samples[j++] = i;

  // A binary tree over nDrawn samples has fewer than 2 × nDrawn nodes; start small, double.
  const initial = Math.min(2 * nDrawn + 1, 1024);
  const store: NodeStore = {
    capacity: initial,
    feature: new Int32Array(initial),
    thresholdBin: new Int32Array(initial),
    leftChild: new Int32Array(initial),
    classWeights: new Float64Array(initial * K),
  };
  const impurityDecrease = new Float64Array(nFeatures);
  const batchLimit = Math.min(histogramBatchLimit(), maxFeatures);
  const ws = createSplitWorkspace(K, batchLimit);
  const { best, bestLeftWeight } = ws;
  const featureOrder = new Int32Array(nFeatures);
  for (let f = 0; f < nFeatures; f++) featureOrder[f] = f;

  // Depth-first stack of pending nodes: (start, end, depth, nodeId) plus the node's class
  // weights, known from the parent's split. It never holds more than depth + 1 entries.
  let stackCapacity = 64;
  let stack = new Int32Array(4 * stackCapacity);
  let stackWeights = new Float64Array(K * stackCapacity);
  for (let i = 0; i < nDrawn; i++) {
    const s = samples[i]!;
    const k = labels[s]!;
    stackWeights[k] = stackWeights[k]! + weight[s]! * input.classWeight[k]!;
  }
  stack[1] = nDrawn; // root: start 0, end nDrawn, depth 0, node 0
  let stackSize = 1;
  let nodeCount = 1;
  let rootWeight = 0;
  const nodeWeight = new Float64Array(K);

  while (stackSize > 0) {
    stackSize--;
    const start = stack[4 * stackSize]!;
    const end = stack[4 * stackSize + 1]!;
    const depth = stack[4 * stackSize + 2]!;
    const node = stack[4 * stackSize + 3]!;
    const count = end - start;

    let total = 0;
    let sumSq = 0;
    const classWeights = store.classWeights;
    for (let k = 0; k < K; k++) {
      const c = stackWeights[K * stackSize + k]!;
      nodeWeight[k] = c;
      classWeights[node * K + k] = c;
      total += c;
      sumSq += c * c;
    }
    if (node === 0) rootWeight = total;
    const impurity = 1 - sumSq / (total * total);
    store.feature[node] = -1;
    store.leftChild[node] = -1;
    store.thresholdBin[node] = 0;

    // 2.220446049250313e-16 is DBL_EPSILON, scikit-learn's purity tolerance.
    if (
      depth >= maxDepth ||
      count < minSamplesSplit ||
      count < 2 * minSamplesLeaf ||
      impurity <= 2.220446049250313e-16
    ) {
      continue;
    }

    best[0] = Number.NEGATIVE_INFINITY;
    best[1] = -1;
    // Draw features without replacement (lazy Fisher-Yates) until maxFeatures non-constant
    // ones were examined. Each round draws only as many as are still needed, so the features
    // examined and the random draws are those of a one-at-a-time search.
    let nonConstant = 0;
    let drawn = 0;
    while (nonConstant < maxFeatures && drawn < nFeatures) {
      const round = Math.min(maxFeatures - nonConstant, nFeatures - drawn, batchLimit);
      for (let q = drawn; q < drawn + round; q++) {
        const r = q + randomBelow(rng, nFeatures - q);
        const f = featureOrder[r]!;
        featureOrder[r] = featureOrder[q]!;
        featureOrder[q] = f;
      }
      fillHistograms(input, ws.hist, samples, labelWeight, start, end, featureOrder, drawn, drawn + round);
      for (let q = 0; q < round; q++) {
        if (scanHistogram(input, ws, q, featureOrder[drawn + q]!, nodeWeight, total, count)) nonConstant++;
      }
      drawn += round;
    }
    const bestFeature = best[1]!;
    if (bestFeature < 0) continue; // every feature constant, or no split honours minSamplesLeaf
    const bestBin = best[2]!;
    const leftTotal = best[3]!;

    // The split's weighted impurity decrease: scikit-learn's feature importance term.
    const rightTotal = total - leftTotal;
    let sl = 0;
    let sr = 0;
    for (let k = 0; k < K; k++) {
      const l = bestLeftWeight[k]!;
      const r = nodeWeight[k]! - l;
      sl += l * l;
      sr += r * r;
    }
    impurityDecrease[bestFeature]! +=
      total * impurity -
      leftTotal * (1 - sl / (leftTotal * leftTotal)) -
      rightTotal * (1 - sr / (rightTotal * rightTotal));

    const mid = partitionSamples(input, samples, scratch, start, end, bestFeature, bestBin);

    if (nodeCount + 2 > store.capacity) growNodeStore(store, K);
    const left = nodeCount;
    nodeCount += 2;
    store.feature[node] = bestFeature;
    store.thresholdBin[node] = bestBin;
    store.leftChild[node] = left;

    if (stackSize + 2 > stackCapacity) {
      stackCapacity *= 2;
      const biggerStack = new Int32Array(4 * stackCapacity);
      biggerStack.set(stack);
      stack = biggerStack;
      const biggerWeights = new Float64Array(K * stackCapacity);
      biggerWeights.set(stackWeights);
      stackWeights = biggerWeights;
    }
    // Push right first so the left subtree is grown first (scikit-learn's order).
    let e = 4 * stackSize;
    stack[e] = mid;
    stack[e + 1] = end;
    stack[e + 2] = depth + 1;
    stack[e + 3] = left + 1;
    stack[e + 4] = start;
    stack[e + 5] = mid;
    stack[e + 6] = depth + 1;
    stack[e + 7] = left;
    e = K * stackSize;
    for (let k = 0; k < K; k++) {
      const l = bestLeftWeight[k]!;
      stackWeights[e + k] = nodeWeight[k]! - l;
      stackWeights[e + K + k] = l;
    }
    stackSize += 2;
  }

  return {
    treeIndex,
    nodeCount,
    feature: store.feature.slice(0, nodeCount),
    thresholdBin: store.thresholdBin.slice(0, nodeCount),
    leftChild: store.leftChild.slice(0, nodeCount),
    classWeights: store.classWeights.slice(0, nodeCount * K),
    impurityDecrease,
    rootWeight,
  };
}

/** Minimal view of a worker's `parentPort`, so the kernel stays free of Node imports. */
export interface KernelPort {
  on(event: 'message', listener: (message: { treeIndex: number } | { stop: true }) => void): void;
  postMessage(message: GrownTree, transfer: ArrayBuffer[]): void;
  close(): void;
}

/**
 * Worker loop: grows the tree the main thread asks for, sends it back (transferring its
 * buffers), and waits for the next request. The main thread hands out tree indices one at a
 * time, which balances load; which worker grows a tree has no effect on the tree.
 */
export function serveTrees(port: KernelPort, input: KernelInput): void {
  port.on('message', (message) => {
    if ('stop' in message) {
      port.close();
      return;
    }
    const tree = growTree(input, message.treeIndex);
    port.postMessage(tree, [
      tree.feature.buffer as ArrayBuffer,
      tree.thresholdBin.buffer as ArrayBuffer,
      tree.leftChild.buffer as ArrayBuffer,
      tree.classWeights.buffer as ArrayBuffer,
      tree.impurityDecrease.buffer as ArrayBuffer,
    ]);
  });
}

/** Every function the worker source must contain, in dependency order. */
export const KERNEL_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  treeRngState,
  nextUint32,
  randomBelow,
  histogramBatchLimit,
  createSplitWorkspace,
  fillHistograms,
  scanHistogram,
  growNodeStore,
  partitionSamples,
  growTree,
  serveTrees,
];
