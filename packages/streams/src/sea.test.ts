import { describe, expect, it } from 'vitest';
import { seaConcepts } from './sea.ts';
import type { StreamSample } from './stream.ts';

// Street & Kim's thresholds, written out here rather than imported, so a typo in the module fails.
const THETA = [8, 9, 7, 9.5];
const rule = (features: number[], variant: number): number =>
  features[0]! + features[1]! <= THETA[variant]! ? 1 : 0;

function collect(stream: Iterable<StreamSample>, count: number): StreamSample[] {
  const samples: StreamSample[] = [];
  for (const sample of stream) {
    if (samples.length === count) break;
    samples.push(sample);
  }
  return samples;
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('seaConcepts', () => {
  it('is deterministic per seed, across stream objects and repeated iteration', () => {
    const a = seaConcepts({ seed: 7 });
    const b = seaConcepts({ seed: 7 });
    expect(collect(a, 3000)).toEqual(collect(b, 3000));
    expect(collect(a, 3000)).toEqual(collect(a, 3000));
    expect(collect(seaConcepts({ seed: 8 }), 10)).not.toEqual(collect(a, 10));
  });

  it('draws three features uniform on [0, 10) and numbers samples from 0', () => {
    const samples = collect(seaConcepts({ seed: 1 }), 20_000);
    expect(samples.map((sample) => sample.index)).toEqual(samples.map((_, i) => i));
    const inRange = samples.every(
      ({ features }) => features.length === 3 && features.every((value) => value >= 0 && value < 10),
    );
    expect(inRange).toBe(true);
    for (let j = 0; j < 3; j++) {
      // Uniform[0, 10]: mean 5, sd 2.89; standard error over 20000 samples ≈ 0.02.
      expect(Math.abs(mean(samples.map((sample) => sample.features[j]!)) - 5)).toBeLessThan(0.1);
    }
  });

  it('without noise, labels every sample by the rule of the concept active at its index', () => {
    const stream = seaConcepts({
      seed: 3,
      noise: 0,
      concepts: [0, 2, 3, 1, 0],
      driftPositions: [100, 1500, 1501, 4000],
    });
    const expectedVariant = (index: number): number =>
      index < 100 ? 0 : index < 1500 ? 2 : index < 1501 ? 3 : index < 4000 ? 1 : 0;
    for (const sample of collect(stream, 6000)) {
      expect(sample.concept).toBe(expectedVariant(sample.index));
      expect(sample.label).toBe(rule(sample.features, expectedVariant(sample.index)));
    }
  });

  it('switches the rule exactly at each default drift position (every 5000 samples, θ 8 → 9 → 7 → 9.5)', () => {
    const stream = seaConcepts({ seed: 11, noise: 0 });
    expect(stream.driftPoints.map((point) => [point.position, point.kind])).toEqual([
      [5000, 'abrupt'],
      [10_000, 'abrupt'],
      [15_000, 'abrupt'],
    ]);
    expect(stream.driftPoints[0]!.description).toBe('SEA concept 0 → 1 (θ 8 → 9)');
    const samples = collect(stream, 20_000);
    for (const [k, point] of stream.driftPoints.entries()) {
      const before = samples.slice(point.position - 2000, point.position);
      const after = samples.slice(point.position, point.position + 2000);
      expect(before.every((sample) => sample.label === rule(sample.features, k))).toBe(true);
      expect(after.every((sample) => sample.label === rule(sample.features, k + 1))).toBe(true);
      // The change is real: the old rule mislabels a visible share of the new concept's samples.
      const stale = after.filter((sample) => sample.label !== rule(sample.features, k)).length;
      expect(stale).toBeGreaterThan(50);
    }
    // The last concept stays in force for the rest of an unbounded stream.
    expect(samples.slice(15_000).every((sample) => sample.concept === 3)).toBe(true);
  });

  it('has the class balance the geometry implies (P(x0 + x1 <= 8) = 0.32)', () => {
    const labels = collect(seaConcepts({ seed: 5, noise: 0, concepts: [0] }), 40_000).map((s) => s.label);
    // Standard error ≈ sqrt(0.32·0.68/40000) ≈ 0.0023.
    expect(Math.abs(mean(labels) - 0.32)).toBeLessThan(0.012);
  });

  it('flips labels at the noise rate without touching the features; more noise only adds flips', () => {
    const clean = collect(seaConcepts({ seed: 9, noise: 0 }), 20_000);
    const noisy = collect(seaConcepts({ seed: 9, noise: 0.1 }), 20_000);
    const noisier = collect(seaConcepts({ seed: 9, noise: 0.2 }), 20_000);
    expect(noisy.map((sample) => sample.features)).toEqual(clean.map((sample) => sample.features));
    const flipped = (samples: StreamSample[]): number[] =>
      samples.flatMap((sample, i) => (sample.label !== clean[i]!.label ? [i] : []));
    // Standard error of the rate ≈ 0.0021.
    expect(Math.abs(flipped(noisy).length / 20_000 - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(flipped(noisier).length / 20_000 - 0.2)).toBeLessThan(0.012);
    const noisierFlips = new Set(flipped(noisier));
    expect(flipped(noisy).every((i) => noisierFlips.has(i))).toBe(true);
  });

  it('defaults to 10% label noise', () => {
    const clean = collect(seaConcepts({ seed: 4, noise: 0 }), 20_000);
    const flips = collect(seaConcepts({ seed: 4 }), 20_000).filter(
      (s, i) => s.label !== clean[i]!.label,
    ).length;
    expect(Math.abs(flips / 20_000 - 0.1)).toBeLessThan(0.01);
  });

  it('with covariateShift, moves x2 by the documented amount at each drift and leaves the rule alone', () => {
    const stream = seaConcepts({ seed: 2, noise: 0, covariateShift: 3, driftEvery: 4000 });
    expect(stream.driftPoints[1]!.description).toBe(
      'SEA concept 1 → 2 (θ 9 → 7); x2 range shifts by 3 to [6, 16]',
    );
    const samples = collect(stream, 16_000);
    for (let segment = 0; segment < 4; segment++) {
      const part = samples.slice(segment * 4000, (segment + 1) * 4000);
      const x2 = part.map((sample) => sample.features[2]!);
      // Uniform on [3k, 10 + 3k]: mean 5 + 3k; standard error over 4000 samples ≈ 0.046.
      expect(Math.abs(mean(x2) - (5 + 3 * segment))).toBeLessThan(0.2);
      expect(Math.min(...x2)).toBeGreaterThanOrEqual(3 * segment);
      expect(Math.max(...x2)).toBeLessThan(10 + 3 * segment);
      // x0 and x1 keep their distribution, and labels their SEA rule.
      expect(Math.abs(mean(part.map((sample) => sample.features[0]!)) - 5)).toBeLessThan(0.2);
      expect(part.every((sample) => sample.label === rule(sample.features, segment))).toBe(true);
    }
    // Same underlying draws as the unshifted stream: only x2 differs, by exactly 3 per segment.
    const unshifted = collect(seaConcepts({ seed: 2, noise: 0, driftEvery: 4000 }), 16_000);
    expect(samples[12_345]!.features[0]).toBe(unshifted[12_345]!.features[0]);
    expect(samples[12_345]!.features[2]! - unshifted[12_345]!.features[2]!).toBeCloseTo(9, 9);
  });

  it('bounds the stream with length and leaves out drifts it has no room for', () => {
    const stream = seaConcepts({ seed: 1, length: 12_000 });
    expect(stream.length).toBe(12_000);
    expect(stream.driftPoints.map((point) => point.position)).toEqual([5000, 10_000]);
    expect(collect(stream, 1e9)).toHaveLength(12_000);
    expect([...seaConcepts({ length: 0 })]).toEqual([]);
  });

  it('exposes its metadata', () => {
    const stream = seaConcepts();
    expect(stream.name).toBe('sea');
    expect(stream.seed).toBe(42);
    expect(stream.nFeatures).toBe(3);
    expect(stream.nClasses).toBe(2);
    expect(stream.featureNames).toEqual(['x0', 'x1', 'x2']);
    expect(stream.length).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects options it cannot honour, saying which and why', () => {
    expect(() => seaConcepts({ length: -1 })).toThrow(/length must be a non-negative integer/);
    expect(() => seaConcepts({ length: 10.5 })).toThrow(/length must be a non-negative integer/);
    expect(() => seaConcepts({ concepts: [0, 4] })).toThrow(
      /unknown SEA variant 4 at concepts\[1\]; valid variants are 0, 1, 2, 3/,
    );
    expect(() => seaConcepts({ concepts: [] })).toThrow(/concepts must be a non-empty array/);
    expect(() => seaConcepts({ concepts: [0, 1, 2], driftPositions: [500, 400] })).toThrow(
      /driftPositions must be strictly increasing, but driftPositions\[1\] = 400 follows 500/,
    );
    expect(() => seaConcepts({ concepts: [0, 1, 2], driftPositions: [500, 500] })).toThrow(
      /strictly increasing/,
    );
    expect(() => seaConcepts({ concepts: [0, 1, 2], driftPositions: [500] })).toThrow(
      /3 concepts need exactly 2 driftPositions, got 1/,
    );
    expect(() => seaConcepts({ concepts: [0, 1], driftPositions: [0] })).toThrow(
      /must be a positive integer/,
    );
    expect(() => seaConcepts({ concepts: [0, 1], driftPositions: [100], length: 100 })).toThrow(
      /is not before the end of the stream \(length 100\)/,
    );
    expect(() => seaConcepts({ driftEvery: 100, driftPositions: [1, 2, 3] })).toThrow(
      /either driftEvery or driftPositions/,
    );
    expect(() => seaConcepts({ driftEvery: 0 })).toThrow(/driftEvery must be an integer >= 1/);
    expect(() => seaConcepts({ noise: 1.5 })).toThrow(/noise must be a probability in \[0, 1\]/);
    expect(() => seaConcepts({ covariateShift: Number.NaN })).toThrow(
      /covariateShift must be a finite number/,
    );
    expect(() => seaConcepts({ seed: 0.5 })).toThrow(/seed must be a safe integer/);
    expect(() => seaConcepts({ driftevery: 10 } as never)).toThrow(
      /unknown option 'driftevery'. Valid options are:/,
    );
  });
});
