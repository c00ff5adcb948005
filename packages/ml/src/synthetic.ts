/**
 * Seeded synthetic classification data with a known labelling rule and known noise, so the
 * Bayes-optimal accuracy is known: tests and the forest benchmark use it. Pure and
 * deterministic: the same options always give the same rows.
 */

/** mulberry32: a small, fast 32-bit PRNG; returns uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Labelling rules over features uniform in [0, 1):
 * - `nonlinear` (3 classes, ≥ 5 features): u = x0·x1 + sin(3·x2), v = x3 + x4²/2;
 *   class 0 if u <= 0.95, else 1 if v <= 0.65, else 2 (about 50 / 24 / 26 %).
 * - `boxes` (3 classes, ≥ 2 features): axis-aligned, so a tree can represent it exactly:
 *   class 0 if x0 < 0.3, else 1 if x1 < 0.6, else 2.
 * Other features carry no signal.
 */
export type SyntheticRule = 'nonlinear' | 'boxes';

export function ruleClass(rule: SyntheticRule, x: ArrayLike<number>, offset = 0): number {
  if (rule === 'boxes') return x[offset]! < 0.3 ? 0 : x[offset + 1]! < 0.6 ? 1 : 2;
  const u = x[offset]! * x[offset + 1]! + Math.sin(3 * x[offset + 2]!);
  const v = x[offset + 3]! + 0.5 * x[offset + 4]! ** 2;
  return u <= 0.95 ? 0 : v <= 0.65 ? 1 : 2;
}

export interface SyntheticOptions {
  nRows: number;
  /** @default 10 */
  nFeatures?: number;
  /** @default 'nonlinear' */
  rule?: SyntheticRule;
  /**
   * Probability that a label is replaced by one of the other classes (uniformly). The rule is
   * then the Bayes-optimal classifier and its expected accuracy is 1 - noise.
   * @default 0.1
   */
  noise?: number;
  /** @default 1 */
  seed?: number;
}

export interface SyntheticDataset {
  /** Row-major, `nRows × nFeatures`. */
  features: Float64Array;
  nRows: number;
  nFeatures: number;
  nClasses: number;
  /** Observed labels (rule plus noise). */
  labels: Int32Array;
  /** What the rule says for each row: the Bayes-optimal prediction. */
  ruleLabels: Int32Array;
}

export function makeSyntheticDataset(options: SyntheticOptions): SyntheticDataset {
  const { nRows, nFeatures = 10, rule = 'nonlinear', noise = 0.1, seed = 1 } = options;
  const nClasses = 3;
  const random = mulberry32(seed);
  const features = new Float64Array(nRows * nFeatures);
  const labels = new Int32Array(nRows);
  const ruleLabels = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    for (let f = 0; f < nFeatures; f++) features[r * nFeatures + f] = random();
    const truth = ruleClass(rule, features, r * nFeatures);
    ruleLabels[r] = truth;
    labels[r] = random() < noise ? (truth + 1 + Math.floor(random() * (nClasses - 1))) % nClasses : truth;
  }
  return { features, nRows, nFeatures, nClasses, labels, ruleLabels };
}

/** Rows [from, to) of a dataset as a new dataset (for train / hold-out splits). */
export function sliceDataset(data: SyntheticDataset, from: number, to: number): SyntheticDataset {
  const F = data.nFeatures;
  return {
    features: data.features.slice(from * F, to * F),
    nRows: to - from,
    nFeatures: F,
    nClasses: data.nClasses,
    labels: data.labels.slice(from, to),
    ruleLabels: data.ruleLabels.slice(from, to),
  };
}

/** Rows as number[][], the other input shape of the public API. */
export function toRowArrays(features: Float64Array, nFeatures: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < features.length / nFeatures; r++) {
    rows.push(Array.from(features.subarray(r * nFeatures, (r + 1) * nFeatures)));
  }
  return rows;
}

/**
 * What changes at `changeAt` in a {@link makeDriftStream}:
 * - `covariate`: the features move (x0..x4, the ones the rule reads, are drawn from [0.3, 1)
 *   instead of [0, 1)) but the labelling rule stays: the older rows still teach the right rule.
 * - `concept`: the features keep their distribution but the rule changes (class k becomes
 *   (k + 1) mod 3): the older rows now teach a wrong rule.
 */
export type DriftKind = 'covariate' | 'concept';

export interface DriftStreamOptions {
  nRows: number;
  /** First row of the new regime. */
  changeAt: number;
  kind: DriftKind;
  /** @default 10 */
  nFeatures?: number;
  /** @default 'nonlinear' */
  rule?: SyntheticRule;
  /** Label noise as in {@link SyntheticOptions}. @default 0.1 */
  noise?: number;
  /** @default 1 */
  seed?: number;
}

/** A stream in serve order (oldest row first) whose regime changes at `changeAt`. */
export function makeDriftStream(options: DriftStreamOptions): SyntheticDataset {
  const { nRows, changeAt, kind, nFeatures = 10, rule = 'nonlinear', noise = 0.1, seed = 1 } = options;
  const nClasses = 3;
  const random = mulberry32(seed);
  const features = new Float64Array(nRows * nFeatures);
  const labels = new Int32Array(nRows);
  const ruleLabels = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    const after = r >= changeAt;
    for (let f = 0; f < nFeatures; f++) {
      const u = random();
      features[r * nFeatures + f] = after && kind === 'covariate' && f < 5 ? 0.3 + 0.7 * u : u;
    }
    const base = ruleClass(rule, features, r * nFeatures);
    const truth = after && kind === 'concept' ? (base + 1) % nClasses : base;
    ruleLabels[r] = truth;
    labels[r] = random() < noise ? (truth + 1 + Math.floor(random() * (nClasses - 1))) % nClasses : truth;
  }
  return { features, nRows, nFeatures, nClasses, labels, ruleLabels };
}
