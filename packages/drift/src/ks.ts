import { DriftInputError } from './errors.ts';
import { type Sample, toSortedArray } from './sample.ts';
import { kstwoSf, logGamma } from './special.ts';

/**
 * How the two-sample KS p-value is computed, with scipy.stats.ks_2samp's meaning:
 * - `exact`: the exact distribution of D under H0 (continuous data; conservative with ties);
 * - `asymp`: the finite-n one-sample Kolmogorov distribution at n = round(n1·n2/(n1+n2));
 * - `auto`: `exact` when max(n1, n2) <= 10,000, otherwise `asymp`.
 */
export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsTestOptions {
  /** @default 'auto' */
  method?: KsMethod;
}

export interface KsTestResult {
  /** max |F_a(x) - F_b(x)|; with the exact method rounded to the lattice of attainable values. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  /** The method actually used (`auto` resolved; `exact` falls back to `asymp` when it cannot be computed). */
  method: 'exact' | 'asymp';
  /** Value of the pooled sample at which the statistic is attained (scipy's statistic_location). */
  location: number;
  /** +1 when F_a - F_b is largest there, -1 when F_b - F_a is (scipy's statistic_sign). */
  sign: 1 | -1;
}

/** Largest max(n1, n2) for which `auto` uses the exact distribution (scipy's MAX_AUTO_N). */
export const KS_EXACT_AUTO_MAX_N = 10_000;
const INT32_MAX = 2147483647;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Round half to even, like numpy.round (e.g. en = 2.5 -> 2). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The observed statistic of two sorted samples, with scipy's tie-breaking for its location. */
export interface KsStatistic {
  statistic: number;
  location: number;
  sign: 1 | -1;
}

/**
 * D = max |F_a - F_b| over the pooled sample, by one merge pass over two sorted arrays. The ECDF
 * differences are formed as i/n1 - j/n2, the same floating-point operations as scipy, so the
 * statistic is bit-identical to scipy's.
 */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): KsStatistic {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = Number.NEGATIVE_INFINITY;
  let minDiff = Number.POSITIVE_INFINITY;
  // scipy reports the first arg-extreme of the concatenation [sorted a, sorted b]: the smallest value
  // of `a` attaining the extreme if there is one, else the smallest value of `b`.
  let maxAtA = Number.NaN;
  let maxAtB = Number.NaN;
  let minAtA = Number.NaN;
  let minAtB = Number.NaN;
  while (i < n1 || j < n2) {
    const va = i < n1 ? a[i]! : Number.POSITIVE_INFINITY;
    const vb = j < n2 ? b[j]! : Number.POSITIVE_INFINITY;
    const v = va <= vb ? va : vb;
    const inA = va === v;
    const inB = vb === v;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) {
      maxDiff = diff;
      maxAtA = inA ? v : Number.NaN;
      maxAtB = inB ? v : Number.NaN;
    } else if (diff === maxDiff) {
      if (inA && Number.isNaN(maxAtA)) maxAtA = v;
      if (inB && Number.isNaN(maxAtB)) maxAtB = v;
    }
    if (diff < minDiff) {
      minDiff = diff;
      minAtA = inA ? v : Number.NaN;
      minAtB = inB ? v : Number.NaN;
    } else if (diff === minDiff) {
      if (inA && Number.isNaN(minAtA)) minAtA = v;
      if (inB && Number.isNaN(minAtB)) minAtB = v;
    }
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  if (minS > maxDiff) {
    return { statistic: minS, location: Number.isNaN(minAtA) ? minAtB : minAtA, sign: -1 };
  }
  return { statistic: maxDiff, location: Number.isNaN(maxAtA) ? maxAtB : maxAtA, sign: 1 };
}

/**
 * P(D_{n,n} >= h/n) for equal sample sizes, by the alternating binomial-ratio series evaluated in
 * Horner form to avoid cancellation (scipy's _compute_prob_outside_square).
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    const kh = k * h;
    for (let j = 0; j < h; j++) p1 = ((n - kh - j) * p1) / (n + kh + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/** Reused buffers for the lattice-path recursion, grown on demand (the hot path of `auto`). */
