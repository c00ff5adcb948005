/**
 * Special functions behind the p-values.
 *
 * Each survival function is computed directly in the tail that matters instead of as `1 - cdf`, because
 * `1 - cdf` is exactly 0 below ~1e-17 and drift decisions (and multiple-testing corrections) compare
 * p-values far smaller than that. The algorithms follow the ones scipy 1.10 uses (Cephes for the normal
 * distribution, Simard & L'Ecuyer's selection for the finite-n Kolmogorov distribution) so that values
 * agree with scipy's to many digits, not only to the tolerance of the tests.
 */

const MAXLOG = 709.782712893384;
const LOG_SQRT_2PI = 0.9189385332046728;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const DBL_EPSILON = 2.220446049250313e-16;
/** Tiny positive number used by the modified Lentz algorithm to avoid division by zero. */
const LENTZ_TINY = 1e-300;

function polevl(x: number, coef: readonly number[]): number {
  let ans = coef[0]!;
  for (let i = 1; i < coef.length; i++) ans = ans * x + coef[i]!;
  return ans;
}

/** Like {@link polevl} with an implicit leading coefficient of 1. */
function p1evl(x: number, coef: readonly number[]): number {
  let ans = x + coef[0]!;
  for (let i = 1; i < coef.length; i++) ans = ans * x + coef[i]!;
  return ans;
}

// Cephes ndtr.c rational approximations (the ones scipy.special.ndtr uses).
const ERFC_P = [
  2.461969814735305e-10, 0.5641895648310689, 7.463210564422699, 48.63719709856814, 196.5208329560771,
  526.4451949954773, 934.5285271719576, 1027.5518868951572, 557.5353353693994,
];
const ERFC_Q = [
  13.228195115474499, 86.70721408859897, 354.9377788878199, 975.7085017432055, 1823.9091668790973,
  2246.3376081871097, 1656.6630919416134, 557.5353408177277,
];
const ERFC_R = [
  0.5641895835477551, 1.275366707599781, 5.019050422511805, 6.160210979930536, 7.4097426995044895,
  2.9788666537210022,
];
const ERFC_S = [
  2.2605286322011726, 9.396035249380015, 12.048953980809666, 17.08144507475659, 9.608968090632859,
  3.369076451000815,
];
const ERF_T = [9.604973739870516, 90.02601972038427, 2232.005345946843, 7003.325141128051, 55592.30130103949];
const ERF_U = [
  33.56171416475031, 521.3579497801527, 4594.323829709801, 22629.000061389095, 49267.39426086359,
];

/** Error function, accurate to a few ulps (Cephes). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return -erf(-x);
  if (x > 1) return 1 - erfc(x);
  const z = x * x;
  return (x * polevl(z, ERF_T)) / p1evl(z, ERF_U);
}

/** Complementary error function with full relative accuracy in the upper tail (Cephes). */
export function erfc(a: number): number {
  if (Number.isNaN(a)) return Number.NaN;
  const x = Math.abs(a);
  if (x < 1) return 1 - erf(a);
  const z = -a * a;
  if (z < -MAXLOG) return a < 0 ? 2 : 0;
  const ez = Math.exp(z);
  let p: number;
  let q: number;
  if (x < 8) {
    p = polevl(x, ERFC_P);
    q = p1evl(x, ERFC_Q);
  } else {
    p = polevl(x, ERFC_R);
    q = p1evl(x, ERFC_S);
  }
  let y = (ez * p) / q;
  if (a < 0) y = 2 - y;
  if (y === 0) return a < 0 ? 2 : 0;
  return y;
}

/** Standard normal CDF Φ(z), accurate in the lower tail down to ~1e-308. */
function ndtr(a: number): number {
  const x = a * Math.SQRT1_2;
  const z = Math.abs(x);
  if (z < Math.SQRT1_2) return 0.5 + 0.5 * erf(x);
  const y = 0.5 * erfc(z);
  return x > 0 ? 1 - y : y;
}

function checkScale(sd: number, what: string): void {
  if (!(sd > 0) || !Number.isFinite(sd)) {
    throw new RangeError(`${what}: standard deviation must be a positive finite number, got ${sd}`);
  }
}

