/**
 * A small seeded pseudo-random number generator: sfc32 (Chris Doty-Humphrey's "small fast chaotic"
 * generator from PractRand), seeded through splitmix32, plus Box–Muller normals.
 *
 * Why our own instead of `Math.random`: every stream in this package must be reproducible from its
 * seed alone — the same seed gives the same stream on every machine and every run — so that tests,
 * demos and benchmarks can name the exact data they used.
 *
 * Reproducibility: `next()` and `int()` use only 32-bit integer arithmetic (`Math.imul`, shifts), so
 * they are bit-identical on every conforming JavaScript engine. `normal()` also calls `Math.log`,
 * `Math.sqrt` and `Math.cos`, whose last bit the ECMAScript spec leaves to the engine; they agree
 * across Node/V8 builds, which is where this package runs.
 */

/** A seeded source of random numbers. Each call advances the generator. */
export interface Rng {
  /** Uniform on [0, 1), with 32 bits of resolution. */
  next(): number;
  /** Uniform on [min, max). */
  uniform(min: number, max: number): number;
  /** Standard normal N(0, 1) (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number;
  /** Uniform integer in [0, n); `n` must be an integer in [1, 2^32]. */
  int(n: number): number;
}

const TWO_POW_32 = 4_294_967_296;

/** splitmix32 step: a strong 32-bit mixer, used only to spread a seed over sfc32's 128-bit state. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return { state: next, value: z >>> 0 };
}

/**
 * Creates a generator from `seed` (any safe integer; all 53 bits count) and an optional `stream`
 * number. Different `stream` values give statistically independent sequences from the same seed,
 * which lets a generator draw, for example, features and label noise from separate sequences, so
 * that changing the noise level does not change the features.
 *
 * @param seed a safe integer (negative allowed)
 * @param stream a non-negative safe integer selecting an independent sub-sequence
 * @default stream 0
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`createRng: seed must be a safe integer, got ${String(seed)}.`);
  }
  if (!Number.isSafeInteger(stream) || stream < 0) {
    throw new RangeError(`createRng: stream must be a non-negative safe integer, got ${String(stream)}.`);
  }
  const seedLow = seed >>> 0;
  // Two's-complement split of the 53-bit seed: Math.floor keeps negative seeds distinct.
  const seedHigh = Math.floor(seed / TWO_POW_32) >>> 0;
  const streamLow = stream >>> 0;
  const streamHigh = Math.floor(stream / TWO_POW_32) >>> 0;

  let mix = splitmix32(seedLow ^ 0x5bd1e995);
  mix = splitmix32(mix.value ^ seedHigh);
  mix = splitmix32(mix.value ^ streamLow);
  mix = splitmix32(mix.value ^ streamHigh);
  let mixState = mix.value;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const step = splitmix32(mixState);
    mixState = step.state;
    words.push(step.value | 0);
  }
  let a = words[0]!;
  let b = words[1]!;
  let c = words[2]!;
  let d = words[3]!;

  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The sfc32 author's recommended warm-up: the first outputs after seeding are less well mixed.
  for (let i = 0; i < 12; i++) nextUint32();

  let spareNormal: number | undefined;

  const next = (): number => nextUint32() / TWO_POW_32;

  return {
    next,
    uniform(min: number, max: number): number {
      return min + (max - min) * next();
    },
    normal(): number {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      // 1 - next() lies in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
        throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${String(n)}.`);
      }
      // Rejection sampling keeps every value exactly equally likely (plain floor(next()*n) is biased
      // by up to n/2^32 when n is not a power of two).
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let value = nextUint32();
      while (value >= limit) value = nextUint32();
      return value % n;
    },
  };
}
