import { describe, expect, it } from 'vitest';
import {
  betaQuantile,
  binomialAtLeast,
  binomialCdf,
  clopperPearsonInterval,
  fisherExactTest,
  normalQuantile,
  wilsonInterval,
} from './proportions.ts';
import { loadPolicyReference } from './testing/policy-reference.ts';
import { relativeError } from './testing/stats-reference.ts';

const reference = loadPolicyReference();

describe('proportions against scipy 1.10 (policy-reference.json)', () => {
  it.each(reference.normal_quantile)('ndtri($p) = $z', ({ p, z }) => {
    expect(relativeError(normalQuantile(p), z)).toBeLessThanOrEqual(1e-12);
  });

  it.each(reference.beta_quantile)('beta.ppf($p, $a, $b) = $x', ({ p, a, b, x }) => {
    expect(relativeError(betaQuantile(p, a, b), x)).toBeLessThanOrEqual(1e-10);
  });

  // The incomplete beta function loses a few ulps to logGamma at n = 1000.
  it.each(reference.binomial)('binomial k=$k n=$n p=$p', ({ k, n, p, cdf, sf_at_least }) => {
    expect(relativeError(binomialCdf(k, n, p), cdf)).toBeLessThanOrEqual(1e-11);
    expect(relativeError(binomialAtLeast(k, n, p), sf_at_least)).toBeLessThanOrEqual(1e-11);
  });

  it.each(reference.intervals)('intervals k=$k n=$n at $confidence ($alternative)', ({
    k,
    n,
    confidence,
    alternative,
    wilson,
    clopper_pearson,
  }) => {
    const w = wilsonInterval(k, n, { confidence, alternative });
    expect(w.lower).toBeCloseTo(wilson[0], 12);
    expect(w.upper).toBeCloseTo(wilson[1], 12);
    const cp = clopperPearsonInterval(k, n, { confidence, alternative });
    // scipy finds these bounds by root-finding to about 1e-12.
    expect(cp.lower).toBeCloseTo(clopper_pearson[0], 10);
    expect(cp.upper).toBeCloseTo(clopper_pearson[1], 10);
  });

  it.each(
    reference.missing_rate,
  )("Fisher's exact test: $reference_missing/$reference_rows vs $current_missing/$current_rows", ({
    reference_missing,
    reference_rows,
    current_missing,
    current_rows,
    p_value,
  }) => {
    const p = fisherExactTest(
      reference_missing,
      reference_rows - reference_missing,
      current_missing,
      current_rows - current_missing,
    );
    expect(relativeError(p, p_value)).toBeLessThanOrEqual(1e-9);
  });

  it('rejects counts it cannot use, saying which', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(/k must be an integer in \[0, n = 4\]/);
    expect(() => wilsonInterval(1, 0)).toThrow(/n must be a positive integer/);
    expect(() => clopperPearsonInterval(1, 10, { confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
    expect(() => fisherExactTest(1, -1, 0, 0)).toThrow(/b must be a non-negative integer/);
  });
});