/**
 * Normal cumulative distribution function P(X <= x) for X ~ N(mean, sd²).
 * @param mean @default 0
 * @param sd @default 1
 */
export function normalCdf(x: number, mean = 0, sd = 1): number {
  checkScale(sd, 'normalCdf');
  return ndtr((x - mean) / sd);
}

/**
 * Normal survival function P(X > x) for X ~ N(mean, sd²), computed directly (not as 1 - cdf) so that
 * it keeps full relative accuracy in the upper tail.
 * @param mean @default 0
 * @param sd @default 1
 */
export function normalSf(x: number, mean = 0, sd = 1): number {
  checkScale(sd, 'normalSf');
  return ndtr(-(x - mean) / sd);
}

/** Stirling's series remainder log Γ(x) - [(x - ½) log x - x + ½ log 2π], for x >= 10. */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 *
            (1 / 1260 +
              r2 *
                (-1 / 1680 +
                  r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** Natural logarithm of the gamma function for x > 0 (relative error ~1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (x === 1 || x === 2) return 0;
  let shifted = x;
  let product = 1;
  // Shift into the range where Stirling's series with 8 terms is accurate to double precision.
  while (shifted < 10) {
    product *= shifted;
    shifted += 1;
  }
  const stirling = (shifted - 0.5) * Math.log(shifted) - shifted + LOG_SQRT_2PI + stirlingCorrection(shifted);
  return product === 1 ? stirling : stirling - Math.log(product);
}

/** log(1 + d) - d without the cancellation of the naive formula for small |d|. */
function log1pmx(d: number): number {
  if (Math.abs(d) >= 0.5) return Math.log1p(d) - d;
  // Alternating series sum_{k>=2} (-1)^(k+1) d^k / k; |d| < 0.5 so it converges geometrically.
  let power = d * d;
  let sum = 0;
  let sign = -1;
  for (let k = 2; k < 200; k++) {
    const term = (sign * power) / k;
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
    power *= d;
    sign = -sign;
  }
  return sum;
}

/**
 * x^a e^-x / Γ(a), the common factor of both incomplete gamma functions. For large a the naive
 * exp(a log x - x - log Γ(a)) subtracts numbers of size a log a; the Stirling form keeps it accurate.
 */
function gammaPrefactor(a: number, x: number): number {
  if (a >= 10) {
    return Math.sqrt(a / (2 * Math.PI)) * Math.exp(a * log1pmx((x - a) / a) - stirlingCorrection(a));
  }
  return Math.exp(a * Math.log(x) - x - logGamma(a));
}

function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 100000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * DBL_EPSILON) break;
  }
  return sum * gammaPrefactor(a, x);
}

function upperGammaContinuedFraction(a: number, x: number): number {
  // Modified Lentz evaluation of the Legendre continued fraction for Γ(a, x).
  let b = x + 1 - a;
  let c = 1 / LENTZ_TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = b + an / c;
    if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < DBL_EPSILON) break;
  }
  return h * gammaPrefactor(a, x);
}

/** Regularized lower incomplete gamma function P(a, x). */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? lowerGammaSeries(a, x) : 1 - upperGammaContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate when it is tiny. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - lowerGammaSeries(a, x) : upperGammaContinuedFraction(a, x);
}

function checkDegreesOfFreedom(df: number, what: string): void {
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new RangeError(`${what}: degrees of freedom must be a positive finite number, got ${df}`);
  }
}

/** Chi-square cumulative distribution function P(X <= x), X ~ χ²(df). */
export function chiSquareCdf(x: number, df: number): number {
  checkDegreesOfFreedom(df, 'chiSquareCdf');
  return gammaP(df / 2, x / 2);
}

/** Chi-square survival function P(X > x), X ~ χ²(df), with full relative accuracy in the tail. */
export function chiSquareSf(x: number, df: number): number {
  checkDegreesOfFreedom(df, 'chiSquareSf');
  return gammaQ(df / 2, x / 2);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < LENTZ_TINY) d = LENTZ_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < LENTZ_TINY) c = LENTZ_TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < DBL_EPSILON) break;
  }
  return h;
}

/**
 * Regularized incomplete beta function I_x(a, b). `xc` is 1 - x; pass it when it is known more
 * accurately than `1 - x` (e.g. t² / (df + t²) for Student's t).
 */
