import { describe, expect, it } from 'vitest';
import { compareForward, describeForward, forwardHoldout, forwardSlices } from './forward-promise.ts';

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

describe('labels that come in runs', () => {
  // 200 rows of 8 states held 25 rows each, classes alternating by state: 8 runs where 100 rows
  // of independent labels at shares ½, ½ would give ~100.
  const labels = Array.from({ length: 200 }, (_, i) => Math.floor(i / 25) % 2);
  /** Both models right on every row, at the window's shares ½, ½. */
  const neitherErred = (y: number[]) => compareForward(y, y, y, 4 * y.length, {}, [0.5, 0.5]);

  it('promises the forward error even when neither model erred, counted as the rows they are worth (at least 50)', () => {
    const e = neitherErred(labels);
    expect(e.z).toBe(0);
    expect(e.runs!.observed).toBe(8);
    expect(e.runs!.expected).toBeCloseTo(1 + 199 * 0.5, 9);
    expect(e.runs!.z).toBeGreaterThan(10);
    // 1 + 7 / ½ = 15 independent draws, floored at the check's minimum of 50 rows.
    expect(e).toMatchObject({ used: true, worth: 50 });
    expect(describeForward(e)).toContain("their label changes 7 times where independent rows' would 100 (z");
    expect(describeForward(e)).toMatch(
      /: the rows are serially dependent: it promises the forward error, counted as 50 independent rows$/,
    );
  });

  it('counts a longer slice as the draws its runs give', () => {
    // 100 runs: 1 + 99 / ½ = 199 draws.
    expect(neitherErred(Array.from({ length: 1000 }, (_, i) => Math.floor(i / 10) % 2)).worth).toBe(199);
  });

  it('leaves rows whose labels change as independent ones do alone', () => {
    const e = neitherErred(Array.from({ length: 200 }, (_, i) => i % 2));
    expect(e.used).toBe(false);
    expect(e.worth).toBeUndefined();
  });

  it('scales the errors, per class too, to the rows they are worth', () => {
    const promise = forwardHoldout({
      n: 1000,
      forwardErrors: 53,
      worth: 50,
      classes: [
        { label: 0, n: 600, errors: 13 },
        { label: 1, n: 400, errors: 40 },
      ],
    });
    expect(promise).toEqual({
      n: 50,
      errors: 3,
      rows: 1000,
      classes: [
        { label: 0, n: 30, errors: 1 },
        { label: 1, n: 20, errors: 2 },
      ],
    });
    // Without a worth (rows taken as independent, or a version recorded before it), as recorded.
    expect(forwardHoldout({ n: 120, forwardErrors: 55 })).toEqual({ n: 120, errors: 55 });
  });
});
