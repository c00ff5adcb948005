import { DriftInputError } from './errors.ts';
import { logGamma, normalCdf, regularizedBeta } from './special.ts';

/** Which bound(s) a confidence interval gives: both, only an upper bound, only a lower bound. */
export type Alternative = 'two-sided' | 'less' | 'greater';

export interface ProportionInterval {
  lower: number;
  upper: number;
}

function checkCount(what: string, k: number, n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new DriftInputError(`${what}: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new DriftInputError(`${what}: k must be an integer in [0, n = ${n}], got ${k}`);
  }
}

function checkConfidence(what: string, confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new DriftInputError(`${what}: confidence must be in (0, 1), got ${confidence}`);
  }
}

/**
 * The standard normal quantile Φ⁻¹(p) (scipy.special.ndtri): Acklam's rational approximation
 * refined by one Halley step on the exact CDF, which brings it to full double precision.
 */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  let x: number;
  if (p < 0.02425) x = tail(Math.sqrt(-2 * Math.log(p)));
  else if (p > 1 - 0.02425) x = -tail(Math.sqrt(-2 * Math.log(1 - p)));
  else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  // Halley step: e = Φ(x) - p (from the side with the smaller tail, for precision).
  const e = p < 0.5 ? normalCdf(x) - p : 1 - p - normalCdf(-x);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * The quantile of the Beta(a, b) distribution (scipy.stats.beta.ppf): bisection on the regularised
 * incomplete beta function, which is monotone, to the last representable digit.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new DriftInputError(`betaQuantile: a and b must be positive, got ${a}, ${b}`);
  if (!(p >= 0 && p <= 1)) throw new DriftInputError(`betaQuantile: p must be in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X <= k) for X ~ Binomial(n, p) (scipy.stats.binom.cdf). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  // P(X <= k) = I_{1-p}(n - k, k + 1).
  return regularizedBeta(1 - p, n - k, k + 1, p);
}

/** P(X >= k) for X ~ Binomial(n, p) (scipy.stats.binom.sf(k - 1, n, p)). */
export function binomialAtLeast(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X >= k) = I_p(k, n - k + 1).
  return regularizedBeta(p, k, n - k + 1, 1 - p);
}

/**
 * Wilson score interval for a proportion k/n, without continuity correction, exactly as
 * scipy.stats.binomtest(k, n, alternative=...).proportion_ci(confidence, method='wilson'):
 * 'less' gives [0, upper] and 'greater' gives [lower, 1], each with z = Φ⁻¹(confidence).
 */
export function wilsonInterval(
  k: number,
  n: number,
  options: { confidence?: number; alternative?: Alternative } = {},
): ProportionInterval {
  checkCount('wilsonInterval', k, n);
  const confidence = options.confidence ?? 0.95;
  const alternative = options.alternative ?? 'two-sided';
  checkConfidence('wilsonInterval', confidence);
  const z = normalQuantile(alternative === 'two-sided' ? 0.5 + 0.5 * confidence : confidence);
  const p = k / n;
  const denom = 2 * (n + z * z);
  const center = (2 * n * p + z * z) / denom;
  const delta = (z / denom) * Math.sqrt(4 * n * p * (1 - p) + z * z);
  return {
    lower: alternative === 'less' || k === 0 ? 0 : center - delta,
    upper: alternative === 'greater' || k === n ? 1 : center + delta,
  };
}

/**
 * Clopper-Pearson ("exact") interval for a proportion, as scipy's proportion_ci(method='exact'):
 * the bounds are Beta quantiles, so the coverage is at least the confidence for every p.
 */
export function clopperPearsonInterval(
  k: number,
  n: number,
  options: { confidence?: number; alternative?: Alternative } = {},
): ProportionInterval {
  checkCount('clopperPearsonInterval', k, n);
  const confidence = options.confidence ?? 0.95;
  const alternative = options.alternative ?? 'two-sided';
  checkConfidence('clopperPearsonInterval', confidence);
  const alpha = alternative === 'two-sided' ? (1 - confidence) / 2 : 1 - confidence;
  const lower = alternative === 'less' || k === 0 ? 0 : betaQuantile(alpha, k, n - k + 1);
  const upper = alternative === 'greater' || k === n ? 1 : betaQuantile(1 - alpha, k + 1, n - k);
  return { lower, upper };
}

/** log P(X = x) for the hypergeometric law of the top-left cell of a 2×2 table with these margins. */
function logHypergeometric(x: number, row1: number, col1: number, total: number): number {
  const logChoose = (n: number, k: number) => logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  return logChoose(col1, x) + logChoose(total - col1, row1 - x) - logChoose(total, row1);
}

/**
 * Fisher's exact test of a 2×2 table [[a, b], [c, d]], two-sided as scipy.stats.fisher_exact: the
 * probability of every table with the same margins that is no more likely than the observed one.
 */
export function fisherExactTest(a: number, b: number, c: number, d: number): number {
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['c', c],
    ['d', d],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new DriftInputError(`fisherExactTest: ${name} must be a non-negative integer count, got ${v}`);
    }
  }
  const row1 = a + b;
  const col1 = a + c;
  const total = a + b + c + d;
  if (row1 === 0 || col1 === 0 || row1 === total || col1 === total) return 1;
  const lo = Math.max(0, row1 + col1 - total);
  const hi = Math.min(row1, col1);
  const observed = logHypergeometric(a, row1, col1, total);
  // scipy's relative tolerance for "as likely as the observed table".
  const limit = observed + Math.log1p(1e-7);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logHypergeometric(x, row1, col1, total);
    if (lp <= limit) p += Math.exp(lp);
  }
  return Math.min(1, p);
}
