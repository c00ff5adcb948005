import { describe, expect, it } from 'vitest';
import { ARL0S, BASELINES } from '../scripts/cusum-thresholds.ts';
import { cusumThreshold, initialCusumState, updateBernoulliCusum } from './cusum.ts';
import {
  bernoulliCusumArl,
  bernoulliCusumDesign,
  bernoulliCusumThreshold,
  levelShiftTarget,
} from './cusum-arl.ts';
import { CUSUM_THRESHOLD_TABLE } from './cusum-thresholds.ts';
import { SeededRandom } from './testing/seeded-random.ts';

/** Mean run length of the exact (continuous-weight) CUSUM over `runs` simulated streams. */
function simulateArl(p0: number, p1: number, h: number, pTrue: number, runs: number, seed: number) {
  const design = bernoulliCusumDesign(p0, p1, h);
  const random = new SeededRandom(seed);
  const lengths: number[] = [];
  for (let r = 0; r < runs; r++) {
    let state = initialCusumState();
    const block = new Uint8Array(1024);
    for (;;) {
      for (let i = 0; i < block.length; i++) block[i] = random.uniform() < pTrue ? 1 : 0;
      const step = updateBernoulliCusum(state, design, block);
      state = step.state;
      if (step.alarmAt !== null) break;
    }
    lengths.push(state.n);
  }
  const mean = lengths.reduce((s, x) => s + x, 0) / runs;
  const sd = Math.sqrt(lengths.reduce((s, x) => s + (x - mean) ** 2, 0) / (runs - 1));
  return { mean, se: sd / Math.sqrt(runs) };
}

describe('Bernoulli CUSUM run lengths: the Markov chain against simulation', () => {
  it.each([
    { p0: 0.05, arl0: 2000 },
    { p0: 0.2, arl0: 2000 },
    { p0: 0.02, arl0: 3000 },
  ])('in control at b = $p0, h for ARL₀ $arl0', ({ p0, arl0 }) => {
    const p1 = levelShiftTarget(p0);
    const h = bernoulliCusumThreshold(p0, p1, arl0);
    const simulated = simulateArl(p0, p1, h, p0, 3000, 11);
    // Within 4 standard errors of the simulated mean (the chain itself is exact to < 1 %).
    expect(Math.abs(simulated.mean - arl0)).toBeLessThan(4 * simulated.se + 0.01 * arl0);
  });

  it('out of control: the delay at p1 matches simulation', () => {
    const p0 = 0.08;
    const p1 = levelShiftTarget(p0);
    const h = bernoulliCusumThreshold(p0, p1, 1e6);
    const chain = bernoulliCusumArl(bernoulliCusumDesign(p0, p1, h), p1);
    const simulated = simulateArl(p0, p1, h, p1, 3000, 12);
    expect(Math.abs(simulated.mean - chain)).toBeLessThan(4 * simulated.se + 0.01 * chain);
  });

  it('converges in the lattice resolution', () => {
    const design = bernoulliCusumDesign(0.1, 0.15, 7);
    const coarse = bernoulliCusumArl(design, 0.1, { resolution: 12 });
    const fine = bernoulliCusumArl(design, 0.1, { resolution: 48 });
    expect(Math.abs(coarse / fine - 1)).toBeLessThan(0.005);
  });
});

describe('the committed threshold table', () => {
  it('covers the grid of its script', () => {
    expect(CUSUM_THRESHOLD_TABLE.baselines).toEqual(BASELINES);
    expect(CUSUM_THRESHOLD_TABLE.arl0s).toEqual(ARL0S);
  });

  it.each([
    [5, 3],
    [28, 3],
  ])('row %i (ARL₀ index %i) is what the script computes', (i, k) => {
    const b = BASELINES[i]!;
    const h = bernoulliCusumThreshold(b, levelShiftTarget(b), ARL0S[k]!);
    expect(CUSUM_THRESHOLD_TABLE.h[i]![k]).toBeCloseTo(h, 4);
  });

  it('interpolates between grid points and grows with ARL₀', () => {
    const at = cusumThreshold(0.0625);
    const lo = cusumThreshold(0.06);
    const hi = cusumThreshold(0.065);
    expect(at.h).toBeGreaterThanOrEqual(Math.min(lo.h, hi.h));
    expect(at.h).toBeLessThanOrEqual(Math.max(lo.h, hi.h));
    expect(cusumThreshold(0.1, 1e7).h).toBeGreaterThan(cusumThreshold(0.1, 1e6).h);
    // Interpolated thresholds keep the stated run length within a few %.
    const design = bernoulliCusumDesign(at.p0, at.p1, at.h);
    expect(bernoulliCusumArl(design, at.p0)).toBeGreaterThan(0.9e6);
    expect(cusumThreshold(0.001).p0).toBe(0.01);
    expect(() => cusumThreshold(0.1, 10)).toThrow(/arl0 must be within/);
  });
});

describe('updateBernoulliCusum', () => {
  it('alarms on a rise and estimates where it began', () => {
    const design = bernoulliCusumDesign(0.05, 0.08, cusumThreshold(0.05).h);
    const random = new SeededRandom(3);
    const errors = Array.from({ length: 6000 }, (_, i) =>
      random.uniform() < (i < 4000 ? 0.05 : 0.3) ? 1 : 0,
    );
    const { state, alarmAt } = updateBernoulliCusum(initialCusumState(), design, errors);
    expect(alarmAt).not.toBeNull();
    expect(alarmAt!).toBeGreaterThan(4000);
    expect(alarmAt!).toBeLessThan(4200);
    expect(Math.abs(state.runStart - 4000)).toBeLessThan(60);
    expect(state.runErrors / state.runLength).toBeGreaterThan(0.2);
  });

  it('resumes from a saved state exactly as one pass would', () => {
    const design = bernoulliCusumDesign(0.1, 0.15, 50);
    const errors = Array.from({ length: 500 }, (_, i) => (i % 7 === 0 || i % 11 === 0 ? 1 : 0));
    const once = updateBernoulliCusum(initialCusumState(), design, errors).state;
    const first = updateBernoulliCusum(initialCusumState(), design, errors, 0, 200).state;
    const twice = updateBernoulliCusum(first, design, errors, 200).state;
    expect(twice).toEqual(once);
  });
});
