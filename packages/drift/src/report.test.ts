import { beforeAll, describe, expect, it } from 'vitest';
import { DriftInputError } from './errors.ts';
import { prepareReference } from './reference.ts';
import { type CompareOptions, compareDistributions } from './report.ts';
import { SeededRandom } from './testing/seeded-random.ts';

/** Ten features of the kinds a tabular model sees: continuous, skewed, bounded, integer-valued, tied. */
const FEATURES: ((r: SeededRandom) => number)[] = [
  (r) => r.normal(),
  (r) => Math.exp(r.normal(0, 0.5)),
  (r) => r.uniform() * 10,
  (r) => r.integer(6),
  (r) => Math.round(r.normal(50, 10) * 100) / 100,
  (r) => r.normal(5, 2),
  (r) => r.exponential(),
  (r) => (r.uniform() < 0.3 ? 0 : r.normal(3, 1)),
  (r) => Math.floor(r.exponential() * 3),
  (r) => r.normal() ** 2,
];

function table(rng: SeededRandom, rows: number, shift: (feature: number) => number = () => 0): number[][] {
  return Array.from({ length: rows }, () => FEATURES.map((draw, f) => draw(rng) + shift(f)));
}

describe('false alarms on windows without drift', () => {
  // 1,000 seeded windows, each a fresh reference of 1,000 rows and current window of 500 rows drawn
  // from the same 10 distributions. Each window is checked once per configuration.
  const windows = 1000;
  const counts = { defaults: 0, anyBh: 0, anyUncorrected: 0 };
  beforeAll(() => {
    const rng = new SeededRandom(20240521);
    for (let w = 0; w < windows; w++) {
      const reference = prepareReference(table(rng, 1000));
      const current = table(rng, 500);
      if (compareDistributions(reference, current).drifted) counts.defaults++;
      const anyFeature = compareDistributions(reference, current, { driftShare: 'any' });
      if (anyFeature.drifted) counts.anyBh++;
      // The uncorrected rule follows from the raw p-values of the same run.
      if (anyFeature.features.some((f) => f.ks.pValue < 0.05 || f.psi >= 0.2)) counts.anyUncorrected++;
    }
  });

  it('the default (BH-corrected, drift share 0.5) verdict flags at most 5 % of windows', () => {
    expect(counts.defaults / windows).toBeLessThanOrEqual(0.05);
  });

  it('"any feature after BH correction" stays near its nominal 5 % level', () => {
    // A level-0.05 test: expected rate <= 5 % (lower here because ties make KS conservative);
    // the bound allows 2.5 standard errors of a 1,000-window estimate.
    expect(counts.anyBh / windows).toBeLessThanOrEqual(0.05 + 2.5 * Math.sqrt((0.05 * 0.95) / windows));
  });

  it('without correction "any feature" raises false alarms on a large share of windows', () => {
    // 1 - 0.95^10 ≈ 40 % for continuous features; the test above can therefore fail.
    expect(counts.anyUncorrected / windows).toBeGreaterThan(0.2);
  });
});

