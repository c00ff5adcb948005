/**
 * Do a model's errors come in bursts? A Bernoulli CUSUM assumes each outcome is an independent
 * draw. On a recorded stream they are not: near-copies of one state follow each other (a sensor
 * sampling it, consecutive periods of a price), and a model that errs on the state errs on every
 * copy. A burst of 17 errors then counts as 17 independent pieces of evidence and crosses a
 * threshold tuned for 10⁶ in-control outcomes, on a stream where nothing changed.
 *
 * The measure: in blocks of `blockSize` outcomes, the runs of errors observed against the runs
 * expected of independent draws at the block's own error rate (p + (m − 1)·p·(1 − p) for m draws).
 * Blocks keep it robust to a change of level: a block at 5 % and one at 90 % each expect their
 * own runs, only the block holding the change is mixed (and so a burst longer than a block is
 * taken for a change of level). When far fewer runs are observed than
 * expected (a one-sided z ≥ `minZ`, the runs taken as Poisson), the errors come in clumps of
 * θ = expected / observed times the independent size, and a sum of clumped outcomes has about
 * 2θ − 1 times the variance of independent ones (geometric clump sizes): the effective number of
 * outcomes is n / (2θ − 1). The CUSUM weighs each outcome by that factor's inverse (from
 * `MIN_BURST_FACTOR` on, at most `cap`).
 */

import { classCounts } from './balanced-accuracy.ts';

export interface ClumpingState {
  /** Outcomes and errors and error runs of the block being filled. */
  blockN: number;
  blockErrors: number;
  blockRuns: number;
  /** The previous outcome of the block (1 = wrong). */
  previous: number;
  /** Over the completed blocks: runs expected of independent draws, and observed. */
  expectedRuns: number;
  observedRuns: number;
  blocks: number;
}

export interface Clumping {
  /** Runs expected of independent draws, and observed, over the completed blocks. */
  expectedRuns: number;
  observedRuns: number;
  /** One-sided z of the deficit of runs (positive: fewer runs than independent draws give). */
  z: number;
  /** Mean clump size against independent draws' (1 when not significant). */
  theta: number;
  /** The variance inflation the CUSUM divides its steps by (1: the outcomes are taken as independent). */
  factor: number;
  /** 2θ − 1 whether or not it reached `MIN_BURST_FACTOR` (1 when not significant). */
  measured: number;
}

export const DEFAULT_CLUMP_BLOCK = 100;

/**
 * A factor under this is taken as 1: clumps under twice the independent size move the CUSUM's
 * run length little, and a real stream's mild dependence (Seattle's rainy spells in the loop
 * benchmark's T7: 1.6–1.9) keeps the test's full power.
 */
export const MIN_BURST_FACTOR = 3;

export function initialClumping(): ClumpingState {
  return {
    blockN: 0,
    blockErrors: 0,
    blockRuns: 0,
    previous: 0,
    expectedRuns: 0,
    observedRuns: 0,
    blocks: 0,
  };
}

/** Adds outcomes (1 = wrong) in serve order. */
export function updateClumping(
  state: ClumpingState,
  errors: ArrayLike<number>,
  blockSize = DEFAULT_CLUMP_BLOCK,
): ClumpingState {
  let { blockN, blockErrors, blockRuns, previous, expectedRuns, observedRuns, blocks } = state;
  for (let i = 0; i < errors.length; i++) {
    const wrong = errors[i] !== 0 ? 1 : 0;
    if (wrong && (blockN === 0 || previous === 0)) blockRuns++;
    blockErrors += wrong;
    blockN++;
    previous = wrong;
    if (blockN === blockSize) {
      const p = blockErrors / blockN;
      expectedRuns += p + (blockN - 1) * p * (1 - p);
      observedRuns += blockRuns;
      blocks++;
      blockN = 0;
      blockErrors = 0;
      blockRuns = 0;
    }
  }
  return { blockN, blockErrors, blockRuns, previous, expectedRuns, observedRuns, blocks };
}

/** The clumping of the outcomes so far, and the factor the CUSUM divides its steps by. */
export function clumpingOf(
  state: ClumpingState,
  options: { minZ?: number; cap?: number; minFactor?: number } = {},
): Clumping {
  const minZ = options.minZ ?? 3;
  const cap = options.cap ?? 25;
  const minFactor = options.minFactor ?? MIN_BURST_FACTOR;
  const { expectedRuns, observedRuns } = state;
  const z = expectedRuns > 0 ? (expectedRuns - observedRuns) / Math.sqrt(expectedRuns) : 0;
  if (!(z >= minZ)) return { expectedRuns, observedRuns, z, theta: 1, factor: 1, measured: 1 };
  const theta = expectedRuns / Math.max(1, observedRuns);
  const factor = Math.min(cap, Math.max(1, 2 * theta - 1));
  return { expectedRuns, observedRuns, z, theta, factor: factor >= minFactor ? factor : 1, measured: factor };
}

export interface LabelRuns {
  /** Labels in the sequence. */
  n: number;
  /** Runs of equal labels observed, and expected of labels drawn independently at the shares. */
  observed: number;
  expected: number;
  /** One-sided z of the deficit of runs (positive: fewer runs than independent labels give). */
  z: number;
  /**
   * Independent rows the sequence is worth: the K independent draws that give the observed runs
   * (1 + (K − 1)·q = runs, q = 1 − Σ p²), at most n.
   */
  worth: number;
}

/**
 * Are a sequence's rows near copies of each other? Labels drawn independently at shares p change
 * between neighbours with probability q = 1 − Σ p² (so 1 + (n − 1)·q runs are expected, with the
 * variance of a sum of one-dependent indicators: (n − 1)·q·(1 − q) + 2(n − 2)(Σ p³ − (Σ p²)²)).
 * A recorded stream holding one state for many rows shows far fewer runs: each state is one draw,
 * and the sequence is worth as many independent rows as states. `shares` are the class shares to
 * expect (the window's), so a slice that sits in one class for all its rows is worth a single
 * draw; without them, the sequence's own.
 */
export function labelRuns(labels: ArrayLike<number>, shares?: ArrayLike<number>): LabelRuns {
  const n = labels.length;
  let observed = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (labels[i] !== labels[i - 1]) observed++;
  const p = shares ? Array.from(shares) : labelShares(labels);
  let s2 = 0;
  let s3 = 0;
  for (const x of p) {
    s2 += x * x;
    s3 += x * x * x;
  }
  const q = 1 - s2;
  const expected = n > 0 ? 1 + (n - 1) * q : 0;
  const variance = n > 1 ? (n - 1) * q * (1 - q) + 2 * Math.max(0, n - 2) * (s3 - s2 * s2) : 0;
  const z = variance > 0 ? (expected - observed) / Math.sqrt(variance) : 0;
  const worth = q > 0 ? Math.min(n, 1 + (observed - 1) / q) : n;
  return { n, observed, expected, z, worth };
}

/** The share of each class among the labels (indexed by class). */
export function labelShares(labels: ArrayLike<number>): number[] {
  const shares: number[] = [];
  for (const [label, count] of classCounts(labels)) shares[label] = count / labels.length;
  return Array.from(shares, (share) => share ?? 0);
}
