import { describe, expect, it } from 'vitest';
import { chiSquareTest, countCategories } from './categorical.ts';
import { jensenShannon } from './divergence.ts';
import { DriftInputError } from './errors.ts';
import { psiFromCounts } from './psi.ts';
import { loadStatsReference, relativeError } from './testing/stats-reference.ts';

const reference = loadStatsReference();
const TOLERANCE = 1e-9;

describe('categorical statistics against scipy chi2_contingency (stats-reference.json)', () => {
  it('covers every reference case', () => {
    expect(reference.categorical.length).toBeGreaterThanOrEqual(4);
  });

  for (const c of reference.categorical) {
    describe(c.name, () => {
      for (const [correction, expected] of [
        [true, c.chi2_contingency_correction_true],
        [false, c.chi2_contingency_correction_false],
      ] as const) {
        it(`chi-square with correction=${correction}: statistic, p-value, dof and expected counts`, () => {
          const result = chiSquareTest(c.ref_counts, c.cur_counts, { correction });
          expect(relativeError(result.statistic, expected.statistic)).toBeLessThanOrEqual(TOLERANCE);
          expect(relativeError(result.pValue, expected.pvalue)).toBeLessThanOrEqual(TOLERANCE);
          expect(result.degreesOfFreedom).toBe(expected.dof);
          for (const [r, row] of result.expected.entries()) {
            for (const [k, value] of row.entries()) {
              expect(relativeError(value, expected.expected[r]![k]!)).toBeLessThanOrEqual(TOLERANCE);
            }
          }
        });
      }

      it('categorical PSI and Jensen-Shannon distances', () => {
        expect(relativeError(psiFromCounts(c.ref_counts, c.cur_counts), c.psi)).toBeLessThanOrEqual(
          TOLERANCE,
        );
        expect(
          relativeError(jensenShannon(c.ref_counts, c.cur_counts), c.jensenshannon_distance_base_e),
        ).toBeLessThanOrEqual(TOLERANCE);
        expect(
          relativeError(
            jensenShannon(c.ref_counts, c.cur_counts, { base: 2 }),
            c.jensenshannon_distance_base_2,
          ),
        ).toBeLessThanOrEqual(TOLERANCE);
      });

      it('gives the same answer for counts keyed by category name', () => {
        const keyed = (counts: number[]) =>
          Object.fromEntries(c.categories.map((name, k) => [name, counts[k]!]));
        const byName = chiSquareTest(keyed(c.ref_counts), new Map(Object.entries(keyed(c.cur_counts))));
        expect(byName.statistic).toBe(chiSquareTest(c.ref_counts, c.cur_counts).statistic);
        expect(byName.categories).toEqual(c.categories);
      });
    });
  }
});

describe('chiSquareTest with unseen categories', () => {
  it('counts a class that only appears in the current window as evidence of drift', () => {
    const result = chiSquareTest({ cat: 500, dog: 500 }, { cat: 450, dog: 450, bird: 100 });
    expect(result.categories).toEqual(['cat', 'dog', 'bird']);
    expect(result.degreesOfFreedom).toBe(2);
    expect(result.pValue).toBeLessThan(1e-20);
  });

  it('drops categories unseen in both samples instead of dividing by a zero expectation', () => {
    const withEmpty = chiSquareTest([10, 0, 20], [12, 0, 18]);
    const without = chiSquareTest([10, 20], [12, 18]);
    expect(withEmpty.statistic).toBe(without.statistic);
    expect(withEmpty.degreesOfFreedom).toBe(1);
  });

  it('returns statistic 0 and p = 1 when only one category was seen', () => {
    expect(chiSquareTest([5], [7])).toMatchObject({ statistic: 0, pValue: 1, degreesOfFreedom: 0 });
  });

  it('rejects an empty sample and negative counts', () => {
    expect(() => chiSquareTest([0, 0], [1, 2])).toThrow(DriftInputError);
    expect(() => chiSquareTest([1, -2], [1, 2])).toThrow(/non-negative/);
    expect(() => chiSquareTest([1, 2], [1, 2, 3])).toThrow(/equal length/);
  });
});

describe('countCategories', () => {
  it('aligns label samples over the union of their values', () => {
    expect(countCategories(['a', 'b', 'a'], ['b', 'c'])).toEqual({
      categories: ['a', 'b', 'c'],
      referenceCounts: [2, 1, 0],
      currentCounts: [0, 1, 1],
    });
  });
});
