import { type BernoulliCusumDesign, levelShiftTarget } from './cusum-arl.ts';
import { CUSUM_THRESHOLD_TABLE } from './cusum-thresholds.ts';
import { DriftInputError } from './errors.ts';

/**
 * The running state. `runStart` is the index (in outcomes seen) of the first outcome after the
 * statistic last stood at 0: the CUSUM's own estimate of where the rise began.
 */
export interface BernoulliCusumState {
  statistic: number;
  /** Outcomes seen. */
  n: number;
  runStart: number;
  /** Outcomes and errors since `runStart`. */
  runLength: number;
  runErrors: number;
}

export function initialCusumState(n = 0): BernoulliCusumState {
  return { statistic: 0, n, runStart: n, runLength: 0, runErrors: 0 };
}

/**
 * Feeds errors[from..to) to the CUSUM. Stops at the first alarm: `alarmAt` is the index in
 * `errors` of the outcome that crossed h (the state is the one at that outcome), or null.
 */
export function updateBernoulliCusum(
  state: BernoulliCusumState,
  design: BernoulliCusumDesign,
  errors: ArrayLike<number>,
  from = 0,
  to = errors.length,
): { state: BernoulliCusumState; alarmAt: number | null } {
  let { statistic, n, runStart, runLength, runErrors } = state;
  for (let i = from; i < to; i++) {
    const wrong = errors[i]! !== 0;
    statistic += wrong ? design.onError : design.onCorrect;
    n++;
    if (statistic <= 0) {
      statistic = 0;
      runStart = n;
      runLength = 0;
      runErrors = 0;
    } else {
      runLength++;
      if (wrong) runErrors++;
    }
    if (statistic >= design.h) {
      return { state: { statistic, n, runStart, runLength, runErrors }, alarmAt: i };
    }
  }
  return { state: { statistic, n, runStart, runLength, runErrors }, alarmAt: null };
}

export interface CusumThreshold {
  /** Baseline error used (b clamped to the table's range). */
  p0: number;
  p1: number;
  h: number;
  arl0: number;
  /** Expected outcomes to an alarm when the error is exactly p1 (from the same chain). */
  arl1: number;
}

/**
 * h for baseline error b (p1 = levelShiftTarget(b)) and the in-control run length `arl0`, read
 * from the committed table (`cusum-thresholds.ts`, written by scripts/cusum-thresholds.ts) with
 * linear interpolation in b and in log10(ARL₀). b is clamped to the table's range [0.01, 0.9]:
 * below 0.01 the test keeps p0 = 0.01, which only lengthens the real in-control run length.
 */
export function cusumThreshold(b: number, arl0 = 1e6): CusumThreshold {
  if (!(b >= 0 && b < 1))
    throw new DriftInputError(`cusumThreshold: b must be an error rate in [0, 1), got ${b}`);
  const { baselines, arl0s, h, arl1 } = CUSUM_THRESHOLD_TABLE;
  const logs = arl0s.map((a) => Math.log10(a));
  const target = Math.log10(arl0);
  if (!(target >= logs[0]! && target <= logs[logs.length - 1]!)) {
    throw new DriftInputError(
      `cusumThreshold: arl0 must be within the table's ${arl0s[0]}..${arl0s[arl0s.length - 1]}, got ${arl0}`,
    );
  }
  const p0 = Math.min(baselines[baselines.length - 1]!, Math.max(baselines[0]!, b));
  const bracket = (xs: readonly number[], x: number) => {
    let j = 0;
    while (j < xs.length - 2 && x > xs[j + 1]!) j++;
    return { j, t: xs[j + 1] === xs[j] ? 0 : (x - xs[j]!) / (xs[j + 1]! - xs[j]!) };
  };
  const rb = bracket(baselines, p0);
  const ra = bracket(logs, target);
  const at = (table: readonly (readonly number[])[]) => {
    const v = (i: number, k: number) => table[i]![k]!;
    const lo = v(rb.j, ra.j) * (1 - ra.t) + v(rb.j, ra.j + 1) * ra.t;
    const hi = v(rb.j + 1, ra.j) * (1 - ra.t) + v(rb.j + 1, ra.j + 1) * ra.t;
    return lo * (1 - rb.t) + hi * rb.t;
  };
  return { p0, p1: levelShiftTarget(p0), h: at(h), arl0, arl1: at(arl1) };
}