let latticeColumn = new Float64Array(1024);
let reciprocals = new Float64Array(0);

function reciprocalTable(size: number): Float64Array {
  if (reciprocals.length < size) {
    reciprocals = new Float64Array(Math.max(size, 2 * reciprocals.length));
    for (let s = 1; s < reciprocals.length; s++) reciprocals[s] = 1 / s;
  }
  return reciprocals;
}

/**
 * P(D_{m,n} >= h/lcm(m,n)) as the proportion of lattice paths from (0,0) to (m,n) that leave the band
 * |x/m - y/n| < h/lcm, with Viehmann's recursion for that outside proportion (the p-value) itself
 * rather than 1 - inside, so small p-values keep their relative accuracy (scipy's
 * _compute_outer_prob_inside_method). Cost: O(D·m·n) cells.
 *
 * Each column is the first-order recurrence v_j = c_j + d_j·v_{j-1} with c_j = A_j·i/(i+j) and
 * d_j = j/(i+j), a convex combination, so rounding errors do not grow. Evaluated literally it is bound
 * by the latency of one division per cell; here it multiplies by a table of reciprocals and advances
 * two cells per link of the dependency chain (v_{j+1} = (c_{j+1} + d_{j+1}c_j) + d_{j+1}d_j·v_{j-1}).
 * The result differs from scipy's only by rounding (~1e-15 relative above 1e-300).
 */
