import { DriftInputError } from './errors.ts';
import { binomialAtLeast, binomialCdf, clopperPearsonInterval, normalQuantile } from './proportions.ts';

/**
 * Two models scored on the same rows: how much better is the challenger, and how sure are we?
 * `difference` = challenger accuracy − champion accuracy on these rows.
 */
export interface PairedComparison {
  n: number;
  /** Rows the challenger got right and the champion wrong. */
  challengerOnly: number;
  /** Rows the champion got right and the challenger wrong. */
  championOnly: number;
  difference: number;
  /** Exact McNemar p-value for "the challenger is better" (binomial test on the discordant pairs). */
  pValueGreater: number;
  /** Exact McNemar p-value for "the challenger is worse". */
  pValueLess: number;
  pValueTwoSided: number;
  /** One-sided lower confidence bound of `difference` at `confidence`. */
  lowerBound: number;
  confidence: number;
}

function toCorrect(values: ArrayLike<number | boolean>, what: string): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) {
      throw new DriftInputError(`${what}[${i}] must be 1/true (right) or 0/false (wrong), got ${String(v)}`);
    }
  }
  return out;
}

/**
 * Exact McNemar test from the discordant counts. The lower bound treats the share of discordant
 * rows as fixed and bounds the challenger's share π of them with Clopper-Pearson:
 * difference ≥ (2·π_lower − 1)·discordant/n. Conservative like the test itself; with no
 * discordant row the models agree everywhere and the bound is 0.
 */
export function mcnemarFromCounts(
  challengerOnly: number,
  championOnly: number,
  n: number,
  options: { confidence?: number } = {},
): PairedComparison {
  const confidence = options.confidence ?? 0.9;
  if (!(confidence > 0 && confidence < 1)) {
    throw new DriftInputError(`mcnemar: confidence must be in (0, 1), got ${confidence}`);
  }
  for (const [name, v] of [
    ['challengerOnly', challengerOnly],
    ['championOnly', championOnly],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new DriftInputError(`mcnemar: ${name} must be a count, got ${v}`);
  }
  const discordant = challengerOnly + championOnly;
  if (!Number.isInteger(n) || n < discordant || n < 1) {
    throw new DriftInputError(`mcnemar: n must be an integer >= the ${discordant} discordant rows, got ${n}`);
  }
  const base = {
    n,
    challengerOnly,
    championOnly,
    confidence,
    difference: (challengerOnly - championOnly) / n,
  };
  if (discordant === 0) {
    return { ...base, pValueGreater: 1, pValueLess: 1, pValueTwoSided: 1, lowerBound: 0 };
  }
  const pValueGreater = binomialAtLeast(challengerOnly, discordant, 0.5);
  const pValueLess = binomialCdf(challengerOnly, discordant, 0.5);
  const tail = Math.min(challengerOnly, championOnly);
  const pValueTwoSided = Math.min(1, 2 * binomialCdf(tail, discordant, 0.5));
  const share = clopperPearsonInterval(challengerOnly, discordant, {
    confidence,
    alternative: 'greater',
  }).lower;
  return {
    ...base,
    pValueGreater,
    pValueLess,
    pValueTwoSided,
    lowerBound: ((2 * share - 1) * discordant) / n,
  };
}

/** {@link mcnemarFromCounts} from per-row correctness (1/true = right) of the two models. */
export function mcnemarTest(
  challengerCorrect: ArrayLike<number | boolean>,
  championCorrect: ArrayLike<number | boolean>,
  options: { confidence?: number } = {},
): PairedComparison {
  if (challengerCorrect.length !== championCorrect.length || challengerCorrect.length === 0) {
    throw new DriftInputError(
      `mcnemar: both models must be scored on the same non-empty rows (got ${challengerCorrect.length} and ${championCorrect.length})`,
    );
  }
  const a = toCorrect(challengerCorrect, 'challengerCorrect');
  const b = toCorrect(championCorrect, 'championCorrect');
  let challengerOnly = 0;
  let championOnly = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) challengerOnly++;
    else if (a[i]! < b[i]!) championOnly++;
  }
  return mcnemarFromCounts(challengerOnly, championOnly, a.length, options);
}

/**
 * Paired difference of balanced accuracy (mean per-class recall) between two models on the same
 * rows, with a one-sided lower bound from the normal approximation: per class, the variance of
 * a paired difference of proportions is (discordant/n_c − d_c²)/n_c; classes weigh 1/K each.
 * Used instead of McNemar when a class is rare, where plain accuracy would let a model that
 * never predicts the minority class win. With `minClassRows`, classes with fewer rows do not
 * weigh (a one-row class would move the difference by ±1/K with a variance of 0).
 */
export function pairedBalancedDifference(
  labels: ArrayLike<number>,
  challengerCorrect: ArrayLike<number | boolean>,
  championCorrect: ArrayLike<number | boolean>,
  options: { confidence?: number; minClassRows?: number } = {},
): { difference: number; lowerBound: number; confidence: number; classes: number } {
  const confidence = options.confidence ?? 0.9;
  const min = options.minClassRows ?? 1;
  const a = toCorrect(challengerCorrect, 'challengerCorrect');
  const b = toCorrect(championCorrect, 'championCorrect');
  if (a.length !== b.length || a.length !== labels.length || a.length === 0) {
    throw new DriftInputError(
      'pairedBalancedDifference: labels and both correctness arrays must have one equal, non-zero length',
    );
  }
  const perClass = new Map<number, { n: number; up: number; down: number }>();
  for (let i = 0; i < a.length; i++) {
    const c = labels[i]!;
    let s = perClass.get(c);
    if (!s) perClass.set(c, (s = { n: 0, up: 0, down: 0 }));
    s.n++;
    if (a[i]! > b[i]!) s.up++;
    else if (a[i]! < b[i]!) s.down++;
  }
  const weighed = [...perClass.values()].filter((s) => s.n >= min);
  const k = weighed.length;
  if (k === 0) return { difference: 0, lowerBound: 0, confidence, classes: 0 };
  let difference = 0;
  let variance = 0;
  for (const s of weighed) {
    const d = (s.up - s.down) / s.n;
    difference += d / k;
    variance += Math.max(0, (s.up + s.down) / s.n - d * d) / s.n / (k * k);
  }
  return {
    difference,
    lowerBound: difference - normalQuantile(confidence) * Math.sqrt(variance),
    confidence,
    classes: k,
  };
}
