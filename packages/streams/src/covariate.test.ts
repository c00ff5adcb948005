import { describe, expect, it } from 'vitest';
import { covariateShift } from './covariate.ts';

// The rule written out independently of the module.
function rule(features: number[], nClasses: 2 | 3): number {
  const score = Math.sin(features[0]!) + Math.sin(features[1]!);
  if (nClasses === 2) return score > 0 ? 1 : 0;
  return score < -0.4 ? 0 : score > 0.4 ? 2 : 1;
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
const variance = (values: number[]): number => {
  const m = mean(values);
  return mean(values.map((value) => (value - m) ** 2));
};
const column = (rows: number[][], j: number): number[] => rows.map((row) => row[j]!);

describe('covariateShift', () => {
  it('is deterministic per seed', () => {
    expect(covariateShift({ seed: 4 }).take(3000, 4000)).toEqual(
      covariateShift({ seed: 4 }).take(3000, 4000),
    );
    expect(covariateShift({ seed: 5 }).take(5)).not.toEqual(covariateShift({ seed: 4 }).take(5));
  });

  it('shifts the means of the listed features by the documented amount at the documented position', () => {
    const stream = covariateShift({ seed: 1, nFeatures: 4 });
    expect(stream.driftPoints).toEqual([
      {
        position: 5000,
        kind: 'covariate',
        description: 'feature means shift by 3 sd (x0 0 → 3, x1 0 → 3); labelling rule unchanged',
      },
    ]);
    const before = stream.take(5000).features;
    const after = stream.take(5000, 5000).features;
    // N(μ, 1) over 5000 samples: standard error of the mean ≈ 0.014, of the variance ≈ 0.02.
    expect(Math.abs(mean(column(before, 0)))).toBeLessThan(0.06);
    expect(Math.abs(mean(column(before, 1)))).toBeLessThan(0.06);
    expect(Math.abs(mean(column(after, 0)) - 3)).toBeLessThan(0.06);
    expect(Math.abs(mean(column(after, 1)) - 3)).toBeLessThan(0.06);
    for (const j of [2, 3]) {
      expect(Math.abs(mean(column(before, j)))).toBeLessThan(0.06);
      expect(Math.abs(mean(column(after, j)))).toBeLessThan(0.06);
    }
    for (const j of [0, 1, 2, 3]) {
      expect(Math.abs(variance(column(before, j)) - 1)).toBeLessThan(0.08);
      expect(Math.abs(variance(column(after, j)) - 1)).toBeLessThan(0.08);
    }
    // The shift is abrupt: the last 1000 samples before it are unshifted, the first 1000 after are.
    expect(Math.abs(mean(column(stream.take(1000, 4000).features, 0)))).toBeLessThan(0.12);
    expect(Math.abs(mean(column(stream.take(1000, 5000).features, 0)) - 3)).toBeLessThan(0.12);
  });

  it('accumulates successive shifts', () => {
    const stream = covariateShift({
      seed: 2,
      nFeatures: 3,
      shifts: [
        { position: 2000, features: [0, 2], magnitude: 1.5 },
        { position: 6000, features: [2], magnitude: -3 },
      ],
    });
    expect(stream.driftPoints.map((point) => point.description)).toEqual([
      'feature means shift by 1.5 sd (x0 0 → 1.5, x2 0 → 1.5); labelling rule unchanged',
      'feature means shift by -3 sd (x2 1.5 → -1.5); labelling rule unchanged',
    ]);
    const middle = stream.take(4000, 2000).features;
    const last = stream.take(4000, 6000).features;
    expect(Math.abs(mean(column(middle, 0)) - 1.5)).toBeLessThan(0.06);
    expect(Math.abs(mean(column(middle, 2)) - 1.5)).toBeLessThan(0.06);
    expect(Math.abs(mean(column(last, 0)) - 1.5)).toBeLessThan(0.06);
    expect(Math.abs(mean(column(last, 2)) + 1.5)).toBeLessThan(0.06);
    expect(Math.abs(mean(column(last, 1)))).toBeLessThan(0.06);
  });

  it('without noise, labels every sample by the fixed rule, before and after the shift', () => {
    for (const nClasses of [2, 3] as const) {
      const batch = covariateShift({ seed: 3, nClasses }).take(10_000);
      expect(batch.labels.every((label, i) => label === rule(batch.features[i]!, nClasses))).toBe(true);
    }
  });

  it('starts with balanced classes, and the shift moves the class balance', () => {
    const two = covariateShift({
      seed: 6,
      length: 20_000,
      shifts: [{ position: 10_000, features: [0], magnitude: 2 }],
    });
    // Standard error of a share over 10000 samples ≈ 0.005.
    expect(Math.abs(mean(two.take(10_000).labels) - 0.5)).toBeLessThan(0.02);
    expect(mean(two.take(10_000, 10_000).labels)).toBeGreaterThan(0.6);
    const three = covariateShift({ seed: 6, nClasses: 3 }).take(5000).labels;
    for (const label of [0, 1, 2]) {
      expect(Math.abs(three.filter((value) => value === label).length / 5000 - 1 / 3)).toBeLessThan(0.025);
    }
  });

  it('replaces a noisy label by another class, at the noise rate', () => {
    const clean = covariateShift({ seed: 7, nClasses: 3 }).take(20_000);
    const noisy = covariateShift({ seed: 7, nClasses: 3, noise: 0.15 }).take(20_000);
    expect(noisy.features).toEqual(clean.features);
    const changed = noisy.labels.flatMap((label, i) => (label !== clean.labels[i] ? [label] : []));
    // Standard error of the rate ≈ 0.0025.
    expect(Math.abs(changed.length / 20_000 - 0.15)).toBeLessThan(0.012);
    expect(noisy.labels.every((label) => label === 0 || label === 1 || label === 2)).toBe(true);
  });

  it('leaves the default shift out of streams too short to reach it', () => {
    expect(covariateShift({ length: 5000 }).driftPoints).toEqual([]);
    expect(covariateShift({ length: 5001 }).driftPoints.map((point) => point.position)).toEqual([5000]);
    expect(covariateShift({ shifts: [] }).driftPoints).toEqual([]);
  });

  it('exposes its metadata', () => {
    const stream = covariateShift({ nFeatures: 5, nClasses: 3 });
    expect([stream.name, stream.nFeatures, stream.nClasses, stream.length]).toEqual([
      'covariate',
      5,
      3,
      Number.POSITIVE_INFINITY,
    ]);
    expect(stream.featureNames).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
  });

  it('rejects options it cannot honour, saying which and why', () => {
    expect(() => covariateShift({ length: -1 })).toThrow(/length must be a non-negative integer/);
    expect(() => covariateShift({ nClasses: 4 })).toThrow(/nClasses must be 2 or 3, got 4/);
    expect(() => covariateShift({ nFeatures: 1 })).toThrow(/nFeatures must be an integer >= 2/);
    expect(() => covariateShift({ shifts: [{ position: 10, features: [4], magnitude: 1 }] })).toThrow(
      /shifts\[0\]\.features\[0\] = 4 is not a feature index; use 0\.\.3/,
    );
    expect(() => covariateShift({ shifts: [{ position: 10, features: [], magnitude: 1 }] })).toThrow(
      /features must be a non-empty array/,
    );
    expect(() => covariateShift({ shifts: [{ position: 10, features: [1, 1], magnitude: 1 }] })).toThrow(
      /lists a feature twice/,
    );
    expect(() =>
      covariateShift({ shifts: [{ position: 10, features: [0], magnitude: Number.NaN }] }),
    ).toThrow(/shifts\[0\]\.magnitude must be a finite number/);
    expect(() =>
      covariateShift({
        shifts: [
          { position: 300, features: [0], magnitude: 1 },
          { position: 200, features: [1], magnitude: 1 },
        ],
      }),
    ).toThrow(/shift positions must be strictly increasing, but shifts\[1\]\.position = 200 follows 300/);
    expect(() =>
      covariateShift({ length: 100, shifts: [{ position: 100, features: [0], magnitude: 1 }] }),
    ).toThrow(/not before the end of the stream \(length 100\)/);
    expect(() => covariateShift({ noise: 2 })).toThrow(/noise must be a probability/);
  });
});