export function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  // The path count is symmetric in the two sizes. Columns run along the shorter side: the same cells
  // as scipy's orientation (m >= n), but e.g. 10x fewer and 10x longer columns for a 10:1 size ratio,
  // which amortises the per-column work.
  const m = Math.min(m0, n0);
  const n = Math.max(m0, n0);
  const mg = m / g;
  const ng = n / g;
  const inv = reciprocalTable(m + n + 2);
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  // A column spans at most 2h/mg + 1 cells and is read up to ceil(ng/mg) cells past the previous
  // column's start; everything past a column's end must read as 1 (outside the band, already exited).
  const lenA = Math.min(Math.ceil((2 * h) / mg) + Math.ceil(ng / mg) + 2, n + 1);
  if (latticeColumn.length < lenA) latticeColumn = new Float64Array(lenA);
  const A = latticeColumn;
  A.fill(1, 0, lenA);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let v = minj === 0 ? 0 : 1;
    const width = maxj - minj;
    const shift = minj - lastminj;
    let jj = 0;
    // Reads of A (at jj + shift >= jj) always happen before the writes of the same step.
    for (; jj + 1 < width; jj += 2) {
      const j = jj + minj;
      const r0 = inv[i + j]!;
      const r1 = inv[i + j + 1]!;
      const c0 = A[jj + shift]! * i * r0;
      const c1 = A[jj + shift + 1]! * i * r1;
      const d0 = j * r0;
      const d1 = (j + 1) * r1;
      const v0 = c0 + d0 * v;
      v = c1 + d1 * c0 + d1 * d0 * v;
      A[jj] = v0;
      A[jj + 1] = v;
    }
    if (jj < width) {
      const j = jj + minj;
      const r0 = inv[i + j]!;
      v = A[jj + shift]! * i * r0 + j * r0 * v;
      A[jj] = v;
    }
    curlen = width;
    if (lastlen > curlen) A.fill(1, width, width + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** 2^k for an integer k in [-1022, 1023], exactly (built from its bits). */
const pow2Value = new Float64Array(1);
const pow2Words = new Uint32Array(pow2Value.buffer);
function pow2(k: number): number {
  pow2Words[0] = 0;
  pow2Words[1] = (k + 1023) << 20;
  return pow2Value[0]!;
}

/** log2 of the binomial coefficient C(a + b, a), approximately (for range checks only). */
function log2Binomial(a: number, b: number): number {
  return (logGamma(a + b + 1) - logGamma(a + 1) - logGamma(b + 1)) / Math.LN2;
}

/**
 * Spread, in bits, between the path counts C(i + j, i) at the bottom and at the top of the
 * widest column of the band, estimated from eight columns.
 */
function bandSpreadBits(m: number, n: number, mg: number, ng: number, h: number): number {
  let spread = 0;
  for (let k = 1; k <= 8; k++) {
    const i = Math.round((k * m) / 8);
    const low = Math.max(Math.floor((ng * i - h) / mg), 0);
    const high = Math.min(Math.ceil((ng * (i + 1) + h) / mg), n + 1);
    spread = Math.max(spread, log2Binomial(i, high) - log2Binomial(i, low));
  }
  return spread;
}

/**
 * Most bits between the largest and the smallest binomial of a column the path-count recursion
 * takes on (its largest count is held below 2^990, so every binomial stays a normal double).
 */
const MAX_SPREAD_BITS = 1900;

/**
 * One column of the path-count recursion, in place: B(i, j) = B(i-1, j) + B(i, j-1) for the
 * column's `width` cells, where B(i-1, minj + jj) is at A[jj + shift] and `below` is B(i, minj - 1):
 * a running sum, four cells per link of the dependency chain.
 */
function countColumn(A: Float64Array, width: number, shift: number, below: number): void {
  let v = below;
  let jj = 0;
  // Reads of A (at jj + shift >= jj) always happen before the writes of the same step.
  for (; jj + 3 < width; jj += 4) {
    const p0 = A[jj + shift]!;
    const p1 = A[jj + shift + 1]!;
    const p2 = A[jj + shift + 2]!;
    const p3 = A[jj + shift + 3]!;
    const s01 = p0 + p1;
    const v1 = v + s01;
    A[jj] = v + p0;
    A[jj + 1] = v1;
    A[jj + 2] = v1 + p2;
    v += s01 + (p2 + p3);
    A[jj + 3] = v;
  }
  for (; jj < width; jj++) {
    v += A[jj + shift]!;
    A[jj] = v;
  }
}

/**
 * The path-count recursion between two columns. `A[k]` holds B(i, minj + k) for the column's cells
 * inside the band (k < maxj - minj) and C(i, j) for the cells above it up to nextMax, all times
 * the column's power of two; top = C(i + nextMax, i) and low = C(i + lowJ, i), lowJ =
 * max(minj - 1, 0), at the same scale.
 */
interface PathCounts {
  A: Float64Array;
  i: number;
  minj: number;
  maxj: number;
  nextMax: number;
  top: number;
  low: number;
  lowJ: number;
  /** Largest spread seen so far: log2(top / low). */
  spreadBits: number;
}

/** Column 0: no path has left the band yet inside it; above it, C(j, 0) = 1. */
function firstColumn(n: number, mg: number, ng: number, h: number): PathCounts {
  const length = Math.min(Math.ceil((2 * h) / mg) + 2 * Math.ceil(ng / mg) + 4, n + 2);
  if (latticeColumn.length < length) latticeColumn = new Float64Array(length);
  const A = latticeColumn;
  const maxj = Math.min(Math.ceil(h / mg), n + 1);
  const nextMax = Math.min(Math.ceil((ng + h) / mg), n + 1);
  A.fill(0, 0, maxj);
  A.fill(1, maxj, nextMax);
  return { A, i: 0, minj: 0, maxj, nextMax, top: 1, low: 1, lowJ: 0, spreadBits: 0 };
}

/**
 * Advances `c` to column i + 1 (see {@link PathCounts}). Returns 1 when the band closes there
 * (every path leaves it: p = 1), -1 when the column's counts outgrow the double range, else 0.
 */
function nextColumn(c: PathCounts, m: number, n: number, mg: number, ng: number, h: number): number {
  const i = ++c.i;
  const lastMinj = c.minj;
  const minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
  const maxj = c.nextMax;
  if (maxj <= minj) return 1;
  let top = (c.top * (i + maxj)) / i; // C(i-1 + maxj, i-1) -> C(i + maxj, i)
  let low = (c.low * (i + c.lowJ)) / i;
  const lowJ = minj > 0 ? minj - 1 : 0;
  for (let j = c.lowJ; j < lowJ; j++) low = (low * (i + j + 1)) / (j + 1);
  const A = c.A;
  countColumn(A, maxj - minj, minj - lastMinj, minj === 0 ? 0 : low);
  // Above the band every path has left it: C(i + j, i) for the cells the next column reads.
  const nextMax = i < m ? Math.min(Math.ceil((ng * (i + 1) + h) / mg), n + 1) : maxj;
  for (let j = maxj; j < nextMax; j++) {
    A[j - minj] = top;
    top = (top * (i + j + 1)) / (j + 1);
  }
  const topBits = Math.log2(top);
  const spreadBits = topBits - Math.log2(low);
  if (!(spreadBits <= MAX_SPREAD_BITS)) return -1;
  if (spreadBits > c.spreadBits) c.spreadBits = spreadBits;
  if (topBits > 990) {
    const scale = pow2(960 - Math.ceil(topBits));
    for (let k = 0; k < nextMax - minj; k++) A[k] = A[k]! * scale;
    top *= scale;
    low *= scale;
  }
  Object.assign(c, { minj, maxj, nextMax, top, low, lowJ });
  return 0;
}

/** A column of the recursion kept for {@link combineHalves}: B(i, minj + k) = counts[k], k < width. */
interface BandColumn {
  counts: Float64Array;
  i: number;
  minj: number;
  width: number;
  low: number;
}

function keepColumn(c: PathCounts, into: Float64Array): BandColumn {
  const width = c.maxj - c.minj;
  into.set(c.A.subarray(0, width));
  return { counts: into, i: c.i, minj: c.minj, width, low: c.low };
}

/** Copy of the first of the two columns {@link combineHalves} joins. */
let halfColumn = new Float64Array(1024);

/**
 * Sum over j going away from the band (step +1 or -1) of C(a + j, a)·C(b + n - j, b), starting
 * from j0 with the two binomials given, until the terms no longer matter next to `sum` (out there
 * they fall off faster than geometrically) or leave the double range.
 */
function bandTail(
  j0: number,
  c1: number,
  c2: number,
  a: number,
  b: number,
  n: number,
  step: number,
  sum: number,
) {
  let tail = 0;
  let previous = Number.POSITIVE_INFINITY;
  let x1 = c1;
  let x2 = c2;
  for (let j = j0; j >= 0 && j <= n; j += step) {
    const term = x1 * x2;
    if (!(term >= 0 && term < Number.POSITIVE_INFINITY)) break;
    tail += term;
    if (term < 1e-22 * (sum + tail) && term < previous) break;
    previous = term;
    const jp = n - j;
    if (step > 0) {
      x1 = (x1 * (a + j + 1)) / (j + 1);
      x2 = (x2 * jp) / (b + jp);
    } else {
      x1 = (x1 * j) / (a + j);
      x2 = (x2 * (b + jp + 1)) / (jp + 1);
    }
  }
  return tail;
}

/** 2^-round(log2 x + shift), clamped to the normal range: a scale that brings x·2^shift near 1. */
function centering(x: number, shiftBits: number): number {
  return pow2(Math.max(-1000, Math.min(1000, -Math.round(Math.log2(x) + shiftBits))));
}

/**
 * P(D >= h/lcm) from two columns a and b = m - 1 - a of the path-count recursion. A path from
 * (0, 0) to (m, n) leaves column a for the last time at some (a, j) and goes on from (a + 1, j);
 * turned by 180° the rest is a path from (0, 0) to (b, n - j), and the band is symmetric. So with
 * C1 = C(a + j, a), C2 = C(b + n - j, b), B1 = B(a, j), B2 = B(b, n - j) (B = C outside the band):
 * paths leaving the band = Σ_j B1·C2 + (C1 - B1)·B2 and all paths = Σ_j C1·C2, both sums of
 * non-negative terms (no cancellation, small p-values keep their relative accuracy). Outside
 * column a's band the two terms are equal (B1 = C1), which is summed until it vanishes. Each
 * column is first rescaled so that its binomial at the band's centre is near 1 (the products peak
 * there).
 */
function combineHalves(first: BandColumn, second: BandColumn, n: number): number {
  const { i: a, minj: minA, width: widthA, counts: colA } = first;
  const { i: b, minj: minB, width: widthB, counts: colB } = second;
  const centre = Math.round((n * a) / (a + b + 1));
  let c1 = minA > 0 ? (first.low * (a + minA)) / minA : first.low; // C(a + minA, a)
  let c2 = second.low;
  for (let k = minB > 0 ? minB - 1 : 0; k < n - minA; k++) c2 = (c2 * (b + k + 1)) / (k + 1);
  const s1 = centering(c1, log2Binomial(a, centre) - log2Binomial(a, minA));
  const s2 = centering(c2, log2Binomial(b, n - centre) - log2Binomial(b, n - minA));
  c1 *= s1;
  c2 *= s2; // C(b + n - minA, b)
  const start = { c1, c2 };
  let out = 0;
  let all = 0;
  for (let j = minA; j < minA + widthA; j++) {
    const b1 = colA[j - minA]! * s1;
    const jp = n - j;
    const b2 = jp >= minB && jp < minB + widthB ? colB[jp - minB]! * s2 : c2;
    out += b1 * c2 + (c1 - b1) * b2;
    all += c1 * c2;
    c1 = (c1 * (a + j + 1)) / (j + 1);
    c2 = (c2 * jp) / (b + jp);
  }
  let tail = bandTail(minA + widthA, c1, c2, a, b, n, 1, out);
  if (minA > 0) {
    const jp = n - minA;
    const c1Below = (start.c1 * minA) / (a + minA);
    const c2Below = (start.c2 * (b + jp + 1)) / (jp + 1);
    tail += bandTail(minA - 1, c1Below, c2Below, a, b, n, -1, out + tail);
  }
  return (out + tail) / (all + tail);
}

/**
 * The same probability as {@link probOutsideBand} by counting lattice paths instead of carrying
 * proportions: B(i, j) = number of paths from (0, 0) to (i, j) that have left the band, so
 * B = B(i-1, j) + B(i, j-1) inside the band and B = C(i + j, i) (every path) outside it, and the
 * p-value is B(m, n) / C(m + n, m) (the outside-count form of Hodges' recursion). A cell costs one
 * addition instead of a chain of multiplications, and only half of the columns are computed (see
 * {@link combineHalves}): about 4× faster. The counts grow like binomial coefficients, so each
 * column carries a power-of-two scale (exact) and is rescaled as it grows; the binomials at the
 * band's edges are carried along them by integer ratios. Returns `undefined` when the counts of a
 * column span more than the double range allows for the p-value found (very large D): the caller uses
 * {@link probOutsideBand}. Agrees with it to ~1e-14 relative.
 */
export function probOutsideBandCounts(m0: number, n0: number, g: number, h: number): number | undefined {
  const m = Math.min(m0, n0);
  const n = Math.max(m0, n0);
  const mg = m / g;
  const ng = n / g;
  // The final check below, ahead of time: p estimated by the limiting distribution, 2e^(-2·en·D²).
  const d = h / (mg * n);
  const log2P = (-2 * ((m * n) / (m + n)) * d * d) / Math.LN2;
  if (bandSpreadBits(m, n, mg, ng, h) + Math.log2(m) - log2P > 1880) return undefined;
  const c = firstColumn(n, mg, ng, h);
  // Paths are split at their last cell in column `half` (see combineHalves), so only the columns
  // up to m - 1 - half are computed. A small m goes through every column.
  const half = m >= 8 ? (m - 1) >> 1 : -1;
  const last = half >= 0 ? m - 1 - half : m;
  let first: BandColumn | undefined;
  while (c.i < last) {
    const status = nextColumn(c, m, n, mg, ng, h);
    if (status !== 0) return status > 0 ? 1 : undefined;
    if (c.i === half) {
      if (halfColumn.length < c.maxj - c.minj) halfColumn = new Float64Array(c.maxj - c.minj);
      first = keepColumn(c, halfColumn);
    }
  }
  let p: number;
  if (first !== undefined) {
    const second = { counts: c.A, i: c.i, minj: c.minj, width: c.maxj - c.minj, low: c.low };
    p = combineHalves(first, second, n);
  } else {
    // top = C(m + n + 1, m), and C(m + n, m) = C(m + n + 1, m) (n + 1) / (m + n + 1).
    p = c.A[c.maxj - c.minj - 1]! / ((c.top * (n + 1)) / (m + n + 1));
  }
  // A cell whose share of paths that left the band is below 2^(spread - 1982) underflows; all of
  // them together change p by less than m·2^(spread - 1982), which must be far below p.
  return c.spreadBits + Math.log2(m) - Math.log2(p) <= 1900 ? p : undefined;
}

/** Attempts the exact two-sided p-value; `undefined` when it is not representable (scipy falls back). */
function exactPValue(n1: number, n2: number, g: number, h: number): number | undefined {
  let prob =
    n1 === n2
      ? probOutsideSquare(n1, h)
      : (probOutsideBandCounts(n1, n2, g, h) ?? probOutsideBand(n1, n2, g, h));
  // The band recursion can round a p-value of 1 up by an ulp or two; that is not a failure.
  if (prob > 1 && prob <= 1 + 1e-12) prob = 1;
  return prob >= 0 && prob <= 1 ? prob : undefined;
}

/**
 * Asymptotic two-sided p-value: kstwo.sf(D, round(en)), en = n1·n2/(n1+n2). For n1 = n2 = 1, en rounds
 * to 0 and scipy returns NaN; here n is kept at least 1 so that a p-value always comes back.
 */
function asymptoticPValue(d: number, n1: number, n2: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  return kstwoSf(d, Math.max(1, roundHalfEven(en)));
}

/**
 * Two-sample KS test on samples that are already sorted ascending and finite (the form
 * `compareDistributions` keeps them in, so each column is sorted once for KS, PSI and Wasserstein).
 */
export function ksTestSorted(a: Float64Array, b: Float64Array, options: KsTestOptions = {}): KsTestResult {
  const requested = options.method ?? 'auto';
  if (requested !== 'auto' && requested !== 'exact' && requested !== 'asymp') {
    throw new DriftInputError(
      `ksTest: method must be 'auto', 'exact' or 'asymp', got '${String(requested)}'`,
    );
  }
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new DriftInputError('ksTest: both samples must be non-empty');
  const observed = ksStatisticSorted(a, b);
  let d = observed.statistic;
  const g = gcd(n1, n2);
  let method: 'exact' | 'asymp';
  if (requested === 'auto') method = Math.max(n1, n2) <= KS_EXACT_AUTO_MAX_N ? 'exact' : 'asymp';
  else if (requested === 'exact' && n1 / g >= INT32_MAX / (n2 / g)) method = 'asymp';
  else method = requested;

  let pValue = Number.NaN;
  if (method === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    // The exact statistic is a multiple of 1/lcm; rounding removes the i/n1 - j/n2 representation error.
    d = h / lcm;
    const exact = h === 0 ? 1 : exactPValue(n1, n2, g, h);
    if (exact === undefined) method = 'asymp';
    else pValue = exact;
  }
  if (method === 'asymp') pValue = asymptoticPValue(d, n1, n2);
  return {
    statistic: d,
    pValue: Math.min(Math.max(pValue, 0), 1),
    method,
    location: observed.location,
    sign: observed.sign,
  };
}

/**
 * Two-sided two-sample Kolmogorov-Smirnov test with scipy.stats.ks_2samp's semantics: the same
 * statistic, the same exact distribution (for unequal sizes and with ties, where it is conservative),
 * the same finite-n asymptotic distribution and the same `auto` rule.
 *
 * @throws DriftInputError when a sample is empty or has a non-finite value, or the method is unknown.
 */
export function ksTest(a: Sample, b: Sample, options: KsTestOptions = {}): KsTestResult {
  return ksTestSorted(
    toSortedArray(a, 'ksTest: first sample'),
    toSortedArray(b, 'ksTest: second sample'),
    options,
  );
}
