import { describe, expect, it } from 'vitest';
import { detectConceptDrift, errorRise, strongestRise } from './change-point.ts';
import { SeededRandom } from './testing/seeded-random.ts';

function bernoulli(random: SeededRandom, rates: [number, number][]): number[] {
  return rates.flatMap(([n, p]) => Array.from({ length: n }, () => (random.uniform() < p ? 1 : 0)));
}

describe('change points in an error stream', () => {
  it('errorRise measures the rise across a cut, within a range', () => {
    const errors = [...new Array(100).fill(0), ...new Array(100).fill(1)];
    expect(errorRise(errors, 100)).toMatchObject({ before: 0, after: 1 });
    expect(errorRise(errors, 5)).toBeNull();
    const inner = errorRise(errors, 100, 50, 150)!;
    expect(inner.before).toBe(0);
    expect(inner.after).toBe(1);
    expect(inner.z).toBeGreaterThan(9);
  });

  it('strongestRise finds an abrupt rise to within a few outcomes, and no rise in a fall (its z >= 2 is a filter, not a test)', () => {
    const random = new SeededRandom(5);
    const errors = bernoulli(random, [
      [3000, 0.05],
      [600, 0.25],
    ]);
    const cut = strongestRise(errors, 0)!;
    expect(Math.abs(cut - 3000)).toBeLessThan(40);
    const falling = bernoulli(random, [
      [1000, 0.3],
      [1000, 0.05],
    ]);
    expect(strongestRise(falling, 0)).toBeNull();
  });

  it('detectConceptDrift locates a rise inside one error stream (ADWIN + z >= 3)', () => {
    const random = new SeededRandom(6);
    const errors = bernoulli(random, [
      [4000, 0.05],
      [1000, 0.25],
    ]);
    const at = errors.map((_, i) => new Date(Date.UTC(2024, 0, 1) + i * 1000));
    const result = detectConceptDrift(errors, at);
    expect(result.detected).toBe(true);
    expect(Math.abs(result.changeIndex! - 4000)).toBeLessThan(60);
    expect(result.changeAt).toBe(at[result.changeIndex!]!.toISOString());
    expect(result.errorRateAfter! - result.errorRateBefore!).toBeGreaterThan(0.15);
  });

  it('sees nothing in the errors of a version that is bad from its first row (D1: why the lineage is needed)', () => {
    // v1 served 4000 rows at 5 % error; v2 replaced it and errs on 25 % from its first row on.
    const random = new SeededRandom(7);
    const v1 = bernoulli(random, [[4000, 0.05]]);
    const v2 = bernoulli(random, [[2000, 0.25]]);
    expect(detectConceptDrift(v2, []).detected).toBe(false);
    // The serving lineage (v1's outcomes, then v2's) shows the rise at the promotion.
    const lineage = detectConceptDrift([...v1, ...v2], []);
    expect(lineage.detected).toBe(true);
    expect(Math.abs(lineage.changeIndex! - 4000)).toBeLessThan(60);
  });
});