describe('compareDistributions verdicts', () => {
  const rng = new SeededRandom(7);
  const reference = table(rng, 2000);
  const names = FEATURES.map((_, f) => `x${f}`);

  it('reports drift when most features move and flags exactly the moved ones', () => {
    const moved = new Set([0, 1, 2, 5, 6, 9]);
    const current = table(rng, 1000, (f) => (moved.has(f) ? 0.5 : 0));
    const report = compareDistributions(reference, current, { featureNames: names });
    expect(report.verdict).toBe('drift');
    expect(report.drifted).toBe(true);
    expect(report.features.filter((f) => f.drifted).map((f) => f.index)).toEqual([...moved]);
    expect(report.driftedShare).toBe(0.6);
    expect(report.nDrifted).toBe(6);
    const x0 = report.features[0]!;
    expect(x0.feature).toBe('x0');
    expect(x0.ks.pValue).toBeLessThan(1e-10);
    expect(x0.pValueAdjusted).toBeGreaterThanOrEqual(x0.ks.pValue);
    expect(x0.wassersteinNormalized).toBeCloseTo(0.5, 1);
    expect(x0.reason).toMatch(/^KS p .* \(BH-adjusted\) < 0\.05/);
    expect(report.features[3]!.reason).toMatch(/^no drift: KS p/);
  });

  it('flags a single drifted feature but keeps the dataset verdict until the drift share is reached', () => {
    const current = table(rng, 1000, (f) => (f === 4 ? 15 : 0));
    const report = compareDistributions(reference, current);
    expect(report.features.filter((f) => f.drifted).map((f) => f.index)).toEqual([4]);
    expect(report.verdict).toBe('no_drift');
    expect(compareDistributions(reference, current, { driftShare: 'any' }).verdict).toBe('drift');
    expect(compareDistributions(reference, current, { driftShare: 0.1 }).verdict).toBe('drift');
    expect(report.features[4]!.reason).toMatch(/PSI .* >= 0\.2/);
  });

  it('returns insufficient_data below minSamples, still reporting the statistics', () => {
    const current = table(rng, 60, () => 5);
    const report = compareDistributions(reference, current);
    expect(report.verdict).toBe('insufficient_data');
    expect(report.drifted).toBe(false);
    expect(report.features.every((f) => !f.drifted)).toBe(true);
    expect(report.features[0]!.ks.pValue).toBeLessThan(1e-10);
    expect(report.features[0]!.reason).toMatch(
      /^insufficient data \(2000 reference and 60 current rows, 100 needed\)/,
    );
    expect(compareDistributions(reference, current, { minSamples: 50 }).verdict).toBe('drift');
  });

  it('returns insufficient_data without features when a side has no rows', () => {
    expect(compareDistributions(reference, [])).toMatchObject({
      verdict: 'insufficient_data',
      features: [],
      nCurrent: 0,
      nFeatures: 10,
    });
    expect(compareDistributions([], table(rng, 5))).toMatchObject({
      verdict: 'insufficient_data',
      nReference: 0,
    });
  });

  it('handles constant columns and heavy ties without NaN', () => {
    const ref = Array.from({ length: 200 }, (_, i) => [3, i % 2, 7]);
    const cur = Array.from({ length: 150 }, (_, i) => [3, i % 2, 8]);
    const report = compareDistributions(ref, cur, { driftShare: 'any' });
    const [same, binary, moved] = report.features;
    expect(same).toMatchObject({
      ks: { statistic: 0, pValue: 1 },
      psi: 0,
      wasserstein: 0,
      wassersteinNormalized: 0,
    });
    expect(same!.drifted).toBe(false);
    expect(binary!.drifted).toBe(false);
    // A constant reference has no spread: the pooled standard deviation of both samples scales it.
    expect(moved!.wasserstein).toBe(1);
    expect(moved!.wassersteinNormalized).toBeCloseTo(1 / Math.sqrt((200 * 150) / 350 ** 2), 12);
    expect(moved!.drifted).toBe(true);
    expect(JSON.stringify(report)).not.toMatch(/null|NaN|Infinity/);
  });

  it('gives the same report for a prepared reference as for the raw rows', () => {
    const current = table(rng, 400, (f) => f / 10);
    expect(compareDistributions(prepareReference(reference, { featureNames: names }), current)).toEqual(
      compareDistributions(reference, current, { featureNames: names }),
    );
  });

  it('echoes the settings it used, defaults filled in', () => {
    expect(compareDistributions(reference, table(rng, 200)).settings).toEqual({
      pValue: 0.05,
      psiThreshold: 0.2,
      correction: 'bh',
      driftShare: 0.5,
      minSamples: 100,
      ksMethod: 'auto',
      psiBins: 10,
      psiClosed: 'left',
      thresholds: 'fixed',
    });
  });

  it('applies Bonferroni or no correction on request', () => {
    const current = table(rng, 300, (f) => (f === 0 ? 0.2 : 0));
    const raw = compareDistributions(reference, current, { correction: 'none' }).features[0]!;
    const bonf = compareDistributions(reference, current, { correction: 'bonferroni' }).features[0]!;
    expect(raw.pValueAdjusted).toBe(raw.ks.pValue);
    expect(bonf.pValueAdjusted).toBeCloseTo(Math.min(1, raw.ks.pValue * 10), 15);
    expect(bonf.reason).toContain('Bonferroni-adjusted');
  });
});

describe('compareDistributions input validation', () => {
  const ok = [
    [1, 2],
    [3, 4],
  ];
  it.each<[string, () => unknown, RegExp]>([
    [
      'ragged rows',
      () => compareDistributions([[1, 2], [3]], ok),
      /row 1 has 1 values but 2 features are expected/,
    ],
    [
      'missing values',
      () => compareDistributions(ok, [[1, Number.NaN]]),
      /non-finite value \(NaN\) for feature 'feature_1' at row 0/,
    ],
    [
      'different widths',
      () => compareDistributions(ok, [[1, 2, 3]]),
      /current rows have 3 features but the reference has 2/,
    ],
    [
      'wrong name count',
      () => compareDistributions(ok, ok, { featureNames: ['a'] }),
      /featureNames has 1 names/,
    ],
    [
      'pValue out of range',
      () => compareDistributions(ok, ok, { pValue: 1.5 }),
      /pValue must be in \(0, 1\)/,
    ],
    [
      'unknown correction',
      () => compareDistributions(ok, ok, { correction: 'holm' } as unknown as CompareOptions),
      /correction/,
    ],
    ['bad drift share', () => compareDistributions(ok, ok, { driftShare: 0 }), /driftShare/],
    ['bad minSamples', () => compareDistributions(ok, ok, { minSamples: 0.5 }), /minSamples/],
    ['bad PSI bins', () => compareDistributions(ok, ok, { psiBins: 1 }), /psiBins must be an integer >= 2/],
  ])('rejects %s with a DriftInputError that says what to fix', (_, call, message) => {
    expect(call).toThrow(DriftInputError);
    expect(call).toThrow(message);
  });
});
