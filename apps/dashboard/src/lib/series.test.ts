import { describe, expect, it } from 'vitest';
import {
  accuracyBucketSize,
  accuracyChart,
  distributionChart,
  driftFeatureChart,
  histogramChart,
  seriesChanged,
  servedPeriods,
  trainingTimeChart,
} from './series.ts';

describe('accuracyChart', () => {
  it('writes accuracy in percent against labelled rows and marks every change of version', () => {
    const chart = accuracyChart([
      { position: 100, accuracy: 0.9, count: 100, modelVersion: 1 },
      { position: 200, accuracy: 0.85, count: 100, modelVersion: 1 },
      { position: 300, accuracy: 0.6, count: 100, modelVersion: 2 },
      { position: 350, accuracy: 0.7, count: 50, modelVersion: 2 },
      { position: 450, accuracy: 0.95, count: 100, modelVersion: 1 },
    ]);
    expect(chart.data).toEqual([
      [100, 200, 300, 350, 450],
      [90, 85, 60, 70, 95],
    ]);
    expect(chart.markers).toEqual([
      { position: 200, version: 2, previousVersion: 1 },
      { position: 350, version: 1, previousVersion: 2 },
    ]);
  });
  it('sorts by position and has no markers for a single version or no data', () => {
    const chart = accuracyChart([
      { position: 200, accuracy: 0.5, count: 100, modelVersion: 4 },
      { position: 100, accuracy: 0.25, count: 100, modelVersion: 4 },
    ]);
    expect(chart.data).toEqual([
      [100, 200],
      [25, 50],
    ]);
    expect(chart.markers).toEqual([]);
    expect(accuracyChart([])).toEqual({ data: [[], []], markers: [] });
  });
});

describe('accuracyBucketSize', () => {
  it('picks the smallest round step that keeps the chart at about 300 points', () => {
    expect(accuracyBucketSize(0)).toBe(50);
    expect(accuracyBucketSize(15_000)).toBe(50);
    expect(accuracyBucketSize(15_001)).toBe(100);
    expect(accuracyBucketSize(100_000)).toBe(500);
    expect(accuracyBucketSize(1_000_000)).toBe(5000);
    expect(accuracyBucketSize(1e12)).toBe(100_000);
    expect(accuracyBucketSize(1000, 10)).toBe(100);
  });
});

describe('driftFeatureChart', () => {
  const check = (id: number, createdAt: string, psis: number[]) => ({
    id,
    createdAt,
    features: psis.map((psi, index) => ({ feature: `x${index}`, index, psi })),
  });

  it('puts one PSI series per feature against check time, oldest first, skipping checks without statistics', () => {
    const chart = driftFeatureChart([
      check(3, '2025-01-01T00:00:20Z', [0.5, 0.02]),
      check(2, '2025-01-01T00:00:10Z', []),
      check(1, '2025-01-01T00:00:00Z', [0.01, 0.03]),
    ]);
    const t0 = Date.parse('2025-01-01T00:00:00Z') / 1000;
    expect(chart.features).toEqual(['x0', 'x1']);
    expect(chart.totalFeatures).toBe(2);
    expect(chart.data).toEqual([
      [t0, t0 + 20],
      [0.01, 0.5],
      [0.03, 0.02],
    ]);
  });

  it('orders series by feature index whatever order the check lists them in (drifted first)', () => {
    const chart = driftFeatureChart([
      {
        id: 1,
        createdAt: '2025-01-01T00:00:00Z',
        features: [
          { feature: 'b', index: 1, psi: 0.9 },
          { feature: 'a', index: 0, psi: 0.1 },
        ],
      },
    ]);
    expect(chart.features).toEqual(['a', 'b']);
    expect(chart.data.slice(1)).toEqual([[0.1], [0.9]]);
  });

  it('keeps the features with the highest PSI when there are too many, and leaves gaps as null', () => {
    const chart = driftFeatureChart(
      [
        check(1, '2025-01-01T00:00:00Z', [0.01, 0.4, 0.02, 0.3]),
        { id: 2, createdAt: '2025-01-01T00:00:05Z', features: [{ feature: 'x3', index: 3, psi: 0.35 }] },
      ],
      2,
    );
    expect(chart.features).toEqual(['x1', 'x3']);
    expect(chart.totalFeatures).toBe(4);
    expect(chart.data.slice(1)).toEqual([
      [0.4, null],
      [0.3, 0.35],
    ]);
  });

  it('nudges checks recorded in the same millisecond apart so x stays strictly increasing', () => {
    const chart = driftFeatureChart([
      check(1, '2025-01-01T00:00:00Z', [0.1]),
      check(2, '2025-01-01T00:00:00Z', [0.2]),
    ]);
    const [xs] = chart.data;
    expect(xs[1]! - xs[0]!).toBeCloseTo(0.001, 6);
    expect(chart.data[1]).toEqual([0.1, 0.2]);
  });

  it('is empty without checks', () => {
    expect(driftFeatureChart([])).toEqual({ features: [], totalFeatures: 0, data: [[]] });
  });
});

