import { DriftInputError } from './errors.ts';

/** A one-dimensional numeric sample: a plain array or a typed array. */
export type Sample = ArrayLike<number>;

/**
 * Copies a sample into a Float64Array after checking that it is non-empty and finite.
 * `what` names the sample in error messages (e.g. "reference sample of feature 'age'").
 */
export function toFiniteArray(values: Sample, what: string): Float64Array {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new DriftInputError(`${what} must be an array of numbers, got ${typeof values}`);
  }
  const n = values.length;
  if (n === 0) throw new DriftInputError(`${what} is empty; pass at least one value`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DriftInputError(
        `${what} has a non-finite value (${String(v)}) at index ${i}; drop or impute missing values first`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** Scratch of {@link sortFloat64}: (key, low word) pairs and their copies, grown on demand. */
let radixPairs = new Int32Array(0);
let radixSpare = new Int32Array(0);
const radixCounts = new Int32Array(3 * 2048);
/** The radix sort reads a double's words in little-endian order (every platform node runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads the doubles' words into radixPairs as (order-preserving key of the high word, low word)
 * and counts the key's three digits. Returns false, having changed nothing, at a NaN.
 */
function radixKeysOf(words: Int32Array, n: number): boolean {
  const pairs = radixPairs;
  const counts = radixCounts;
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if ((hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0) return false;
    // Positive: flip the sign bit; negative: flip every bit (so -0 < +0, as TypedArray#sort).
    const key = hi ^ ((hi >> 31) | 0x80000000);
    pairs[2 * i] = key;
    pairs[2 * i + 1] = lo;
    counts[key & 2047]!++;
    counts[2048 + ((key >>> 11) & 2047)]!++;
    counts[4096 + (key >>> 22)]!++;
  }
  return true;
}

/** One stable counting-sort pass of radixPairs on key bits [shift, shift + 11) into radixSpare; swaps them. */
function radixPass(n: number, digit: number): void {
  const from = radixPairs;
  const to = radixSpare;
  const counts = radixCounts;
  const base = 2048 * digit;
  const shift = 11 * digit;
  let sum = 0;
  for (let d = base; d < base + 2048; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const key = from[2 * i]!;
    const at = 2 * counts[base + ((key >>> shift) & 2047)]!++;
    to[at] = key;
    to[at + 1] = from[2 * i + 1]!;
  }
  radixPairs = to;
  radixSpare = from;
}

/**
 * Finishes the sort of `values`, already in order of their high words (keys in `pairs`): each run
 * of values sharing a high word is put in order of the low words too (short runs by insertion,
 * long ones by `Float64Array#sort`; a run of equal values, the usual case, is left as it is).
 */
function sortEqualHighRuns(values: Float64Array, pairs: Int32Array, n: number): void {
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && pairs[2 * i] === pairs[2 * start]) continue;
    let equal = true;
    for (let a = start + 1; a < i && equal; a++) equal = pairs[2 * a + 1] === pairs[2 * start + 1];
    if (!equal && i - start <= 16) {
      for (let a = start + 1; a < i; a++) {
        const v = values[a]!;
        let b = a - 1;
        for (; b >= start && values[b]! > v; b--) values[b + 1] = values[b]!;
        values[b + 1] = v;
      }
    } else if (!equal) {
      values.subarray(start, i).sort();
    }
    start = i;
  }
}

/**
 * Sorts a Float64Array in place, ascending, and returns it: the same order as
 * `Float64Array#sort()` (numeric, -0 before +0, NaN last). Arrays of 2,048 values or more without
 * NaN take an LSD radix sort on the high 32 bits of the IEEE-754 representation (three 11-bit
 * digits, a digit shared by every value skipped), then order the runs sharing a high word:
 * about 3× faster than the comparison sort on 10,000 values. Anything else takes `sort()`.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 2048 || !LITTLE_ENDIAN) return values.sort();
  if (radixPairs.length < 2 * n) {
    radixPairs = new Int32Array(2 * n);
    radixSpare = new Int32Array(2 * n);
  }
  const words = new Int32Array(values.buffer, values.byteOffset, 2 * n);
  if (!radixKeysOf(words, n)) return values.sort();
  const first = radixPairs[0]!;
  for (let digit = 0; digit < 3; digit++) {
    // A digit that every value shares would not move anything.
    if (radixCounts[2048 * digit + ((first >>> (11 * digit)) & 2047)] !== n) radixPass(n, digit);
  }
  const pairs = radixPairs;
  for (let i = 0; i < n; i++) {
    const key = pairs[2 * i]!;
    words[2 * i + 1] = key ^ (~(key >> 31) | 0x80000000);
    words[2 * i] = pairs[2 * i + 1]!;
  }
  sortEqualHighRuns(values, pairs, n);
  return values;
}

/** Sorted ascending copy of a finite, non-empty sample (the form every statistic here works on). */
export function toSortedArray(values: Sample, what: string): Float64Array {
  // Float64Array#sort compares numerically, unlike Array#sort.
  return sortFloat64(toFiniteArray(values, what));
}

/** Number of elements of sorted `a` that are strictly less than `x` (numpy searchsorted side='left'). */
export function countBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements of sorted `a` that are less than or equal to `x` (searchsorted side='right'). */
export function countAtOrBelow(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sample quantile of sorted data by linear interpolation between order statistics (Hyndman & Fan
 * type 7, numpy's default 'linear' method), with numpy's exact floating-point formula so that bin
 * edges match numpy's bit for bit.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtualIndex = (n - 1) * q;
  if (virtualIndex >= n - 1) return sorted[n - 1]!;
  if (virtualIndex < 0) return sorted[0]!;
  const previous = Math.floor(virtualIndex);
  const a = sorted[previous]!;
  const b = sorted[previous + 1]!;
  const gamma = virtualIndex - previous;
  const diff = b - a;
  // numpy's _lerp: interpolate from the nearer end to keep monotonicity and exact endpoints.
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Mean and population standard deviation (ddof = 0) of a sample, by a two-pass algorithm. */
export function meanAndStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    squares += d * d;
  }
  return { mean, std: Math.sqrt(squares / n) };
}
