import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  chiSquareSf,
  kolmogorovCdf,
  kolmogorovSf,
  kstwoCdf,
  kstwoSf,
  logGamma,
  normalCdf,
  normalSf,
  smirnovSf,
  studentTCdf,
  studentTSf,
} from './special.ts';
import { loadStatsReference, relativeError } from './testing/stats-reference.ts';

const anchors = loadStatsReference().distribution_anchors;
/** The special functions are written for full double precision; 1e-12 leaves room for ulps only. */
const TIGHT = 1e-12;

describe('distribution anchors from scipy 1.10 (stats-reference.json)', () => {
  it.each(anchors.normal_cdf)('normal at x=$x: cdf $cdf, sf $sf', ({ x, mean, sd, cdf, sf }) => {
    expect(relativeError(normalCdf(x, mean, sd), cdf)).toBeLessThanOrEqual(TIGHT);
    expect(relativeError(normalSf(x, mean, sd), sf)).toBeLessThanOrEqual(TIGHT);
  });

  it.each(anchors.chi2_sf)('chi-square x=$x df=$df: sf $sf', ({ x, df, cdf, sf }) => {
    expect(relativeError(chiSquareSf(x, df), sf)).toBeLessThanOrEqual(TIGHT);
    expect(relativeError(chiSquareCdf(x, df), cdf)).toBeLessThanOrEqual(TIGHT);
  });

  it.each(anchors.studentt_cdf)('Student t=$t df=$df: cdf $cdf', ({ t, df, cdf }) => {
    expect(relativeError(studentTCdf(t, df), cdf)).toBeLessThanOrEqual(TIGHT);
    expect(relativeError(studentTSf(-t, df), cdf)).toBeLessThanOrEqual(TIGHT);
  });

  it.each(anchors.kolmogorov_sf)('Kolmogorov limit x=$x: sf $kolmogorov_sf', ({ x, kolmogorov_sf }) => {
    expect(relativeError(kolmogorovSf(x), kolmogorov_sf)).toBeLessThanOrEqual(TIGHT);
    expect(Math.abs(kolmogorovCdf(x) + kolmogorovSf(x) - 1)).toBeLessThanOrEqual(1e-15);
  });
});

describe('survival functions keep relative accuracy where 1 - cdf cannot', () => {
  it('normal upper tail far beyond 1e-17', () => {
    // scipy.stats.norm.sf(20) = 2.7536241186061556e-89.
    expect(relativeError(normalSf(20), 2.7536241186061556e-89)).toBeLessThanOrEqual(1e-13);
    expect(1 - normalCdf(20)).toBe(0);
  });

  it('chi-square tail at 1e-37 is not rounded to 0', () => {
    expect(chiSquareSf(400, 100)).toBeGreaterThan(1e-38);
    expect(1 - chiSquareCdf(400, 100)).toBe(0);
  });
});

describe('finite-n Kolmogorov distribution (kstwo)', () => {
  it('has the Ruben-Gambino closed forms at its extremes', () => {
    // P(D_n >= x) = 1 - n!/n^n (2nx - 1)^n for 1/(2n) < x <= 1/n; 2(1 - x)^n for x >= 1 - 1/n.
    expect(kstwoSf(0.8 / 3, 3)).toBeCloseTo(1 - (6 / 27) * (2 * 0.8 - 1) ** 3, 14);
    expect(relativeError(kstwoSf(0.9, 10), 2 * (1 - 0.9) ** 10)).toBeLessThanOrEqual(1e-14);
    expect(kstwoSf(1, 7)).toBe(0);
    expect(kstwoSf(0.01, 7)).toBe(1);
  });

  it('cdf and sf add up to 1 where both come from the same method', () => {
    // (For n > 140 and n·x² >= 2.2 scipy takes the sf from the Smirnov sum but the cdf from the
    // Pelz-Good approximation, which differ by ~1e-9; those points are left out.)
    for (const [n, x] of [
      [20, 0.1],
      [20, 0.3],
      [20, 0.55],
      [120, 0.05],
      [500, 0.02],
      [500, 0.04],
      [200000, 0.002],
    ] as const) {
      expect(Math.abs(kstwoSf(x, n) + kstwoCdf(x, n) - 1)).toBeLessThanOrEqual(1e-12);
    }
  });

  it('reduces to twice the one-sided Smirnov tail for x >= 1/2', () => {
    expect(kstwoSf(0.6, 25)).toBeCloseTo(2 * smirnovSf(25, 0.6), 15);
  });

  it('rejects a non-integer sample size', () => {
    expect(() => kstwoSf(0.1, 2.5)).toThrow(/positive integer/);
  });
});

describe('logGamma', () => {
  it('matches log((n-1)!) and Γ(1/2) = sqrt(π)', () => {
    expect(logGamma(1)).toBe(0);
    expect(relativeError(logGamma(11), Math.log(3628800))).toBeLessThanOrEqual(1e-15);
    expect(relativeError(logGamma(0.5), Math.log(Math.sqrt(Math.PI)))).toBeLessThanOrEqual(1e-14);
    expect(relativeError(logGamma(171), 706.5730622457874)).toBeLessThanOrEqual(1e-15);
  });
});