describe('distributionChart', () => {
  it('turns counts into shares in percent and fills missing classes with 0', () => {
    const chart = distributionChart([
      { label: 0, count: 30 },
      { label: 2, count: 10 },
    ]);
    expect(chart.total).toBe(40);
    expect(chart.data).toEqual([
      [0, 1, 2],
      [75, 0, 25],
    ]);
  });
  it('is empty when nothing was predicted', () => {
    expect(distributionChart([])).toEqual({ data: [[], []], total: 0, names: [] });
    expect(distributionChart([{ label: 0, count: 0 }])).toEqual({ data: [[], []], total: 0, names: [] });
  });

  it('names the classes as given, and a class with no count by its number', () => {
    const chart = distributionChart([
      { label: 0, className: 'neg', count: 3 },
      { label: 2, className: 'pos', count: 1 },
    ]);
    expect(chart.names).toEqual(['neg', '1', 'pos']);
  });
});

describe('trainingTimeChart', () => {
  it('plots seconds per finished job, oldest first, in the series of its outcome', () => {
    const chart = trainingTimeChart([
      { id: 4, status: 'RUNNING', outcome: null, durationMs: null },
      { id: 3, status: 'FAILED', outcome: 'error', durationMs: 500 },
      { id: 2, status: 'SUCCEEDED', outcome: 'rejected', durationMs: 2500 },
      { id: 1, status: 'SUCCEEDED', outcome: 'promoted', durationMs: 1200 },
    ]);
    expect(chart.jobs).toBe(3);
    expect(chart.data).toEqual([
      [1, 2, 3],
      [1.2, null, null],
      [null, 2.5, null],
      [null, null, 0.5],
    ]);
  });
  it('counts a job that ended without a model (insufficient data) with the rejected ones', () => {
    const chart = trainingTimeChart([
      { id: 1, status: 'SUCCEEDED', outcome: 'insufficient_data', durationMs: 10 },
    ]);
    expect(chart.data).toEqual([[1], [null], [0.01], [null]]);
  });
});

describe('histogramChart', () => {
  it('normalises each sample to its own size and places bars at bin centres', () => {
    const chart = histogramChart({ edges: [0, 1, 2, 3], reference: [50, 30, 20], current: [0, 5, 15] });
    expect(chart.nReference).toBe(100);
    expect(chart.nCurrent).toBe(20);
    expect(chart.binWidth).toBe(1);
    expect(chart.data).toEqual([
      [0.5, 1.5, 2.5],
      [50, 30, 20],
      [0, 25, 75],
    ]);
  });
  it('refuses counts that do not match the edges, saying what it got', () => {
    expect(() => histogramChart({ edges: [0, 1, 2], reference: [1], current: [1, 2] })).toThrow(
      'histogram: 3 edges need 2 counts per sample, got 1 reference and 2 current',
    );
  });
  it('draws zeros for an empty sample rather than dividing by zero', () => {
    expect(histogramChart({ edges: [0, 1], reference: [0], current: [3] }).data).toEqual([[0.5], [0], [100]]);
  });
});

describe('servedPeriods', () => {
  it('gives each version the spans it served, a rollback opening a second span', () => {
    const periods = servedPeriods([
      { id: 3, version: 1, createdAt: '2025-01-01T00:20:00Z' },
      { id: 1, version: 1, createdAt: '2025-01-01T00:00:00Z' },
      { id: 2, version: 2, createdAt: '2025-01-01T00:10:00Z' },
    ]);
    expect(periods.get(1)).toEqual([
      { from: '2025-01-01T00:00:00Z', to: '2025-01-01T00:10:00Z' },
      { from: '2025-01-01T00:20:00Z', to: null },
    ]);
    expect(periods.get(2)).toEqual([{ from: '2025-01-01T00:10:00Z', to: '2025-01-01T00:20:00Z' }]);
    expect(periods.get(3)).toBeUndefined();
  });
});

describe('seriesChanged', () => {
  const tick = { labelledRows: 100, predictionsTotal: 50, rowsIngested: 120, activeModelVersion: 1 };
  it('re-reads on the first tick and when rows, predictions or the serving version moved', () => {
    expect(seriesChanged(tick, null)).toBe(true);
    expect(seriesChanged({ ...tick, predictionsTotal: 51 }, tick)).toBe(true);
    expect(seriesChanged({ ...tick, rowsIngested: 121 }, tick)).toBe(true);
    expect(seriesChanged({ ...tick, labelledRows: 101, rowsIngested: 121 }, tick)).toBe(true);
    expect(seriesChanged({ ...tick, activeModelVersion: 2 }, tick)).toBe(true);
  });
  it('does not re-read when none of them moved (a tick for a drift check or a retrain)', () => {
    expect(seriesChanged({ ...tick }, tick)).toBe(false);
  });
});
