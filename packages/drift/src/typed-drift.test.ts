import { beforeAll, describe, expect, it } from 'vitest';
import { calibrateThresholds } from './calibration.ts';
import { DriftInputError } from './errors.ts';
import type { FeatureType } from './feature-types.ts';
import { prepareReference } from './reference.ts';
import { type CompareOptions, compareDistributions } from './report.ts';
import { SeededRandom } from './testing/seeded-random.ts';
import { relativeError } from './testing/stats-reference.ts';
import { loadTypedReference } from './testing/typed-reference.ts';

const TYPES: FeatureType[] = ['numeric', 'categorical', 'boolean'];
const TOLERANCE = 1e-9;

function shuffle<T>(values: T[], rng: SeededRandom): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

/** Value of a category label in a row: missing = NaN, unseen = a negative code (-1 or -3). */
function codeOf(label: string, k: number): number {
  if (label === 'missing') return Number.NaN;
  if (label === 'unseen') return k % 2 === 0 ? -1 : -3;
  if (label === 'false') return 0;
  if (label === 'true') return 1;
  return Number(label);
}

/** One-column rows holding exactly `counts[k]` values of category `labels[k]`, shuffled. */
function rowsFromCounts(labels: string[], counts: number[], rng: SeededRandom): number[][] {
  const rows = labels.flatMap((label, k) => Array.from({ length: counts[k]! }, (_, i) => [codeOf(label, i)]));
  return shuffle(rows, rng);
}

/** Rows of a numeric, a categorical (4 codes) and a boolean column, each missing at random with `missing`. */
function mixedRows(rng: SeededRandom, n: number, missing = 0.2): number[][] {
  const maybe = (draw: () => number) => (rng.uniform() < missing ? Number.NaN : draw());
  return Array.from({ length: n }, () => [
    maybe(() => rng.normal()),
    maybe(() => rng.integer(4)),
    maybe(() => (rng.uniform() < 0.3 ? 1 : 0)),
  ]);
}

describe('featureTypes: NaN is a missing value only in typed checks', () => {
  const rng = new SeededRandom(3);
  const rows = mixedRows(rng, 200);

  it('an untyped check still refuses NaN; a typed one counts it as missing', () => {
    expect(() => compareDistributions(rows, rows)).toThrow(/non-finite value \(NaN\)/);
    const report = compareDistributions(rows, rows, { featureTypes: TYPES });
    expect(report.settings.featureTypes).toEqual(TYPES);
    const missing = rows.filter((r) => Number.isNaN(r[0]!)).length;
    expect(missing).toBeGreaterThan(20);
    expect(report.features[0]!.missingShare).toEqual({ reference: missing / 200, current: missing / 200 });
    expect(report.features.every((f) => !f.drifted)).toBe(true);
  });

  it('leaves untyped reports without any of the typed fields', () => {
    const finite = rows.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v)));
    const report = compareDistributions(finite, finite);
    expect(Object.keys(report.settings)).not.toContain('featureTypes');
    expect(Object.keys(report.features[0]!)).toEqual([
      'feature',
      'index',
      'ks',
      'psi',
      'jensenShannon',
      'wasserstein',
      'wassersteinNormalized',
      'pValueAdjusted',
      'drifted',
      'reason',
    ]);
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'infinity',
      () => compareDistributions(rows, [[Number.POSITIVE_INFINITY, 1, 0]], { featureTypes: TYPES }),
      /current feature 'feature_0' at row 0 has an invalid value \(Infinity\)/,
    ],
    [
      'a boolean other than 0/1',
      () => compareDistributions(rows, [[0, 1, 2]], { featureTypes: TYPES }),
      /boolean column but holds 2/,
    ],
    [
      'a fractional category code',
      () => compareDistributions(rows, [[0, 1.5, 0]], { featureTypes: TYPES }),
      /categorical column but holds 1\.5/,
    ],
    [
      'a type list of the wrong length',
      () => compareDistributions(rows, rows, { featureTypes: ['numeric'] }),
      /featureTypes must list one type per feature \(3\), got 1/,
    ],
    [
      'an unknown type',
      () =>
        compareDistributions(rows, rows, {
          featureTypes: ['numeric', 'text', 'boolean'],
        } as unknown as CompareOptions),
      /featureTypes\[1\] must be 'numeric', 'categorical' or 'boolean'/,
    ],
    [
      'types other than the prepared reference has',
      () =>
        compareDistributions(prepareReference(rows, { featureTypes: TYPES }), rows, {
          featureTypes: ['numeric', 'numeric', 'boolean'],
        }),
      /featureTypes differ from those the reference was prepared with \(numeric, categorical, boolean\)/,
    ],
  ])('refuses %s with a DriftInputError', (_, call, message) => {
    expect(call).toThrow(DriftInputError);
    expect(call).toThrow(message);
  });

  it('a reference prepared with types keeps them, so the check needs no featureTypes option', () => {
    const current = mixedRows(rng, 150);
    expect(compareDistributions(prepareReference(rows, { featureTypes: TYPES }), current)).toEqual(
      compareDistributions(rows, current, { featureTypes: TYPES }),
    );
  });
});

