import { describe, expect, it } from 'vitest';
import { compareForward, describeForward, forwardSlices } from './forward-promise.ts';

describe('forwardSlices', () => {
  it('scores the newest fifth, learning at most four times as many rows before them', () => {
    expect(forwardSlices(500)).toEqual({ train: { start: 0, end: 400 }, scored: { start: 400, end: 500 } });
    expect(forwardSlices(20_000)).toEqual({
      train: { start: 15_000, end: 19_000 },
      scored: { start: 19_000, end: 20_000 },
    });
  });

  it('does not check a window too small to split', () => {
    expect(forwardSlices(249)).toBeNull();
    expect(forwardSlices(250)?.scored).toEqual({ start: 200, end: 250 });
  });
});

describe('compareForward', () => {
  const labels = Array.from({ length: 200 }, (_, i) => i % 2);
  const flip = (wrong: (i: number) => boolean) => labels.map((y, i) => (wrong(i) ? 1 - y : y));

  it('promises the forward error when the forward model errs clearly more than out of bag (serially dependent rows)', () => {
    // Out of bag right everywhere (each row's copies voted on it); forward wrong on 30 rows.
    const e = compareForward(
      labels,
      flip((i) => i < 30),
      labels,
      800,
    );
    expect(e).toMatchObject({
      n: 200,
      forwardErrors: 30,
      outOfBagErrors: 0,
      onlyForward: 30,
      onlyOutOfBag: 0,
    });
    expect(e.z).toBeCloseTo(Math.sqrt(30), 6);
    expect(e.used).toBe(true);
    expect(e.classes).toEqual([
      { label: 0, n: 100, errors: 15 },
      { label: 1, n: 100, errors: 15 },
    ]);
    expect(describeForward(e)).toContain('serially dependent');
  });

  it('keeps the out-of-bag promise when the two differ by chance (exchangeable rows)', () => {
    // 12 errors forward, 8 out of bag, 6 of them shared: z = (6 − 2) / √8 ≈ 1.4.
    const forward = flip((i) => i < 12);
    const outOfBag = flip((i) => i >= 6 && i < 14);
    const e = compareForward(labels, forward, outOfBag, 800);
    expect(e.onlyForward).toBe(6);
    expect(e.onlyOutOfBag).toBe(2);
    expect(e.z).toBeCloseTo(4 / Math.sqrt(8), 6);
    expect(e.used).toBe(false);
    expect(describeForward(e)).toContain('promises its out-of-bag error');
  });

  it('never promises a forward error that is lower than the out-of-bag one', () => {
    const e = compareForward(
      labels,
      labels,
      flip((i) => i < 20),
      800,
    );
    expect(e.z).toBeLessThan(0);
    expect(e.used).toBe(false);
  });
});
