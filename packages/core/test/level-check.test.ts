import { describe, expect, it } from 'vitest';
import { type LevelPromise, type LineageStream, measureLevel } from '../src/level-check.ts';

/** A seeded uniform [0, 1) generator (an LCG). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

type Outcome = { wrong: number; version: number; label: number };

/** Outcomes one second apart, row ids from 1; their true labels when `withLabels`. */
function streamOf(outcomes: Outcome[], withLabels: boolean): LineageStream {
  return {
    wrong: outcomes.map((o) => o.wrong),
    at: outcomes.map((_, k) => new Date(Date.UTC(2026, 0, 1) + k * 1000)),
    rowId: outcomes.map((_, k) => k + 1),
    version: outcomes.map((o) => o.version),
    ...(withLabels ? { label: outcomes.map((o) => o.label) } : {}),
  };
}

/** A seeded stream of outcomes: segments of [count, error rate, version], one second apart. */
function stream(segments: [number, number, number][], seed = 7): LineageStream {
  const rand = seeded(seed);
  const out: Outcome[] = [];
  for (const [count, rate, version] of segments)
    for (let i = 0; i < count; i++) out.push({ wrong: rand() < rate ? 1 : 0, version, label: 0 });
  return streamOf(out, false);
}

const promise = (version: number, over: Partial<LevelPromise> = {}): LevelPromise => ({
  version,
  holdout: { n: 600, errors: 60 },
  sinceKind: 'bootstrap',
  trainRows: 2400,
  acceptedAt: null,
  ...over,
});

describe('the level test of a drift check', () => {
  it('keeps quiet while the version errs at what its hold-out promised', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const m = measureLevel(stream([[8000, 0.1, 1]], seed), promise(1));
      expect(m.alarm).toBe(false);
      expect(m.outcomes).toBe(8000);
      expect(m.promised).toBeGreaterThan(0.1);
      expect(m.reason).toMatch(/^no concept drift: v1 erred on \d+ of 8000/);
    }
  });

  it('alarms on a rise from 10 % to 30 % within a few hundred outcomes and locates it', () => {
    const m = measureLevel(
      stream([
        [2000, 0.1, 1],
        [600, 0.3, 1],
      ]),
      promise(1),
    );
    expect(m.alarm).toBe(true);
    expect(m.located?.where).toBe('reign');
    expect(Math.abs(m.located!.index - 2000)).toBeLessThan(150);
    expect(m.located!.after).toBeGreaterThan(0.2);
    expect(m.reason).toMatch(/^concept drift: v1 erred/);
  });

  it('catches a version bad from its first row, located where it started serving', () => {
    const m = measureLevel(
      stream([
        [3000, 0.1, 1],
        [500, 0.3, 2],
      ]),
      promise(2, { sinceKind: 'change' }),
    );
    expect(m.alarm).toBe(true);
    expect(m.reignStart).toBe(3000);
    expect(m.located?.where).toBe('lineage');
    expect(Math.abs(m.located!.index - 3000)).toBeLessThan(150);
  });

  it('caps the promise of a version not trained from a located change by the lineage error', () => {
    // The hold-out says 20 % (a window that straddled a change); the lineage delivered 8 %.
    const m = measureLevel(
      stream([
        [3000, 0.08, 1],
        [1500, 0.2, 2],
      ]),
      promise(2, { sinceKind: 'check', holdout: { n: 600, errors: 120 } }),
    );
    expect(m.promised).toBeCloseTo(0.1, 1);
    expect(m.alarm).toBe(true);
  });

  it('re-baselines after a refused retrain: the accepted level is no alarm, a further rise is', () => {
    const rise = stream([
      [2000, 0.1, 1],
      [1000, 0.3, 1],
    ]);
    const acceptedAt = rise.at[2999]!;
    const accepted = measureLevel(rise, promise(1, { acceptedAt }));
    expect(accepted.alarm).toBe(false);
    expect(accepted.accepted?.outcomes).toBe(3000);
    expect(accepted.outcomes).toBe(0);
    expect(accepted.baseline).toMatch(/^accepted/);
    const worse = stream([
      [2000, 0.1, 1],
      [1000, 0.3, 1],
      [800, 0.6, 1],
    ]);
    expect(measureLevel(worse, promise(1, { acceptedAt })).alarm).toBe(true);
  });

  it('judges a version served again by its new reign only, not by the errors that ended its first', () => {
    // v1 served, its concept changed (30 % wrong), v2 took over; the concept came back and v1 serves again.
    const twice = stream([
      [2000, 0.1, 1],
      [600, 0.3, 1],
      [1500, 0.1, 2],
      [1500, 0.1, 1],
    ]);
    const servingSince = twice.at[4100]!;
    const again = measureLevel(twice, promise(1, { servingSince }));
    expect(again.alarm).toBe(false);
    expect(again.outcomes).toBe(1500);
    expect(again.reignStart).toBe(4100);
    // Without the promotion time the errors of the first reign still count.
    expect(measureLevel(twice, promise(1)).alarm).toBe(true);
  });
});

