/**
 * MT19937 with the seeding and sampling of CPython's `random` module and numpy's legacy
 * `RandomState`, so tests can replay the exact streams that River's documented examples and
 * regression tests were run on. Test support only; not exported from the package.
 */
class Mt19937 {
  private readonly mt = new Uint32Array(624);
  private index = 625;

  initGenrand(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, modulo 2^32, without losing bits to floating point.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = 624;
  }

  nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[(kk + 1) % 624]! & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits (genrand_res53). */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

/** CPython's `random.Random(seed)` for a non-negative integer seed below 2^53. */
export class PythonRandom {
  private readonly mt = new Mt19937();
  private gaussNext: number | undefined;

  constructor(seed: number) {
    // random.seed(int) feeds the 32-bit words of |seed|, least significant first.
    const key: number[] = [];
    let rest = Math.abs(seed);
    do {
      key.push(rest % 2 ** 32);
      rest = Math.floor(rest / 2 ** 32);
    } while (rest > 0);
    this.mt.initByArray(key);
  }

  random(): number {
    return this.mt.nextDouble();
  }

  /** `random.choices(population, k=k)` / `random.choices(population, weights, k=k)`. */
  choices<T>(population: readonly T[], k: number, weights?: readonly number[]): T[] {
    const out: T[] = [];
    if (weights === undefined) {
      const n = population.length;
      for (let i = 0; i < k; i++) out.push(population[Math.floor(this.random() * n)]!);
      return out;
    }
    const cumulative: number[] = [];
    let sum = 0;
    for (const w of weights) {
      sum += w;
      cumulative.push(sum);
    }
    const total = cumulative[cumulative.length - 1]!;
    const hi = population.length - 1;
    for (let i = 0; i < k; i++) {
      const r = this.random() * total;
      // bisect_right(cumulative, r, 0, hi)
      let lo = 0;
      let top = hi;
      while (lo < top) {
        const mid = (lo + top) >>> 1;
        if (r < cumulative[mid]!) top = mid;
        else lo = mid + 1;
      }
      out.push(population[lo]!);
    }
    return out;
  }

  /** `random.gauss(mu, sigma)`: CPython's Box-Muller transform, which caches the second value of each pair. */
  gauss(mu: number, sigma: number): number {
    let z = this.gaussNext;
    this.gaussNext = undefined;
    if (z === undefined) {
      const x2pi = this.random() * 2 * Math.PI;
      const g2rad = Math.sqrt(-2 * Math.log(1 - this.random()));
      z = Math.cos(x2pi) * g2rad;
      this.gaussNext = Math.sin(x2pi) * g2rad;
    }
    return mu + z * sigma;
  }
}

/** numpy's legacy `np.random.seed(seed)` + `np.random.randint(high, size=k)` for high <= 2^32. */
export class NumpyLegacyRandom {
  private readonly mt = new Mt19937();

  constructor(seed: number) {
    this.mt.initGenrand(seed);
  }

  /** Integers in [0, high) by masked rejection sampling on 32-bit draws, as RandomState.randint does. */
  randint(high: number, size: number): number[] {
    const range = high - 1;
    let mask = range;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    const out: number[] = [];
    while (out.length < size) {
      if (range === 0) {
        out.push(0);
        continue;
      }
      let v: number;
      do {
        v = (this.mt.nextUint32() & mask) >>> 0;
      } while (v > range);
      out.push(v);
    }
    return out;
  }
}
