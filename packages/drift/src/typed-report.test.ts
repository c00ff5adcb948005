// Drift by column type: numbers by their present values and missing share, categories by shares.
import { describe, expect, it } from 'vitest';
import { chiSquareTest } from './categorical.ts';
import { compareTypedColumns } from './typed-report.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Rows of a numeric column (normal-ish, `missing` share NaN) and a 4-category column with `shares`. */
function sample(n: number, seed: number, o: { shift?: number; missing?: number; shares?: number[] } = {}) {
  const r = rng(seed);
  const shares = o.shares ?? [0.4, 0.3, 0.2, 0.1];
  return Array.from({ length: n }, () => {
    const x = r() < (o.missing ?? 0.2) ? Number.NaN : r() + r() + r() + (o.shift ?? 0);
    let u = r();
    let code = 0;
    while (code < shares.length - 1 && u >= shares[code]!) u -= shares[code++]!;
    return [x, code];
  });
}
const types = ['numeric', 'categorical'] as const;

describe('compareTypedColumns', () => {
  it('flags a category column whose shares move, by chi-square on its counts', () => {
    const report = compareTypedColumns(sample(2000, 1), sample(2000, 2, { shares: [0.1, 0.2, 0.3, 0.4] }), {
      featureTypes: types,
      featureNames: ['x', 'colour'],
      driftShare: 'any',
    });
    const colour = report.features[1]!;
    expect(colour.drifted).toBe(true);
    expect(colour.reason).toMatch(/^category shares \(chi² .*\) moved/);
    expect(report.features[0]!.drifted).toBe(false);
  });

  it('computes the chi-square of scipy.stats.chi2_contingency on the category counts', () => {
    // scipy.stats.chi2_contingency([[50, 30, 20], [30, 30, 40]]) → statistic 11.666666666666668, p 0.0029282996948181853
    const chi = chiSquareTest([50, 30, 20], [30, 30, 40]);
    expect(chi.statistic).toBeCloseTo(11.666666666666668, 10);
    expect(chi.pValue).toBeCloseTo(0.0029282996948181853, 12);
  });

  it('flags a rise of the missing share of a numeric column', () => {
    const report = compareTypedColumns(
      sample(2000, 3, { missing: 0.02 }),
      sample(2000, 4, { missing: 0.3 }),
      {
        featureTypes: types,
        driftShare: 'any',
      },
    );
    expect(report.features[0]).toMatchObject({ drifted: true, kind: 'numeric' });
    expect(report.features[0]!.reason).toMatch(/^missing share moved/);
    expect(report.features[0]!.missingShare.current).toBeCloseTo(0.3, 1);
  });

  it('keeps false alarms near the nominal level on samples of one distribution with 20% missing', () => {
    let alarms = 0;
    const pairs = 200;
    for (let k = 0; k < pairs; k++) {
      const report = compareTypedColumns(sample(500, 1000 + k), sample(500, 5000 + k), {
        featureTypes: types,
        driftShare: 'any',
      });
      if (report.drifted) alarms++;
    }
    expect(alarms / pairs).toBeLessThan(0.08);
  });

  it('counts unseen categories (negative codes) as a category of their own', () => {
    const ref = sample(1000, 7);
    const cur = sample(1000, 8).map(([x, c], i) => [x!, i % 3 === 0 ? -1 : c!]);
    const report = compareTypedColumns(ref, cur, { featureTypes: types, driftShare: 'any' });
    expect(report.features[1]!.drifted).toBe(true);
  });

  it('refuses infinite values, and says insufficient data below minSamples', () => {
    expect(() =>
      compareTypedColumns([[Number.POSITIVE_INFINITY, 0]], [[1, 0]], { featureTypes: types }),
    ).toThrow(/infinite/);
    expect(compareTypedColumns(sample(50, 1), sample(50, 2), { featureTypes: types }).verdict).toBe(
      'insufficient_data',
    );
  });
});