describe('categorical columns: chi-square on the category shares, not KS on the codes', () => {
  // Ten categories whose shares alternate 11 % / 9 % and then swap: every share moves by 2 points,
  // but the codes' cumulative distribution never moves by more than 2 points, so KS on the codes
  // (which treats code 3 as "between" 2 and 4) sees almost nothing.
  const rng = new SeededRandom(11);
  const draw = (n: number, swapped: boolean) =>
    Array.from({ length: n }, () => {
      const u = rng.uniform();
      const weights = Array.from({ length: 10 }, (_, k) => ((k % 2 === 0) !== swapped ? 0.11 : 0.09));
      let code = 0;
      for (let acc = weights[0]!; u > acc && code < 9; acc += weights[++code]!);
      return [code];
    });
  const reference = draw(4000, false);
  const current = draw(2000, true);

  it('is flagged as categorical while the untyped (KS on codes) check stays quiet', () => {
    const untyped = compareDistributions(reference, current).features[0]!;
    expect(untyped.ks.pValue).toBeGreaterThan(0.05);
    expect(untyped.drifted).toBe(false);
    const typed = compareDistributions(reference, current, { featureTypes: ['categorical'] }).features[0]!;
    expect(typed.kind).toBe('categorical');
    expect(typed.chiSquare!.dof).toBe(9);
    expect(typed.chiSquare!.pValue).toBeLessThan(1e-4);
    expect(typed.ks).toEqual({ statistic: 0, pValue: typed.chiSquare!.pValue, method: 'none' });
    expect(typed.wasserstein).toBe(0);
    expect(typed.drifted).toBe(true);
    expect(typed.reason).toMatch(/^category shares moved \(chi² p=.*; largest move '\d' from .*% to .*%\)/);
  });

  it('does not depend on how the codes are numbered, unlike KS', () => {
    const relabel = (rows: number[][]) => rows.map(([c]) => [(c! * 3) % 10]);
    const options = { featureTypes: ['categorical'] as FeatureType[] };
    const a = compareDistributions(reference, current, options).features[0]!;
    const b = compareDistributions(relabel(reference), relabel(current), options).features[0]!;
    expect(b.chiSquare!.statistic).toBeCloseTo(a.chiSquare!.statistic, 9);
    expect(b.psi).toBeCloseTo(a.psi, 12);
    const untypedA = compareDistributions(reference, current).features[0]!.ks.statistic;
    const untypedB = compareDistributions(relabel(reference), relabel(current)).features[0]!.ks.statistic;
    expect(untypedB).not.toBeCloseTo(untypedA, 3);
  });
});

describe('typed chi-square tests against scipy chi2_contingency (typed-reference.json)', () => {
  const reference = loadTypedReference();
  const rng = new SeededRandom(5);

  for (const c of reference.categories) {
    it(`${c.type}: ${c.name}`, () => {
      const ref = rowsFromCounts(c.labels, c.reference, rng);
      const cur = rowsFromCounts(c.labels, c.current, rng);
      const f = compareDistributions(ref, cur, { featureTypes: [c.type], minSamples: 1 }).features[0]!;
      expect(f.categories).toEqual({ labels: c.labels, reference: c.reference, current: c.current });
      expect(f.chiSquare!.pooledCategories).toEqual(c.pooled);
      expect(f.chiSquare!.dof).toBe(c.dof);
      expect(relativeError(f.chiSquare!.statistic, c.chi2)).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(f.chiSquare!.pValue, c.pvalue)).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(f.psi, c.psi)).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(f.jensenShannon, c.jensenshannon_base_2)).toBeLessThanOrEqual(TOLERANCE);
      expect(f.pValue).toBe(f.chiSquare!.pValue);
    });
  }

  for (const c of reference.missing) {
    it(`numeric missing share: ${c.name}`, () => {
      const column = (missing: number, rows: number) =>
        Array.from({ length: rows }, (_, i) => [i < missing ? Number.NaN : rng.normal()]);
      const f = compareDistributions(
        column(c.reference_missing, c.reference_rows),
        column(c.current_missing, c.current_rows),
        {
          featureTypes: ['numeric'],
        },
      ).features[0]!;
      expect(relativeError(f.missingShareTest!.statistic, c.chi2)).toBeLessThanOrEqual(TOLERANCE);
      expect(relativeError(f.missingShareTest!.pValue, c.pvalue)).toBeLessThanOrEqual(TOLERANCE);
      // Bonferroni over the feature's two tests.
      expect(f.pValue).toBe(Math.min(1, 2 * Math.min(f.ks.pValue, f.missingShareTest!.pValue)));
    });
  }
});

