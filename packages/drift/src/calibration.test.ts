import { describe, expect, it } from 'vitest';
import { calibrateThresholds } from './calibration.ts';
import { DriftInputError } from './errors.ts';
import { prepareReference } from './reference.ts';
import { compareDistributions } from './report.ts';
import { SeededRandom } from './testing/seeded-random.ts';

function rows(rng: SeededRandom, n: number, shift = 0): number[][] {
  return Array.from({ length: n }, () => [rng.normal() + shift, rng.integer(5), rng.exponential()]);
}

describe('calibrateThresholds', () => {
  const rng = new SeededRandom(99);
  const reference = rows(rng, 5000);

  it('sets each threshold at mean + 3σ of the statistic over reference chunks', () => {
    const calibrated = calibrateThresholds(reference, { chunks: 10, featureNames: ['a', 'b', 'c'] });
    expect(calibrated).toMatchObject({
      kind: 'calibrated-thresholds',
      chunks: 10,
      chunkSize: 500,
      sigmas: 3,
    });
    for (const f of calibrated.features) {
      for (const metric of [f.ksStatistic, f.psi, f.wassersteinNormalized]) {
        expect(metric.std).toBeGreaterThan(0);
        expect(metric.threshold).toBeCloseTo(metric.mean + 3 * metric.std, 12);
      }
    }
    const a = calibrated.features[0]!;
    expect(a.feature).toBe('a');
    // A 500-row chunk against 4,500 rows: E[D] ≈ 0.87 / sqrt(450) ≈ 0.04.
    expect(a.ksStatistic.mean).toBeGreaterThan(0.02);
    expect(a.ksStatistic.mean).toBeLessThan(0.06);
  });

  it('derives wider thresholds for smaller windows, since the statistics are noisier', () => {
    const small = calibrateThresholds(reference, { chunkSize: 100, chunks: 20 });
    const large = calibrateThresholds(reference, { chunkSize: 1000 });
    expect(large.chunks).toBe(5);
    expect(small.features[0]!.ksStatistic.threshold).toBeGreaterThan(
      large.features[0]!.ksStatistic.threshold,
    );
    expect(small.features[0]!.psi.threshold).toBeGreaterThan(large.features[0]!.psi.threshold);
  });

  it('used by compareDistributions: quiet on a window from the reference distribution, alarms on a shift', () => {
    const thresholds = calibrateThresholds(reference, { chunkSize: 500 });
    const prepared = prepareReference(reference);
    const quiet = compareDistributions(prepared, rows(rng, 500), { thresholds });
    expect(quiet.settings.thresholds).toBe('calibrated');
    expect(quiet.nDrifted).toBe(0);
    expect(quiet.features[0]!.reason).toBe('within calibrated thresholds');
    const shifted = compareDistributions(prepared, rows(rng, 500, 0.5), { thresholds });
    expect(shifted.features[0]!.drifted).toBe(true);
    expect(shifted.features[0]!.reason).toMatch(/KS D .* > .*; PSI .* > .*; Wasserstein\/σ .* > /);
    expect(shifted.features[1]!.drifted).toBe(false);
  });

  it('rejects a reference too small for two chunks, a sorted reference and mismatched thresholds', () => {
    expect(() => calibrateThresholds(reference.slice(0, 3), { chunks: 2 })).toThrow(DriftInputError);
    expect(() => calibrateThresholds(reference, { chunkSize: 3000, chunks: 2 })).toThrow(
      /need 6000 reference rows/,
    );
    expect(() => calibrateThresholds(prepareReference(reference) as never)).toThrow(/original order/);
    const thresholds = calibrateThresholds(reference);
    expect(() => compareDistributions([[1, 2]], [[1, 2]], { thresholds })).toThrow(/cover 3 features/);
    expect(() => compareDistributions(reference, reference, { thresholds, psiBins: 20 })).toThrow(
      /recalibrate/,
    );
  });
});
