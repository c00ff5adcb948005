import { describe, expect, it } from 'vitest';
import { sortFloat64 } from './sample.ts';
import { SeededRandom } from './testing/seeded-random.ts';

/** The same bits in the same order as Float64Array#sort (so -0 before +0, NaN last). */
function expectSameAsNativeSort(values: Float64Array): void {
  const expected = new Uint32Array(values.slice().sort().buffer);
  const actual = new Uint32Array(sortFloat64(values.slice()).buffer);
  expect(actual).toEqual(expected);
}

describe('sortFloat64', () => {
  const rng = new SeededRandom(7);
  const kinds: Record<string, () => number> = {
    normal: () => rng.normal(),
    'integers -3..3 (ties)': () => rng.integer(7) - 3,
    'two decimals': () => Math.round(rng.normal(50, 10) * 100) / 100,
    'tiny, huge, zeros, infinities': () =>
      [0, -0, 5e-324, -5e-324, 1e-310, -1e-310, 1e308, -1e308, Infinity, -Infinity][rng.integer(10)]!,
    'wide exponents': () => (rng.uniform() - 0.5) * 10 ** (rng.uniform() * 600 - 300),
    // Values sharing their high 32 bits, differing only in the low word.
    'same high word': () => 1 + (rng.integer(1 << 20) - (1 << 19)) * 2 ** -50,
    'runs sharing a high word': () => rng.integer(40) + rng.integer(16) * 2 ** -40,
  };
  for (const [name, draw] of Object.entries(kinds)) {
    it(`orders ${name} exactly as Float64Array#sort`, () => {
      for (const n of [0, 1, 100, 2047, 2048, 5000, 30_000]) {
        expectSameAsNativeSort(Float64Array.from({ length: n }, draw));
      }
    });
  }

  it('puts NaN last like Float64Array#sort', () => {
    const values = Float64Array.from({ length: 5000 }, () => rng.normal());
    values[10] = Number.NaN;
    values[4000] = -Number.NaN;
    expectSameAsNativeSort(values);
  });

  it('sorts in place and returns its argument', () => {
    const values = Float64Array.from({ length: 3000 }, () => rng.normal());
    expect(sortFloat64(values)).toBe(values);
    for (let i = 1; i < values.length; i++) expect(values[i]! >= values[i - 1]!).toBe(true);
  });
});
