import { describe, expect, it } from 'vitest';
import { createStream, isStreamName, streamNames, streams } from './registry.ts';
import type { StreamName, StreamSample } from './stream.ts';

function firstSamples(stream: Iterable<StreamSample>, count: number): StreamSample[] {
  const samples: StreamSample[] = [];
  for (const sample of stream) {
    if (samples.length === count) break;
    samples.push(sample);
  }
  return samples;
}

describe('stream registry', () => {
  it('lists the three streams with a description each', () => {
    expect(streamNames).toEqual(['sea', 'hyperplane', 'covariate']);
    expect(Object.keys(streams)).toEqual(['sea', 'hyperplane', 'covariate']);
    for (const name of streamNames) {
      expect(streams[name].name).toBe(name);
      expect(streams[name].description.length).toBeGreaterThan(20);
    }
  });

  it('describes the defaults the generators really use', () => {
    expect(streams.sea.description).toMatch(/every 5000 samples/);
    expect(createStream('sea').driftPoints.map((point) => point.position)).toEqual([5000, 10_000, 15_000]);
    expect(streams.covariate.description).toMatch(/x0 and x1 jump by \+3 sd at sample 5000/);
    expect(createStream('covariate').driftPoints[0]!.position).toBe(5000);
    expect(streams.hyperplane.description).toMatch(/10 uniform features/);
    expect(createStream('hyperplane').nFeatures).toBe(10);
  });

  it('creates each stream by name, passing the options through', () => {
    const sea = createStream('sea', { seed: 5, length: 100, noise: 0 });
    expect([sea.name, sea.seed, sea.length]).toEqual(['sea', 5, 100]);
    const hyperplane = createStream('hyperplane', { nFeatures: 3 });
    expect([hyperplane.name, hyperplane.nFeatures]).toEqual(['hyperplane', 3]);
    const covariate = createStream('covariate', { nClasses: 3 });
    expect([covariate.name, covariate.nClasses]).toEqual(['covariate', 3]);
  });

  it('rejects unknown names, listing the known ones', () => {
    expect(isStreamName('sea')).toBe(true);
    expect(isStreamName('agrawal')).toBe(false);
    expect(() => createStream('agrawal' as StreamName)).toThrow(
      "Unknown stream 'agrawal'. Available streams: sea, hyperplane, covariate.",
    );
  });
});

describe('every stream', () => {
  for (const name of streamNames) {
    describe(name, () => {
      it('take(n, start) returns the samples the iterator yields at [start, start + n)', () => {
        const stream = createStream(name, { seed: 13 });
        const iterated = firstSamples(stream, 700);
        const batch = stream.take(200, 500);
        expect(batch.features).toEqual(iterated.slice(500, 700).map((sample) => sample.features));
        expect(batch.labels).toEqual(iterated.slice(500, 700).map((sample) => sample.label));
        expect(stream.take(0)).toEqual({ features: [], labels: [] });
      });

      it('take stops at the end of a bounded stream, and the iterator too', () => {
        const stream = createStream(name, { seed: 13, length: 300 });
        expect(stream.take(1000).labels).toHaveLength(300);
        expect(stream.take(100, 250).labels).toHaveLength(50);
        expect(stream.take(10, 300).labels).toHaveLength(0);
        expect(firstSamples(stream, 1000)).toHaveLength(300);
      });

      it('yields well-formed samples', () => {
        const stream = createStream(name, { seed: 13 });
        for (const sample of firstSamples(stream, 500)) {
          expect(sample.features).toHaveLength(stream.nFeatures);
          expect(sample.features.every(Number.isFinite)).toBe(true);
          expect(Number.isInteger(sample.label) && sample.label >= 0 && sample.label < stream.nClasses).toBe(
            true,
          );
        }
        expect(stream.featureNames).toHaveLength(stream.nFeatures);
      });

      it('keeps its metadata read-only', () => {
        const stream = createStream(name);
        expect(Object.isFrozen(stream.driftPoints)).toBe(true);
        expect(Object.isFrozen(stream.featureNames)).toBe(true);
      });

      it('rejects bad take arguments', () => {
        const stream = createStream(name);
        expect(() => stream.take(-1)).toThrow(/n must be a non-negative integer, got -1/);
        expect(() => stream.take(10, 1.5)).toThrow(/start must be a non-negative integer, got 1.5/);
      });
    });
  }
});
