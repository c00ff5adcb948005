import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';

function draws(seed: number, count: number, stream = 0): number[] {
  const rng = createRng(seed, stream);
  return Array.from({ length: count }, () => rng.next());
}

describe('createRng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    expect(draws(123, 1000)).toEqual(draws(123, 1000));
    expect(draws(123, 1000, 5)).toEqual(draws(123, 1000, 5));
  });

  it('pins the first values of seed 42, because every published seed depends on them', () => {
    // If this fails, the generator changed: every stream named by (generator, seed) in tests, demos
    // and benchmark reports now means different data. Change it only on purpose.
    expect(draws(42, 3)).toEqual([0.01823188946582377, 0.6822914790827781, 0.48058483633212745]);
    const rng = createRng(7);
    expect([rng.normal(), rng.normal(), rng.int(1000)]).toEqual([
      0.32498177727484767, -0.6449942093501595, 622,
    ]);
  });

  it('gives different sequences for different seeds, streams, signs and high bits', () => {
    const reference = draws(1, 50);
    expect(draws(2, 50)).not.toEqual(reference);
    expect(draws(-1, 50)).not.toEqual(reference);
    expect(draws(2 ** 32 + 1, 50)).not.toEqual(reference);
    expect(draws(1, 50, 1)).not.toEqual(reference);
    expect(draws(0, 50)).not.toEqual(draws(-(2 ** 32), 50));
  });

  it('draws uniform values on [0, 1) with the right moments', () => {
    const values = draws(2024, 200_000);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    // Standard error of the mean is sqrt(1/12 / 200000) ≈ 0.00065; 0.003 is > 4 standard errors.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
    // Lag-1 correlation of a good generator is ~0 (standard error ≈ 1/sqrt(n) ≈ 0.0022).
    let covariance = 0;
    for (let i = 1; i < values.length; i++) covariance += (values[i]! - mean) * (values[i - 1]! - mean);
    expect(Math.abs(covariance / (values.length - 1) / variance)).toBeLessThan(0.01);
  });

  it('draws standard normals: mean 0, variance 1, 95% within ±1.96', () => {
    const rng = createRng(99);
    const values = Array.from({ length: 200_000 }, () => rng.normal());
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    const inside = values.filter((value) => Math.abs(value) < 1.959964).length / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.015);
    expect(Math.abs(inside - 0.95)).toBeLessThan(0.003);
  });

  it('draws each integer of [0, n) equally often', () => {
    const rng = createRng(5);
    const counts = new Array<number>(6).fill(0);
    const total = 120_000;
    for (let i = 0; i < total; i++) counts[rng.int(6)]!++;
    // Chi-square with 5 degrees of freedom: the 0.999 quantile is 20.5.
    const expected = total / 6;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(20.5);
    expect(createRng(5).int(1)).toBe(0);
  });

  it('uniform(min, max) scales next()', () => {
    const a = createRng(3);
    const b = createRng(3);
    expect(a.uniform(-2, 6)).toBe(-2 + 8 * b.next());
  });

  it('rejects seeds, streams and ranges it cannot honour', () => {
    expect(() => createRng(1.5)).toThrow(/seed must be a safe integer/);
    expect(() => createRng(Number.NaN)).toThrow(/seed must be a safe integer/);
    expect(() => createRng(1, -1)).toThrow(/stream must be a non-negative safe integer/);
    expect(() => createRng(1).int(0)).toThrow(/n must be an integer in \[1, 2\^32\]/);
    expect(() => createRng(1).int(2.5)).toThrow(/n must be an integer/);
  });
});
