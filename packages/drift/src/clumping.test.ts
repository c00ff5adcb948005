import { describe, expect, it } from 'vitest';
import {
  clumpingOf,
  initialClumping,
  labelRuns,
  labelShares,
  MIN_BURST_FACTOR,
  updateClumping,
} from './clumping.ts';
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

describe('labelRuns', () => {
  const draws = (n: number, shares: number[], seed: number) => {
    const random = seeded(seed);
    return Array.from({ length: n }, () => {
      let u = random();
      let k = 0;
      while (k < shares.length - 1 && u >= shares[k]!) u -= shares[k++]!;
      return k;
    });
  };

  it('finds independent labels worth all their rows, for two classes and for five', () => {
    for (const [shares, seed] of [
      [[0.63, 0.37], 1],
      [[0.4, 0.3, 0.15, 0.1, 0.05], 2],
    ] as const) {
      const r = labelRuns(draws(2000, [...shares], seed));
      expect(Math.abs(r.z)).toBeLessThan(3);
      expect(r.worth).toBeGreaterThan(1800);
      expect(r.worth).toBeLessThanOrEqual(2000);
    }
  });

  it('finds rows held 5–30 times (a state sampled many times) worth about one row per state', () => {
    // 100 states of 17.5 rows on average: a tenth of a percent of them alike by chance.
    const random = seeded(5);
    const states = draws(100, [0.63, 0.37], 6);
    const labels = states.flatMap((y) => new Array<number>(5 + Math.floor(random() * 26)).fill(y));
    const r = labelRuns(labels);
    expect(r.z).toBeGreaterThan(10);
    expect(r.worth).toBeGreaterThan(70);
    expect(r.worth).toBeLessThan(130);
  });

  it('judges a slice at the shares it is given: one class for 100 rows is one draw', () => {
    const r = labelRuns(new Array<number>(100).fill(1), [0.37, 0.63]);
    expect(r).toMatchObject({ n: 100, observed: 1, worth: 1 });
    expect(r.expected).toBeCloseTo(1 + 99 * (1 - 0.37 ** 2 - 0.63 ** 2), 9);
    expect(r.z).toBeGreaterThan(8);
    // Without the window's shares the slice has one class: nothing to tell.
    expect(labelRuns(new Array<number>(100).fill(1))).toMatchObject({ z: 0, worth: 100 });
  });

  it('computes the shares of the classes, absent classes as 0', () => {
    expect(labelShares([0, 2, 2, 2])).toEqual([0.25, 0, 0.75]);
  });
});