/**
 * A seeded stream with true labels: segments of [count, share of class 1, error rate on class 0,
 * error rate on class 1], all served by version 1.
 */
function labelledStream(segments: [number, number, number, number][], seed = 11): LineageStream {
  const rand = seeded(seed);
  const out: Outcome[] = [];
  for (const [count, share, err0, err1] of segments)
    for (let i = 0; i < count; i++) {
      const label = rand() < share ? 1 : 0;
      out.push({ label, wrong: rand() < (label === 1 ? err1 : err0) ? 1 : 0, version: 1 });
    }
  return streamOf(out, true);
}

describe('the level test of a minority class', () => {
  // Hold-out: 570 rows of class 0 (17 errors), 30 of class 1 (5 errors): 3.7 % overall.
  const classes = [
    { label: 0, n: 570, errors: 17 },
    { label: 1, n: 30, errors: 5 },
  ];
  const imbalanced = (over: Partial<LevelPromise> = {}) =>
    promise(1, { holdout: { n: 600, errors: 22 }, classes, classNames: ['dry', 'rain'], ...over });

  it('catches a minority class the model stops recognising while the overall error hardly moves', () => {
    // 4 % of the rows are class 1; after 3,000 outcomes the model gets every one of them wrong
    // (about 40 in the next 1,000): the overall error goes from 3.5 % to 7 %.
    const collapse = (seed: number) =>
      labelledStream(
        [
          [3000, 0.04, 0.03, 0.15],
          [1000, 0.04, 0.03, 1],
        ],
        seed,
      );
    const s = collapse(1);
    const m = measureLevel(s, imbalanced());
    expect(m.alarm).toBe(true);
    expect(m.minority?.label).toBe(1);
    expect(m.minority?.name).toBe('rain');
    expect(m.minority!.errors / m.minority!.outcomes).toBeGreaterThan(0.3);
    expect(Math.abs(m.located!.index - 3000)).toBeLessThan(300);
    expect(m.reason).toMatch(
      /^concept drift in class rain: on class rain, a minority class, v1 erred on \d+ of \d+/,
    );
    expect(m.reason).toMatch(/overall v1 erred .* not alarmed$/);
    // The same outcomes without their labels: the overall test alone has not seen it yet.
    const { label: _, ...unlabelled } = s;
    expect(measureLevel(unlabelled, imbalanced()).alarm).toBe(false);
    // Caught within 1,000 outcomes in every seed (by the class's test or the overall one).
    for (const seed of [2, 3, 4, 5]) expect(measureLevel(collapse(seed), imbalanced()).alarm).toBe(true);
  });

  it('keeps quiet while every class errs at what the hold-out promised', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const m = measureLevel(labelledStream([[8000, 0.04, 0.03, 0.15]], seed), imbalanced());
      expect(m.alarm).toBe(false);
      expect(m.minority).toBeNull();
    }
  });

  it('has no minority test for a version stored without its hold-out per class', () => {
    const s = labelledStream(
      [
        [3000, 0.04, 0.03, 0.15],
        [1000, 0.04, 0.03, 1],
      ],
      1,
    );
    const m = measureLevel(s, imbalanced({ classes: undefined }));
    expect(m.alarm).toBe(false);
  });
});