export function regularizedBeta(x: number, a: number, b: number, xc = 1 - x): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (xc <= 0) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(xc);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, xc)) / b;
}

/** Student's t cumulative distribution function P(T <= t), T ~ t(df). */
export function studentTCdf(t: number, df: number): number {
  checkDegreesOfFreedom(df, 'studentTCdf');
  if (Number.isNaN(t)) return Number.NaN;
  if (t === 0) return 0.5;
  const t2 = t * t;
  // P(|T| > |t|) / 2 = I_{df/(df+t²)}(df/2, 1/2) / 2; both arguments are formed without cancellation.
  const tail = 0.5 * regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
  return t < 0 ? tail : 1 - tail;
}

/** Student's t survival function P(T > t), T ~ t(df), accurate in the upper tail. */
export function studentTSf(t: number, df: number): number {
  return studentTCdf(-t, df);
}

// ---------------------------------------------------------------------------------------------------
// Kolmogorov distributions
// ---------------------------------------------------------------------------------------------------

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** Below this x, exp(-π²/(8x²)) underflows and the limiting CDF is 0 (scipy's cut-off). */
const KOLMOGOROV_MIN_X = Math.PI / Math.sqrt(746 * 8);
/** Switch-over between the two theta-function series (scipy's KOLMOG_CUTOVER). */
const KOLMOGOROV_CUTOVER = 0.82;

function kolmogorovLimit(x: number): { sf: number; cdf: number } {
  if (Number.isNaN(x)) return { sf: Number.NaN, cdf: Number.NaN };
  if (x <= KOLMOGOROV_MIN_X) return { sf: 1, cdf: 0 };
  if (x <= KOLMOGOROV_CUTOVER) {
    // P(K <= x) = sqrt(2π)/x Σ_k exp(-(2k-1)²π²/(8x²)), summed with u = exp(-π²/(8x²)).
    const w = SQRT_2PI / x;
    const logu8 = (-Math.PI * Math.PI) / (x * x);
    const u = Math.exp(logu8 / 8);
    let cdf: number;
    if (u === 0) {
      cdf = Math.exp(logu8 / 8 + Math.log(w));
    } else {
      const u8 = Math.exp(logu8);
      const u8cubed = u8 ** 3;
      let p = 1;
      p = 1 + u8cubed * p;
      p = 1 + u8 * u8 * p;
      p = 1 + u8 * p;
      cdf = w * u * p;
    }
    return { sf: clip01(1 - cdf), cdf: clip01(cdf) };
  }
  // P(K > x) = 2 Σ_k (-1)^(k-1) exp(-2k²x²) = 2v(1 - v³(1 - v⁵(1 - v⁷))) with v = exp(-2x²).
  const v = Math.exp(-2 * x * x);
  const v3 = v ** 3;
  let p = 1;
  p = 1 - v3 * v3 * v * p;
  p = 1 - v3 * v * v * p;
  p = 1 - v3 * p;
  const sf = 2 * v * p;
  return { sf: clip01(sf), cdf: clip01(1 - sf) };
}

/**
 * Survival function of Kolmogorov's limiting distribution, P(K > x) where K = lim sqrt(n)·D_n
 * (scipy.special.kolmogorov).
 */
export function kolmogorovSf(x: number): number {
  return kolmogorovLimit(x).sf;
}

/** CDF of Kolmogorov's limiting distribution, P(K <= x) (scipy.special.kolmogc). */
export function kolmogorovCdf(x: number): number {
  return kolmogorovLimit(x).cdf;
}

const SPLITTER = 134217729; // 2^27 + 1, Dekker's splitting constant.

/** Rounding error of the product a*b (so a*b = p + error exactly), by Dekker's TwoProduct. */
function productError(a: number, b: number, p: number): number {
  let c = SPLITTER * a;
  const ah = c - (c - a);
  const al = a - ah;
  c = SPLITTER * b;
  const bh = c - (c - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** floor(n·x) and the fractional part n·x - floor(n·x), computed from the exact product. */
function floorOfProduct(n: number, x: number): { floor: number; fraction: number } {
  const p = n * x;
  const e = productError(n, x, p);
  let floor = Math.floor(p);
  let fraction: number;
  if (floor === p) {
    if (e < 0) {
      floor -= 1;
      fraction = 1 + e;
    } else {
      fraction = e;
    }
  } else {
    fraction = p - floor + e;
  }
  if (fraction >= 1) {
    floor += 1;
    fraction = 0;
  }
  return { floor, fraction };
}

/** exp() of anything below this is 0 (scipy's MINLOG with denormals). */
const MINLOG = -745.1332191019412;

/**
 * One-sided Kolmogorov-Smirnov survival function P(D_n+ >= x) for a sample of size n
 * (scipy.special.smirnov), by the Smirnov / Birnbaum-Tingey sum evaluated in log space.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(Number.isInteger(n) && n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { floor: nxFloor, fraction: alpha } = floorOfProduct(n, x);
  // Last index of the lower sum; when n·x is an integer the final term is 0 and is left out.
  let lastTerm = n - nxFloor - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastTerm -= 1;
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    return clip01(1 - x * (1 + x) ** (n - 1));
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxFloor >= n - 1) return clip01((1 - x) ** n);
  if (n > 1_000_000) {
    // Far outside any sample size this package sees; scipy's closed-form approximation.
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Term v = C(n, v) x (x + v/n)^(v-1) (1 - x - v/n)^(n-v); the v = 0 term is (1 - x)^n.
  let sum = (1 - x) ** n;
  let logBinomial = 0;
  const halfN = Math.floor(n / 2);
  const nTerms = lastTerm + 1;
  for (let v = 1; v < nTerms; v++) {
    logBinomial += Math.log((n - v + 1) / v);
    const upper = x + v / n;
    const lower = (n - v) / n - x;
    const term =
      lower > 0 ? x * Math.exp(logBinomial + (v - 1) * Math.log(upper) + (n - v) * Math.log(lower)) : 0;
    sum += term;
    if (term !== 0) {
      // The terms past the peak decrease geometrically: stop once the rest cannot change the sum.
      if (4 * (nTerms - v) * term < DBL_EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > halfN) {
      break;
    }
  }
  return clip01(sum);
}

const E128 = 2 ** 128;
const EM128 = 2 ** -128;

function ldexp(x: number, exponent: number): number {
  let e = exponent;
  let y = x;
  while (e > 1000) {
    y *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    y *= 2 ** -1000;
    e += 1000;
  }
  return y * 2 ** e;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const rowB = k * m;
      const rowOut = i * m;
      for (let j = 0; j < m; j++) out[rowOut + j]! += aik * b[rowB + j]!;
    }
  }
  return out;
}

/** P(D_n <= d) by Durbin's matrix algorithm in the Marsaglia-Tsang-Wang formulation. */
function kolmogornDurbinMatrix(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * factorial;
  let H: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let power: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) power[i * m + i] = 1;
  let nn = n;
  let exponent = 0;
  let hExponent = 0;
  while (nn > 0) {
    if (nn % 2 === 1) {
      power = matmul(power, H, m);
      exponent += hExponent;
    }
    H = matmul(H, H, m);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > E128) {
      for (let i = 0; i < H.length; i++) H[i]! /= E128;
      hExponent += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  // Multiply by n!/n^n, rescaling to stay inside the double range.
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return exponent !== 0 ? ldexp(p, exponent) : p;
}

function pomeranzBounds(
  i: number,
  n: number,
  ll: number,
  ceilf: number,
  roundf: number,
): [start: number, end: number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Python-style slice of a typed array (negative indices count from the end, bounds clamp). */
function pySlice(a: Float64Array, start: number, end: number): Float64Array {
  return a.slice(start, end);
}

function convolveFull(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    for (let j = 0; j < b.length; j++) out[i + j]! += ai * b[j]!;
  }
  return out;
}

/** P(D_n <= x) by Pomeranz's recursion (exact, for small n). */
function kolmogornPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let exponent = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 === 1 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const conv = convolveFull(pySlice(V0, k1 - V0s, k1 - V0s + ln2), pwrs.subarray(0, ln2));
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let max = Number.NEGATIVE_INFINITY;
      for (let q = 0; q < convLen; q++) V1[q] = conv[convStart + q]!;
      for (let q = 0; q < V1.length; q++) if (V1[q]! > max) max = V1[q]!;
      if (max > 0 && max < EM128) {
        for (let q = 0; q < V1.length; q++) V1[q]! *= E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      exponent += 128;
    }
    ans *= m;
  }
  return exponent !== 0 ? ldexp(ans, exponent) : ans;
}

const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const SQRT3 = Math.sqrt(3);

/** Pelz-Good asymptotic approximation of P(D_n <= x) (or its complement when `cdf` is false). */
function kolmogornPelzGood(n: number, x: number, cdf: boolean): number {
  if (x <= 0) return cdf ? 0 : 1;
  if (x >= 1) return cdf ? 1 : 0;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI_SQUARED / 8 / z2;
  if (qlog < -708) return cdf ? 0 : 1;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = q ** (8 * k);
    K[0] = K[0]! * qpower + 1;
    K[1] = K[1]! * qpower + (k1a + k1b * m2);
    K[2] = K[2]! * qpower + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3]! * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  q = Math.exp(-PI_SQUARED / 2 / z2);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qp;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qp;
  }
  K[2] = K[2]! + (k2extra * PI_SQUARED * SQRT_2PI) / (-36 * z3);
  K[3] = K[3]! + (k3extra * PI_SQUARED * SQRT_2PI) / (216 * z6);
  for (let i = 0; i < 4; i++) K[i] = K[i]! / n ** (i / 2);
  if (!cdf) {
    for (let i = 0; i < 4; i++) K[i] = -K[i]!;
    K[0] = K[0]! + 1;
  }
  return K[0]! + K[1]! + K[2]! + K[3]!;
}

