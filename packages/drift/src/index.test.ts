import { describe, expect, it } from 'vitest';
import * as drift from './index.ts';

describe('@automl-stream/drift public API', () => {
  it('exports the functions and classes the platform’s drift policy depends on', () => {
    const functions = [
      'ksTest',
      'populationStabilityIndex',
      'wasserstein',
      'jensenShannon',
      'chiSquareTest',
      'benjaminiHochberg',
      'bonferroni',
      'compareDistributions',
      'prepareReference',
      'calibrateThresholds',
      'histogram',
      'normalCdf',
      'normalSf',
      'chiSquareSf',
      'kolmogorovSf',
      'kstwoSf',
      'smirnovSf',
      'studentTCdf',
    ] as const;
    const exported = new Map<string, unknown>(Object.entries(drift));
    for (const name of functions) expect(typeof exported.get(name), name).toBe('function');
    for (const Detector of [drift.Adwin, drift.PageHinkley, drift.Ddm]) {
      const detector = new Detector();
      expect(detector.update(0)).toEqual({ drift: false, warning: false });
      expect(typeof detector.reset).toBe('function');
    }
    expect(new drift.DriftInputError('x')).toBeInstanceOf(Error);
  });

  it('produces a DriftReport with the documented shape', () => {
    const reference = Array.from({ length: 200 }, (_, i) => [i % 17, (i * 7) % 13]);
    const current = Array.from({ length: 150 }, (_, i) => [i % 17, (i * 5) % 11]);
    const report: drift.DriftReport = drift.compareDistributions(reference, current, {
      featureNames: ['a', 'b'],
    });
    expect(Object.keys(report).sort()).toEqual(
      [
        'drifted',
        'driftedShare',
        'features',
        'nCurrent',
        'nDrifted',
        'nFeatures',
        'nReference',
        'reason',
        'settings',
        'verdict',
      ].sort(),
    );
    const feature: drift.FeatureDrift = report.features[0]!;
    expect(Object.keys(feature).sort()).toEqual(
      [
        'drifted',
        'feature',
        'index',
        'jensenShannon',
        'ks',
        'pValueAdjusted',
        'psi',
        'reason',
        'wasserstein',
        'wassersteinNormalized',
      ].sort(),
    );
    expect(Object.keys(feature.ks).sort()).toEqual(['method', 'pValue', 'statistic']);
  });
});
