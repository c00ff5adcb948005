import { describe, expect, it } from 'vitest';
import { clumpingOf, initialClumping, MIN_BURST_FACTOR, updateClumping } from './clumping.ts';
import { mulberry32 as seeded } from './random.ts';

const bernoulli = (n: number, p: number, seed: number) => {
  const random = seeded(seed);
  return Array.from({ length: n }, () => Number(random() < p));
};

describe('clumping', () => {
  it('finds independent errors independent, at any rate', () => {
    for (const [p, seed] of [
      [0.02, 1],
      [0.1, 2],
      [0.5, 3],
    ] as const) {
      const c = clumpingOf(updateClumping(initialClumping(), bernoulli(10_000, p, seed)));
      expect(c.z).toBeLessThan(3);
      expect(c.factor).toBe(1);
    }
  });

  it('finds errors that come in runs of 10 (a state held for 10 rows) clumped about 10 times', () => {
    // 1,000 states of 10 rows, a tenth of them wrong: the error rate is 10 %, its runs 10 long.
    const states = bernoulli(1000, 0.1, 4);
    const errors = states.flatMap((e) => new Array<number>(10).fill(e));
    const c = clumpingOf(updateClumping(initialClumping(), errors));
    expect(c.z).toBeGreaterThan(10);
    expect(c.theta).toBeGreaterThan(7);
    expect(c.theta).toBeLessThan(12);
    expect(c.factor).toBeCloseTo(2 * c.theta - 1, 6);
  });

  it('is not fooled by a change of level: blocks expect their own runs', () => {
    // 5,000 outcomes at 2 %, then 5,000 at 90 %: one error level, then another, each independent.
    const errors = [...bernoulli(5000, 0.02, 5), ...bernoulli(5000, 0.9, 6)];
    expect(clumpingOf(updateClumping(initialClumping(), errors)).factor).toBe(1);
  });

  it('adds outcomes in pieces as in one go', () => {
    const errors = bernoulli(1234, 0.3, 7);
    let state = initialClumping();
    for (let i = 0; i < errors.length; i += 77) state = updateClumping(state, errors.slice(i, i + 77));
    expect(state).toEqual(updateClumping(initialClumping(), errors));
  });

  it(`takes a clumping under ${MIN_BURST_FACTOR} as none, and caps the factor`, () => {
    // Runs of 2: θ ≈ 2, 2θ − 1 ≈ 3 at most; runs of 30: far above the cap. (A run longer than a
    // block looks like a change of level there, and is taken for one.)
    const pairs = bernoulli(5000, 0.1, 8).flatMap((e) => [e, e]);
    const mild = clumpingOf(updateClumping(initialClumping(), pairs), { minFactor: 3.5 });
    expect(mild.measured).toBeGreaterThan(1.5);
    expect(mild.factor).toBe(1);
    const long = bernoulli(400, 0.3, 9).flatMap((e) => new Array<number>(30).fill(e));
    expect(clumpingOf(updateClumping(initialClumping(), long)).factor).toBe(25);
  });
});