const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** log(n! / n^n) by Stirling's series with the n log n term removed up front. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * polevl(rn / n, STIRLING_COEFFS);
}

/**
 * Distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n for finite n
 * (scipy.stats.kstwo), choosing the method by Simard & L'Ecuyer's rules as scipy does: Ruben-Gambino
 * closed forms at the extremes, Durbin's matrix or Pomeranz's recursion for small n, twice the
 * one-sided Smirnov tail where the two tails cannot overlap, Pelz-Good otherwise.
 */
function kolmogorovN(n: number, x: number, cdf: boolean): number {
  const select = (cdfProbability: number, sfProbability: number): number =>
    clip01(cdf ? cdfProbability : sfProbability);
  if (x >= 1) return select(1, 0);
  if (x <= 0) return select(0, 1);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return select(0, 1);
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return select(prob, 1 - prob);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return select(1 - prob, prob);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnovSf(n, x);
    return select(1 - prob, prob);
  }
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) {
      const prob = kolmogornDurbinMatrix(n, x);
      return select(prob, 1 - prob);
    }
    if (nxSquared <= 4) {
      const prob = kolmogornPomeranz(n, x);
      return select(prob, 1 - prob);
    }
    const prob = 2 * smirnovSf(n, x);
    return select(1 - prob, prob);
  }
  if (!cdf) {
    if (nxSquared >= 370) return 0;
    if (nxSquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  }
  let cdfProbability: number;
  if (nxSquared >= 18) cdfProbability = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfProbability = kolmogornDurbinMatrix(n, x);
  else cdfProbability = kolmogornPelzGood(n, x, true);
  return select(cdfProbability, 1 - cdfProbability);
}

function checkSampleSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`${what}: sample size n must be a positive integer, got ${n}`);
  }
}

/**
 * Survival function P(D_n >= d) of the two-sided one-sample Kolmogorov-Smirnov statistic for a sample
 * of size n (scipy.stats.kstwo.sf(d, n)). The two-sample KS test's asymptotic p-value is
 * `kstwoSf(D, round(n1·n2 / (n1 + n2)))`.
 */
export function kstwoSf(d: number, n: number): number {
  checkSampleSize(n, 'kstwoSf');
  if (Number.isNaN(d)) return Number.NaN;
  return kolmogorovN(n, d, false);
}

/** CDF P(D_n <= d) of the two-sided one-sample Kolmogorov-Smirnov statistic (scipy.stats.kstwo.cdf). */
export function kstwoCdf(d: number, n: number): number {
  checkSampleSize(n, 'kstwoCdf');
  if (Number.isNaN(d)) return Number.NaN;
  return kolmogorovN(n, d, true);
}
