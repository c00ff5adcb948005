import { describe, expect, it } from 'vitest';
import { type LevelPromise, type LineageStream, measureLevel } from '../src/level-check.ts';

/** A seeded stream of outcomes: segments of [count, error rate, version], one second apart. */
function stream(segments: [number, number, number][], seed = 7): LineageStream {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  const out = {
    wrong: [] as number[],
    at: [] as Date[],
    rowId: [] as (number | null)[],
    version: [] as number[],
  };
  for (const [count, rate, version] of segments)
    for (let i = 0; i < count; i++) {
      const k = out.wrong.length;
      out.wrong.push(rand() < rate ? 1 : 0);
      out.at.push(new Date(Date.UTC(2026, 0, 1) + k * 1000));
      out.rowId.push(k + 1);
      out.version.push(version);
    }
  return out;
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