describe('missing values of numeric columns', () => {
  const rng = new SeededRandom(21);
  const column = (n: number, missing: number, shift = 0) =>
    Array.from({ length: n }, () => [rng.uniform() < missing ? Number.NaN : rng.normal() + shift]);

  it('flags a rising missing share and says so in words', () => {
    const report = compareDistributions(column(2000, 0.02), column(500, 0.31), {
      featureTypes: ['numeric'],
    });
    const f = report.features[0]!;
    expect(f.ks.pValue).toBeGreaterThan(0.01); // the present values did not move
    expect(f.missingShareTest!.pValue).toBeLessThan(1e-20);
    expect(f.drifted).toBe(true);
    expect(f.reason).toMatch(
      /^missing share rose from \d+(\.\d+)?% to \d+(\.\d+)?% \(chi² p=.*\); BH-adjusted p .* < 0\.05$/,
    );
    expect(f.reason).not.toContain('values moved');
  });

  it('tests the present values alone when only they move', () => {
    const reference = column(2000, 0.2);
    const current = column(500, 0.2, 0.5);
    const f = compareDistributions(reference, current, { featureTypes: ['numeric'] }).features[0]!;
    expect(f.missingShareTest!.pValue).toBeGreaterThan(0.05);
    expect(f.reason).toMatch(/^values moved \(KS D=.*, p=.*\); BH-adjusted p .* < 0\.05/);
    // The same statistics as an untyped check of the present values.
    const present = (rows: number[][]) => rows.filter(([v]) => !Number.isNaN(v!));
    const untyped = compareDistributions(present(reference), present(current)).features[0]!;
    expect(f.ks).toEqual(untyped.ks);
    for (const key of ['psi', 'jensenShannon', 'wasserstein', 'wassersteinNormalized'] as const) {
      expect(f[key]).toBe(untyped[key]);
    }
    expect(f.wassersteinNormalized).toBeGreaterThan(0.3);
  });

  it('handles a column that is entirely missing on one side without NaN statistics', () => {
    const allMissing = Array.from({ length: 300 }, () => [Number.NaN, 1]);
    const ref = column(1000, 0.05).map(([v]) => [v!, 1]);
    const report = compareDistributions(ref, allMissing, { featureTypes: ['numeric', 'boolean'] });
    const [f, constant] = report.features;
    expect(f!.ks).toEqual({ statistic: 0, pValue: 1, method: 'none' });
    expect(f).toMatchObject({ psi: 0, jensenShannon: 0, wasserstein: 0, wassersteinNormalized: 0 });
    expect(f!.missingShare!.current).toBe(1);
    expect(f!.drifted).toBe(true);
    expect(f!.reason).toMatch(/^missing share rose from .*% to 100%/);
    expect(constant!.chiSquare).toMatchObject({ statistic: 0, pValue: 1, dof: 0 });
    expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
    const both = compareDistributions(allMissing, allMissing, { featureTypes: ['numeric', 'boolean'] });
    expect(both.features[0]!.pValue).toBe(1);
    expect(both.features[0]!.reason).toMatch(
      /^no drift: no values on one side, missing share unchanged at 100%/,
    );
  });
});

describe('unseen categories', () => {
  it('counts every negative code as one "unseen" category, which moves the shares', () => {
    const rng = new SeededRandom(8);
    const reference = Array.from({ length: 1000 }, () => [rng.integer(3)]);
    const current = Array.from({ length: 500 }, (_, i) => [
      i % 10 === 0 ? -1 : i % 10 === 5 ? -4 : rng.integer(3),
    ]);
    const f = compareDistributions(reference, current, { featureTypes: ['categorical'] }).features[0]!;
    expect(f.categories!.labels).toEqual(['0', '1', '2', 'unseen']);
    expect(f.categories!.reference[3]).toBe(0);
    expect(f.categories!.current[3]).toBe(100);
    expect(f.drifted).toBe(true);
    expect(f.reason).toContain("largest move 'unseen' from 0% to 20%");
  });
});

