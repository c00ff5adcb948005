import { describe, expect, it } from 'vitest';
import { rotatingHyperplane } from './hyperplane.ts';
import type { StreamSample } from './stream.ts';

// The rule written out independently of the module: label 1 when Σ wᵢxᵢ >= ½ Σ wᵢ.
function rule(features: number[], weights: number[]): number {
  let weighted = 0;
  let total = 0;
  weights.forEach((weight, i) => {
    weighted += weight * features[i]!;
    total += weight;
  });
  return weighted >= total / 2 ? 1 : 0;
}

function collect(stream: Iterable<StreamSample>, count: number): StreamSample[] {
  const samples: StreamSample[] = [];
  for (const sample of stream) {
    if (samples.length === count) break;
    samples.push(sample);
  }
  return samples;
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('rotatingHyperplane', () => {
  it('is deterministic per seed', () => {
    expect(collect(rotatingHyperplane({ seed: 3 }), 2000)).toEqual(
      collect(rotatingHyperplane({ seed: 3 }), 2000),
    );
    expect(rotatingHyperplane({ seed: 3 }).weightsAt(1500)).toEqual(
      rotatingHyperplane({ seed: 3 }).weightsAt(1500),
    );
    expect(collect(rotatingHyperplane({ seed: 4 }), 5)).not.toEqual(
      collect(rotatingHyperplane({ seed: 3 }), 5),
    );
  });

  it('draws d features uniform on [0, 1)', () => {
    const samples = collect(rotatingHyperplane({ seed: 1, nFeatures: 5 }), 20_000);
    expect(
      samples.every(({ features }) => features.length === 5 && features.every((x) => x >= 0 && x < 1)),
    ).toBe(true);
    for (let j = 0; j < 5; j++) {
      // Uniform[0, 1]: standard error of the mean over 20000 samples ≈ 0.002.
      expect(Math.abs(mean(samples.map((sample) => sample.features[j]!)) - 0.5)).toBeLessThan(0.01);
    }
  });

  it('without noise, labels every sample by the hyperplane in force at its index', () => {
    const stream = rotatingHyperplane({
      seed: 8,
      noise: 0,
      magChange: 0.01,
      nFeatures: 4,
      nDriftFeatures: 3,
    });
    const samples = collect(stream, 3000);
    // weightsAt replays the drift from 0, so check a spread of indices rather than all 3000.
    for (let index = 0; index < samples.length; index += 37) {
      const sample = samples[index]!;
      expect(sample.label).toBe(rule(sample.features, stream.weightsAt(index)));
    }
  });

  it('moves each drifting weight by exactly magChange per sample, reversing direction at rate sigma', () => {
    const stream = rotatingHyperplane({
      seed: 12,
      nFeatures: 6,
      nDriftFeatures: 2,
      magChange: 0.002,
      sigma: 0.1,
    });
    const trajectory = Array.from({ length: 2001 }, (_, index) => stream.weightsAt(index));
    let reversals = 0;
    for (let t = 1; t < trajectory.length; t++) {
      const step = trajectory[t]!.map((weight, i) => weight - trajectory[t - 1]![i]!);
      expect(Math.abs(step[0]!)).toBeCloseTo(0.002, 12);
      expect(Math.abs(step[1]!)).toBeCloseTo(0.002, 12);
      expect(step.slice(2)).toEqual([0, 0, 0, 0]);
      if (t >= 2) {
        const previous = trajectory[t - 1]!.map((weight, i) => weight - trajectory[t - 2]![i]!);
        for (const i of [0, 1]) if (Math.sign(step[i]!) !== Math.sign(previous[i]!)) reversals++;
      }
    }
    // 2 weights × 1999 chances at probability 0.1: ≈ 400 reversals, standard deviation ≈ 19.
    expect(reversals).toBeGreaterThan(320);
    expect(reversals).toBeLessThan(480);
  });

  it('starts with weights uniform on [0, 1) and the default drift reported at 0', () => {
    const stream = rotatingHyperplane({ seed: 21 });
    expect(stream.driftPoints).toEqual([
      {
        position: 0,
        kind: 'gradual-start',
        description:
          'hyperplane weights of x0..x1 start rotating (±0.001 per sample; each direction reverses with probability 0.1 per sample)',
      },
    ]);
    const first = stream.weightsAt(0);
    expect(first).toHaveLength(10);
    expect(first.slice(2).every((weight) => weight >= 0 && weight < 1)).toBe(true);
  });

  it('changes the concept during a drift window: the old hyperplane mislabels the new samples', () => {
    const stream = rotatingHyperplane({
      seed: 1,
      noise: 0,
      magChange: 0.01,
      driftWindows: [{ start: 5000, end: 10_000 }],
    });
    const initial = stream.weightsAt(0);
    const agreement = (start: number): number => {
      const batch = stream.take(5000, start);
      return mean(batch.features.map((features, i) => (rule(features, initial) === batch.labels[i] ? 1 : 0)));
    };
    expect(agreement(0)).toBe(1);
    expect(agreement(10_000)).toBeLessThan(0.9);
  });

  it('keeps the classes balanced whatever the weights (x is symmetric about ½)', () => {
    const stream = rotatingHyperplane({ seed: 5, noise: 0, magChange: 0.01 });
    expect(Math.abs(mean(stream.take(20_000).labels) - 0.5)).toBeLessThan(0.02);
    // After 100000 samples at 0.01 per step the two drifting weights have wandered far from [0, 1].
    expect(Math.abs(mean(stream.take(20_000, 100_000).labels) - 0.5)).toBeLessThan(0.02);
  });

  it('moves the weights only inside drift windows and reports their edges', () => {
    const stream = rotatingHyperplane({
      seed: 6,
      magChange: 0.01,
      driftWindows: [
        { start: 1000, end: 1500 },
        { start: 3000, end: Number.POSITIVE_INFINITY },
      ],
    });
    expect(stream.driftPoints.map((point) => [point.position, point.kind])).toEqual([
      [1000, 'gradual-start'],
      [1500, 'gradual-end'],
      [3000, 'gradual-start'],
    ]);
    const initial = stream.weightsAt(0);
    expect(stream.weightsAt(999)).toEqual(initial);
    expect(Math.abs(stream.weightsAt(1000)[0]! - initial[0]!)).toBeCloseTo(0.01, 12);
    const settled = stream.weightsAt(1499);
    expect(settled).not.toEqual(initial);
    expect(stream.weightsAt(1500)).toEqual(settled);
    expect(stream.weightsAt(2999)).toEqual(settled);
    expect(stream.weightsAt(3000)).not.toEqual(settled);
  });

  it('flips labels at the noise rate (default 5%)', () => {
    const clean = rotatingHyperplane({ seed: 10, noise: 0 }).take(20_000).labels;
    const noisy = rotatingHyperplane({ seed: 10 }).take(20_000).labels;
    const flips = noisy.filter((label, i) => label !== clean[i]).length;
    // Standard error of the rate ≈ 0.0015.
    expect(Math.abs(flips / 20_000 - 0.05)).toBeLessThan(0.008);
  });

  it('reports no drift when nothing moves', () => {
    expect(rotatingHyperplane({ magChange: 0 }).driftPoints).toEqual([]);
    expect(rotatingHyperplane({ nDriftFeatures: 0 }).driftPoints).toEqual([]);
    expect(rotatingHyperplane({ nDriftFeatures: 1 }).driftPoints[0]!.description).toMatch(
      /^hyperplane weights of x0 start/,
    );
  });

  it('exposes its metadata', () => {
    const stream = rotatingHyperplane({ nFeatures: 3, length: 10 });
    expect([stream.name, stream.nFeatures, stream.nClasses, stream.length]).toEqual(['hyperplane', 3, 2, 10]);
    expect(stream.featureNames).toEqual(['x0', 'x1', 'x2']);
    expect([...stream]).toHaveLength(10);
  });

  it('rejects options it cannot honour, saying which and why', () => {
    expect(() => rotatingHyperplane({ length: -5 })).toThrow(/length must be a non-negative integer/);
    expect(() => rotatingHyperplane({ nFeatures: 1 })).toThrow(/nFeatures must be an integer >= 2/);
    expect(() => rotatingHyperplane({ nFeatures: 4, nDriftFeatures: 5 })).toThrow(
      /nDriftFeatures must be an integer in \[0, 4\]/,
    );
    expect(() => rotatingHyperplane({ magChange: -0.1 })).toThrow(/magChange must be >= 0/);
    expect(() => rotatingHyperplane({ sigma: 2 })).toThrow(/sigma must be a probability/);
    expect(() => rotatingHyperplane({ noise: -0.1 })).toThrow(/noise must be a probability/);
    expect(() =>
      rotatingHyperplane({
        driftWindows: [
          { start: 500, end: 900 },
          { start: 100, end: 200 },
        ],
      }),
    ).toThrow(/driftWindows must be in order with a gap between them, but driftWindows\[1\] starts at 100/);
    expect(() =>
      rotatingHyperplane({
        driftWindows: [
          { start: 0, end: 100 },
          { start: 100, end: 200 },
        ],
      }),
    ).toThrow(/Merge touching windows/);
    expect(() => rotatingHyperplane({ driftWindows: [{ start: 50, end: 50 }] })).toThrow(
      /end must be an integer greater than start \(50\)/,
    );
    expect(() => rotatingHyperplane({ length: 100, driftWindows: [{ start: 50, end: 100 }] })).toThrow(
      /does not fit the stream \(length 100\)/,
    );
    expect(() => rotatingHyperplane({ length: 100 }).weightsAt(100)).toThrow(
      /index must be an integer in \[0, 100\)/,
    );
    expect(() => rotatingHyperplane({ mag_change: 0.1 } as never)).toThrow(/unknown option 'mag_change'/);
  });
});
