import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriftInputError } from './errors.ts';
import { benjaminiHochberg, bonferroni } from './multiple-testing.ts';

describe('benjaminiHochberg', () => {
  it('matches the step-up adjustment worked by hand (R p.adjust "BH")', () => {
    // Sorted: 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04 after the running minimum from the top.
    const close = (actual: number[], expected: number[]) => {
      expect(actual).toHaveLength(expected.length);
      for (const [i, a] of actual.entries()) expect(a).toBeCloseTo(expected[i]!, 15);
    };
    close(benjaminiHochberg([0.01, 0.04, 0.03, 0.005]), [0.02, 0.04, 0.04, 0.02]);
    close(benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05, 0.05, 0.05, 0.05, 0.05]);
    close(benjaminiHochberg([0.9, 0.8]), [0.9, 0.9]);
  });

  it('never lowers a p-value, caps at 1 and keeps the order of the raw p-values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 }), (p) => {
        const adjusted = benjaminiHochberg(p);
        p.forEach((raw, i) => {
          expect(adjusted[i]!).toBeGreaterThanOrEqual(raw);
          expect(adjusted[i]!).toBeLessThanOrEqual(1);
          p.forEach((other, j) => {
            if (raw < other) expect(adjusted[i]!).toBeLessThanOrEqual(adjusted[j]!);
          });
        });
        expect(adjusted.every((a, i) => a <= bonferroni(p)[i]!)).toBe(true);
      }),
    );
  });
});

describe('bonferroni', () => {
  it('multiplies by the number of tests and caps at 1', () => {
    expect(bonferroni([0.001, 0.02, 0.5])).toEqual([0.003, 0.06, 1]);
    expect(bonferroni([])).toEqual([]);
  });

  it('rejects values outside [0, 1]', () => {
    expect(() => bonferroni([0.5, 1.5])).toThrow(DriftInputError);
    expect(() => benjaminiHochberg([Number.NaN])).toThrow(/in \[0, 1\]/);
  });
});