describe('a column of (nearly) unique values: a date, an identifier', () => {
  // Each value once (the codes a growing schema gives new dates): the shares are compared on the
  // chi-square's cells, where every such value is rare and pooled. One cell per value made every
  // check call the column drifted (PSI 1.37 on a date column of Seattle's weather).
  const unique = (from: number, n: number) => Array.from({ length: n }, (_, i) => [from + i]);

  it('has nothing that moved when every value is new and seen once', () => {
    const f = compareDistributions(unique(0, 1000), unique(1000, 500), {
      featureTypes: ['categorical'],
    }).features[0]!;
    expect(f.chiSquare!.pooledCategories.length).toBe(1500);
    expect(f.psi).toBe(0);
    expect(f.jensenShannon).toBe(0);
    expect(f.drifted).toBe(false);
  });

  it('still moves when rare new values take a share the reference did not have', () => {
    const rng = new SeededRandom(4);
    const reference = Array.from({ length: 1000 }, () => [rng.integer(3)]);
    const current = Array.from({ length: 500 }, (_, i) => [i % 2 === 0 ? 100 + i : rng.integer(3)]);
    const f = compareDistributions(reference, current, { featureTypes: ['categorical'] }).features[0]!;
    expect(f.psi).toBeGreaterThan(1);
    expect(f.chiSquare!.pValue).toBeLessThan(1e-10);
    expect(f.drifted).toBe(true);
  });
});

describe('no false alarms on samples from one distribution with 20 % of values missing at random', () => {
  // 200 seeded pairs: a reference of 1,000 rows and a current window of 500, numeric, categorical
  // and boolean columns each missing completely at random with probability 0.2.
  const pairs = 200;
  const flagged = [0, 0, 0];
  const rawRejections = [0, 0, 0];
  let datasetAlarms = 0;
  beforeAll(() => {
    const rng = new SeededRandom(20240601);
    for (let i = 0; i < pairs; i++) {
      const report = compareDistributions(mixedRows(rng, 1000), mixedRows(rng, 500), { featureTypes: TYPES });
      report.features.forEach((f, j) => {
        if (f.drifted) flagged[j]!++;
        if (f.pValue! < 0.05) rawRejections[j]!++;
      });
      if (report.drifted) datasetAlarms++;
    }
  });
  // A level-0.05 test flags at most 5 % of pairs; the bound allows 2.5 standard errors of 200 pairs.
  const bound = 0.05 + 2.5 * Math.sqrt((0.05 * 0.95) / pairs);

  it('each column is flagged on at most about 5 % of the pairs', () => {
    for (const count of flagged) expect(count / pairs).toBeLessThanOrEqual(bound);
  });

  it('the feature p-values reject near the nominal 5 % (valid, and not degenerate)', () => {
    for (const count of rawRejections) expect(count / pairs).toBeLessThanOrEqual(bound);
    const pooled = rawRejections.reduce((s, c) => s + c, 0) / (3 * pairs);
    expect(pooled).toBeGreaterThan(0.02);
    expect(pooled).toBeLessThan(0.08);
  });

  it('the dataset verdict (drift share 0.5) raises no alarm', () => {
    expect(datasetAlarms / pairs).toBeLessThanOrEqual(0.05);
  });
});

describe('calibrated thresholds with featureTypes', () => {
  const rng = new SeededRandom(77);
  const reference = mixedRows(rng, 6000);

  it('calibrates per type and flags a moved missing share and moved category shares', () => {
    const thresholds = calibrateThresholds(reference, { chunkSize: 500, featureTypes: TYPES });
    expect(thresholds.featureTypes).toEqual(TYPES);
    const [numeric, categorical] = thresholds.features;
    expect(numeric!.missingShareChange!.threshold).toBeGreaterThan(0);
    expect(categorical!.ksStatistic).toEqual({ mean: 0, std: 0, threshold: 0 });
    expect(categorical!.psi.threshold).toBeGreaterThan(0);
    const prepared = prepareReference(reference, { featureTypes: TYPES });
    const quiet = compareDistributions(prepared, mixedRows(rng, 500), { thresholds });
    expect(quiet.features[0]!.drifted).toBe(false);
    const moved = mixedRows(rng, 500).map(([x, c, b]) => [
      rng.uniform() < 0.3 ? Number.NaN : x!,
      Number.isNaN(c!) ? c! : (c! + 1) % 3,
      b!,
    ]);
    const report = compareDistributions(prepared, moved, { thresholds });
    expect(report.features[0]!.drifted).toBe(true);
    expect(report.features[0]!.reason).toMatch(/missing share rose from .* \(change .* > .*\)/);
    expect(report.features[1]!.reason).toMatch(/^category shares moved: PSI .* > /);
  });

  it('refuses thresholds calibrated with other types', () => {
    const untyped = calibrateThresholds(
      reference.map((r) => r.map((v) => (Number.isNaN(v) ? 0 : v))),
      { chunkSize: 500 },
    );
    expect(() =>
      compareDistributions(reference, reference, { thresholds: untyped, featureTypes: TYPES }),
    ).toThrow(/calibrated with other featureTypes/);
  });
});
