import { describe, expect, it } from 'vitest';
import { DriftInputError } from './errors.ts';
import { histogram, histogramSorted } from './histogram.ts';

describe('histogram', () => {
  it('bins both samples on shared equal-width edges spanning both ranges', () => {
    const h = histogram([0, 1, 2, 3], [2, 4, 4], { bins: 4 });
    expect(h.edges).toEqual([0, 1, 2, 3, 4]);
    // [0,1) [1,2) [2,3) [3,4] — the last bin includes its right edge, like numpy.histogram.
    expect(h.referenceCounts).toEqual([1, 1, 1, 1]);
    expect(h.currentCounts).toEqual([0, 0, 1, 2]);
    expect(h).toMatchObject({ referenceTotal: 4, currentTotal: 3 });
  });

  it('defaults to 20 bins and counts every value exactly once', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
    const cur = Array.from({ length: 300 }, (_, i) => Math.cos(i) * 12);
    const h = histogram(ref, cur);
    expect(h.edges).toHaveLength(21);
    expect(h.referenceCounts.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(h.currentCounts.reduce((a, b) => a + b, 0)).toBe(300);
  });

  it('centres a unit-width range on a constant feature', () => {
    const h = histogram([5, 5], [5], { bins: 2 });
    expect(h.edges).toEqual([4.5, 5, 5.5]);
    expect(h.referenceCounts).toEqual([0, 2]);
  });

  it('rejects a non-integer bin count and empty samples', () => {
    expect(() => histogram([1], [1], { bins: 0 })).toThrow(DriftInputError);
    expect(() => histogram([], [1])).toThrow(/empty/);
  });

  it('of sorted samples gives the same histogram (a prepared reference column)', () => {
    const ref = Array.from({ length: 500 }, (_, i) => Math.sin(i * 7) * 10);
    const cur = Array.from({ length: 120 }, (_, i) => Math.cos(i) * 12 + 3);
    const sorted = (xs: number[]) => Float64Array.from(xs).sort();
    expect(histogramSorted(sorted(ref), sorted(cur), 8)).toEqual(histogram(ref, cur, { bins: 8 }));
    expect(() => histogramSorted(new Float64Array(0), sorted(cur))).toThrow(DriftInputError);
    expect(() => histogramSorted(sorted(ref), sorted(cur), 0)).toThrow(/positive integer/);
  });
});
