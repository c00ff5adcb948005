import { describe, expect, it } from 'vitest';
import { probOutsideBand, probOutsideBandCounts } from './ks.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const relative = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

/** P(D >= h/lcm) both ways: by path counts (the fast path) and by proportions (Viehmann's form, as scipy). */
function bothWays(n1: number, n2: number, h: number) {
  const g = gcd(n1, n2);
  return { counts: probOutsideBandCounts(n1, n2, g, h), proportions: probOutsideBand(n1, n2, g, h) };
}

describe('exact KS p-value by path counts', () => {
  it('agrees with the proportions recursion on 600 seeded size pairs and distances', () => {
    const rng = new SeededRandom(18);
    let worst = 0;
    let compared = 0;
    for (let t = 0; t < 600; t++) {
      const big = t >= 450;
      const n1 = 1 + rng.integer(big ? 1200 : 60);
      const n2 = 1 + rng.integer(big ? 1200 : 60);
      if (n1 === n2) continue;
      const lcm = (n1 / gcd(n1, n2)) * n2;
      const h = 1 + rng.integer(t % 2 === 0 ? lcm : Math.ceil(lcm / 6));
      const { counts, proportions } = bothWays(n1, n2, h);
      if (counts === undefined || proportions < 1e-250) continue;
      worst = Math.max(worst, relative(counts, proportions));
      compared++;
    }
    expect(compared).toBeGreaterThan(500);
    expect(worst).toBeLessThan(1e-12);
  });

  it('agrees at the drift-check sizes (1,000 vs 10,000) from p near 1 to p near 1e-32', () => {
    for (const d of [0.0005, 0.003, 0.02, 0.0259, 0.05, 0.1, 0.15, 0.2]) {
      const h = Math.round(d * 10_000);
      const { counts, proportions } = bothWays(1000, 10_000, h);
      expect(counts).toBeDefined();
      expect(relative(counts!, proportions)).toBeLessThan(1e-12);
    }
    // The value scipy 1.10 gives for D = 0.1 at these sizes (ks_2samp, method='exact').
    expect(relative(bothWays(1000, 10_000, 1000).counts!, 2.3273409481264166e-8)).toBeLessThan(1e-12);
  });

  it('declines when the counts of a column span too much of the double range for the p-value', () => {
    for (const h of [3000, 3500, 5000]) {
      expect(probOutsideBandCounts(1000, 10_000, 1000, h)).toBeUndefined();
      expect(probOutsideBand(1000, 10_000, 1000, h)).toBeGreaterThan(0);
    }
  });

  it('is symmetric in the two sizes', () => {
    for (const [n1, n2, h] of [
      [7, 9, 20],
      [300, 41, 4000],
      [999, 1000, 30_000],
    ] as const) {
      expect(probOutsideBandCounts(n1, n2, gcd(n1, n2), h)).toBe(
        probOutsideBandCounts(n2, n1, gcd(n1, n2), h),
      );
    }
  });
});
