import { describe, expect, it } from 'vitest';
import { balancedAccuracy } from './balanced-accuracy.ts';
import { mcnemarFromCounts, mcnemarTest, pairedBalancedDifference } from './paired.ts';
import { loadPolicyReference } from './testing/policy-reference.ts';
import { relativeError } from './testing/stats-reference.ts';

describe('exact McNemar test against scipy 1.10 (policy-reference.json)', () => {
  it.each(loadPolicyReference().mcnemar.map((c, i) => ({ ...c, i })))('case $i', (c) => {
    const result = mcnemarTest(c.challenger, c.champion, { confidence: 0.9 });
    expect(result.challengerOnly).toBe(c.challenger_only);
    expect(result.championOnly).toBe(c.champion_only);
    const d = c.challenger_only + c.champion_only;
    const accuracy = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(result.difference).toBeCloseTo(accuracy(c.challenger) - accuracy(c.champion), 14);
    if (d === 0) {
      expect(result.lowerBound).toBe(0);
      expect(result.pValueTwoSided).toBe(1);
      return;
    }
    expect(relativeError(result.pValueGreater, c.p_greater!)).toBeLessThanOrEqual(1e-10);
    expect(relativeError(result.pValueLess, c.p_less!)).toBeLessThanOrEqual(1e-10);
    expect(relativeError(result.pValueTwoSided, c['p_two-sided']!)).toBeLessThanOrEqual(1e-10);
    for (const confidence of [0.8, 0.9, 0.95] as const) {
      const share = c[`share_lower_${confidence}`]!;
      const bound = mcnemarTest(c.challenger, c.champion, { confidence }).lowerBound;
      expect(bound).toBeCloseTo(((2 * share - 1) * d) / c.challenger.length, 10);
    }
  });

  it('bounds the difference below its point estimate, tighter with more discordant evidence', () => {
    const small = mcnemarFromCounts(6, 3, 150);
    const large = mcnemarFromCounts(60, 30, 1500);
    expect(small.lowerBound).toBeLessThan(small.difference);
    expect(large.difference).toBeCloseTo(small.difference, 12);
    expect(large.lowerBound).toBeGreaterThan(small.lowerBound);
    expect(() => mcnemarFromCounts(3, 3, 5)).toThrow(/n must be an integer >= the 6 discordant rows/);
    expect(() => mcnemarTest([1, 0], [1])).toThrow(/same non-empty rows/);
  });
});

describe('paired balanced-accuracy difference', () => {
  it('is the difference of the balanced accuracies, and punishes a majority-only challenger', () => {
    const labels = Array.from({ length: 500 }, (_, i) => (i % 25 === 0 ? 1 : 0));
    const champion = labels.map((y, i) => (y === 1 ? (i % 50 === 0 ? 1 : 0) : i % 97 === 0 ? 1 : 0));
    const challenger = labels.map(() => 0);
    const right = (pred: number[]) => pred.map((p, i) => (p === labels[i] ? 1 : 0));
    const result = pairedBalancedDifference(labels, right(challenger), right(champion));
    expect(result.difference).toBeCloseTo(
      balancedAccuracy(labels, challenger) - balancedAccuracy(labels, champion),
      14,
    );
    // Plain accuracy would favour the majority-only challenger here.
    expect(mcnemarTest(right(challenger), right(champion)).difference).toBeGreaterThan(-0.02);
    expect(result.lowerBound).toBeLessThan(-0.1);
  });

  it('leaves out the classes under minClassRows: a one-row class moved it by 1/K with no variance', () => {
    const labels = [2, ...Array<number>(20).fill(0), ...Array<number>(20).fill(1)];
    const champion = labels.map((y, i) => (y === 2 ? 2 : i % 2)); // right on the one row of class 2
    const challenger = labels.map((y, i) => (y === 2 ? 0 : y === 0 ? (i % 4 === 0 ? 1 : 0) : 1));
    const right = (pred: number[]) => pred.map((p, i) => (p === labels[i] ? 1 : 0));
    const all = pairedBalancedDifference(labels, right(challenger), right(champion));
    const weighed = pairedBalancedDifference(labels, right(challenger), right(champion), { minClassRows: 5 });
    expect(all.classes).toBe(3);
    expect(weighed.classes).toBe(2);
    const two = (pred: number[]) => balancedAccuracy(labels.slice(1), pred.slice(1));
    expect(weighed.difference).toBeCloseTo(two(challenger) - two(champion), 14);
    expect(weighed.difference).toBeGreaterThan(0.2);
    expect(all.difference).toBeLessThan(weighed.difference - 0.3);
  });
});
