import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriftInputError } from './errors.ts';
import { type KsMethod, ksStatisticSorted, ksTest } from './ks.ts';
import { kolmogorovSf, kstwoSf } from './special.ts';
import { loadStatsReference, relativeError } from './testing/stats-reference.ts';

const reference = loadStatsReference();
const sorted = (xs: number[]) => Float64Array.from(xs).sort();

describe('ksTest against scipy 1.10 ks_2samp (stats-reference.json)', () => {
  it('covers every reference case', () => {
    expect(reference.ks_2samp.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of reference.ks_2samp) {
    describe(`${c.name} (n1=${c.n1}, n2=${c.n2})`, () => {
      it('raw statistic equals the searchsorted ECDF difference bit for bit', () => {
        expect(ksStatisticSorted(sorted(c.a), sorted(c.b)).statistic).toBe(c.D_numpy_searchsorted);
      });

      for (const method of ['exact', 'asymp', 'auto'] as const satisfies readonly KsMethod[]) {
        it(`method '${method}': statistic exact, p-value within tolerance, location and sign`, () => {
          const expected = c[method];
          const result = ksTest(c.a, c.b, { method });
          expect(result.statistic).toBe(expected.statistic);
          // Issue tolerances: 1e-6 relative for the exact distribution, 1e-4 for the asymptotic one.
          const tolerance = result.method === 'exact' ? 1e-6 : 1e-4;
          expect(relativeError(result.pValue, expected.pvalue)).toBeLessThanOrEqual(tolerance);
          expect(result.location).toBe(expected.statistic_location);
          expect(result.sign).toBe(expected.statistic_sign);
        });
      }

      it('auto picks exact below 10,000 rows per side, like scipy', () => {
        expect(ksTest(c.a, c.b).method).toBe(Math.max(c.n1, c.n2) <= 10_000 ? 'exact' : 'asymp');
      });

      it('finite-n and limiting Kolmogorov tails agree with scipy', () => {
        const d = c.D_numpy_searchsorted;
        // numpy.round rounds half to even: en = 2.5 -> 2, 12.5 -> 12.
        const rounded = Math.round(c.en);
        const n = c.en % 1 === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
        expect(relativeError(kstwoSf(d, n), c.pvalue_kstwo_sf_round_en)).toBeLessThanOrEqual(1e-4);
        expect(
          relativeError(kolmogorovSf(Math.sqrt(c.en) * d), c.pvalue_kolmogorov_limit),
        ).toBeLessThanOrEqual(1e-12);
        const stephens = (Math.sqrt(c.en) + 0.12 + 0.11 / Math.sqrt(c.en)) * d;
        expect(relativeError(kolmogorovSf(stephens), c.pvalue_kolmogorov_stephens)).toBeLessThanOrEqual(
          1e-12,
        );
      });
    });
  }
});

describe('ksTest behaviour', () => {
  it('detects fully separated samples with the exact p-value 2/C(16,8)', () => {
    const result = ksTest([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16]);
    expect(result.statistic).toBe(1);
    expect(result.pValue).toBeCloseTo(2 / 12870, 15);
  });

  it('keeps the exact method when rounding puts p a hair above 1 (scipy: exact p = 1.0)', () => {
    const b = [
      0, 1, 2, 2, 0, 2, 3, 4, 2, 1, 2, 2, 5, 1, 0, 2, 1, 2, 4, 5, 2, 1, 2, 3, 3, 2, 5, 2, 4, 3, 4, 2, 4, 1, 0,
    ];
    b.push(4, 1, 1, 4, 1, 1, 1, 4, 2, 1, 4, 3, 3, 4, 0);
    expect(ksTest([1, 3], b, { method: 'exact' })).toMatchObject({
      statistic: 0.26,
      pValue: 1,
      method: 'exact',
    });
  });

  it('uses the asymptotic distribution above 10,000 rows in auto mode', () => {
    const a = Array.from({ length: 10_001 }, (_, i) => i / 10_001);
    const b = Array.from({ length: 50 }, (_, i) => i / 50 + 0.001);
    expect(ksTest(a, b).method).toBe('asymp');
    expect(ksTest(a, b, { method: 'exact' }).method).toBe('exact');
  });

  it('rejects empty samples, non-finite values and unknown methods with actionable messages', () => {
    expect(() => ksTest([], [1])).toThrow(DriftInputError);
    expect(() => ksTest([1, Number.NaN], [1])).toThrow(/non-finite value \(NaN\) at index 1/);
    expect(() => ksTest([1], [2], { method: 'fast' as KsMethod })).toThrow(/method must be/);
  });
});

const tiedValues = fc.array(
  fc.integer({ min: -40, max: 40 }).map((x) => x / 8),
  { minLength: 1, maxLength: 80 },
);
const continuousValues = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), {
  minLength: 1,
  maxLength: 80,
});
const samples = fc.oneof(tiedValues, continuousValues);
const methods = fc.constantFrom<KsMethod>('auto', 'exact', 'asymp');

describe('ksTest properties', () => {
  it('a sample against itself has D = 0 and p = 1', () => {
    fc.assert(
      fc.property(samples, methods, (xs, method) => {
        const r = ksTest(xs, xs, { method });
        expect(r.statistic).toBe(0);
        expect(r.pValue).toBe(1);
      }),
    );
  });

  it('is symmetric in its two samples', () => {
    fc.assert(
      fc.property(samples, samples, methods, (a, b, method) => {
        const ab = ksTest(a, b, { method });
        const ba = ksTest(b, a, { method });
        expect(ba.statistic).toBe(ab.statistic);
        expect(relativeError(ba.pValue, ab.pValue)).toBeLessThanOrEqual(1e-12);
      }),
    );
  });

  it('does not depend on the order of the observations', () => {
    fc.assert(
      fc.property(samples, samples, fc.integer({ min: 1, max: 1_000_000 }), (a, b, seed) => {
        const shuffled = [...a];
        let s = seed;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) % 2147483648;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(ksTest(shuffled, [...b].reverse())).toEqual(ksTest(a, b));
      }),
    );
  });

  it('computes the exact distribution whenever it is asked to (no silent fallback)', () => {
    fc.assert(
      fc.property(samples, samples, (a, b) => {
        expect(ksTest(a, b, { method: 'exact' }).method).toBe('exact');
      }),
      { numRuns: 500 },
    );
  });

  it('returns a statistic and p-value in [0, 1]', () => {
    fc.assert(
      fc.property(samples, samples, methods, (a, b, method) => {
        const r = ksTest(a, b, { method });
        expect(r.statistic).toBeGreaterThanOrEqual(0);
        expect(r.statistic).toBeLessThanOrEqual(1);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });
});
