import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jensenShannon } from './divergence.ts';
import { DriftInputError } from './errors.ts';
import { populationStabilityIndex, psiBins, psiFromCounts, quantileBinEdges } from './psi.ts';
import { quantileSorted } from './sample.ts';
import { loadStatsReference, relativeError } from './testing/stats-reference.ts';
import { wasserstein } from './wasserstein.ts';

const reference = loadStatsReference();
/** Issue tolerance for PSI, Jensen-Shannon and Wasserstein. */
const TOLERANCE = 1e-9;

describe('numeric PSI, Jensen-Shannon and Wasserstein against scipy/numpy (stats-reference.json)', () => {
  it('covers every reference case', () => {
    expect(reference.psi_numeric.length).toBeGreaterThanOrEqual(5);
  });

  for (const c of reference.psi_numeric) {
    describe(c.name, () => {
      it('decile edges equal numpy.quantile bit for bit, duplicates merged', () => {
        const sorted = Float64Array.from(c.ref).sort();
        expect(Array.from({ length: 9 }, (_, k) => quantileSorted(sorted, (k + 1) / 10))).toEqual(
          c.raw_edges,
        );
        expect(quantileBinEdges(sorted, 10)).toEqual(c.edges);
      });

      for (const [closed, expected] of [
        ['left', c.left_closed],
        ['right', c.right_closed],
      ] as const) {
        it(`${closed}-closed bins: counts exact, PSI and Jensen-Shannon within 1e-9`, () => {
          const bins = psiBins(c.ref, c.cur, { closed });
          expect(bins.referenceCounts).toEqual(expected.ref_counts);
          expect(bins.currentCounts).toEqual(expected.cur_counts);
          expect(relativeError(bins.psi, expected.psi)).toBeLessThanOrEqual(TOLERANCE);
          expect(
            relativeError(populationStabilityIndex(c.ref, c.cur, { closed }), expected.psi),
          ).toBeLessThanOrEqual(TOLERANCE);
          const js = jensenShannon(bins.referenceCounts, bins.currentCounts);
          const js2 = jensenShannon(bins.referenceCounts, bins.currentCounts, { base: 2 });
          expect(relativeError(js, expected.jensenshannon_distance_base_e)).toBeLessThanOrEqual(TOLERANCE);
          expect(relativeError(js2, expected.jensenshannon_distance_base_2)).toBeLessThanOrEqual(TOLERANCE);
          expect(relativeError(js2 * js2, expected.jensenshannon_divergence_base_2)).toBeLessThanOrEqual(
            TOLERANCE,
          );
        });
      }

      it('Wasserstein distance within 1e-9', () => {
        expect(relativeError(wasserstein(c.ref, c.cur), c.wasserstein_distance)).toBeLessThanOrEqual(
          TOLERANCE,
        );
      });
    });
  }
});

describe('PSI behaviour', () => {
  it('defaults to 10 left-closed bins', () => {
    const c = reference.psi_numeric.find((x) => x.name.startsWith('poisson'))!;
    expect(populationStabilityIndex(c.ref, c.cur)).toBe(
      psiBins(c.ref, c.cur, { bins: 10, closed: 'left' }).psi,
    );
  });

  it('puts current values outside the reference range into the open outer bins', () => {
    const ref = Array.from({ length: 100 }, (_, i) => i);
    const { currentCounts } = psiBins(ref, [-1000, 1000], { bins: 4 });
    expect(currentCounts).toEqual([1, 0, 0, 1]);
  });

  it('floors empty bins at 1e-4 instead of producing infinities', () => {
    expect(psiFromCounts([50, 50], [100, 0])).toBeCloseTo(
      (1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5),
      12,
    );
  });

  it('is 0 for a constant feature that stays constant', () => {
    expect(populationStabilityIndex([3, 3, 3, 3], [3, 3])).toBe(0);
  });

  it('rejects bad bins, epsilon and mismatched counts', () => {
    expect(() => populationStabilityIndex([1, 2], [1], { bins: 1 })).toThrow(DriftInputError);
    expect(() => psiFromCounts([1, 2], [1])).toThrow(/equal length/);
    expect(() => psiFromCounts([1], [1], { epsilon: 0 })).toThrow(/epsilon/);
  });
});

const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 60 });

describe('PSI, Wasserstein and Jensen-Shannon properties', () => {
  it('are 0 for a sample against itself', () => {
    fc.assert(
      fc.property(values, (xs) => {
        expect(populationStabilityIndex(xs, xs)).toBe(0);
        expect(wasserstein(xs, xs)).toBe(0);
      }),
    );
  });

  it('Wasserstein is symmetric and non-negative; PSI non-negative', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const w = wasserstein(a, b);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(relativeError(wasserstein(b, a), w)).toBeLessThanOrEqual(1e-12);
        expect(populationStabilityIndex(a, b)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('Jensen-Shannon distance in base 2 lies in [0, 1] and is symmetric', () => {
    const counts = fc
      .array(fc.nat({ max: 1000 }), { minLength: 3, maxLength: 3 })
      .filter((c) => c.some((x) => x > 0));
    fc.assert(
      fc.property(counts, counts, (p, q) => {
        const d = jensenShannon(p, q, { base: 2 });
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1 + 1e-12);
        expect(relativeError(jensenShannon(q, p, { base: 2 }), d)).toBeLessThanOrEqual(1e-12);
      }),
    );
  });

  it('Wasserstein of a shift by c is |c|', () => {
    fc.assert(
      fc.property(values, fc.integer({ min: -100, max: 100 }), (xs, c) => {
        expect(
          wasserstein(
            xs,
            xs.map((x) => x + c),
          ),
        ).toBeCloseTo(Math.abs(c), 6);
      }),
    );
  });
});
