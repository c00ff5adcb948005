// The data path's triggers: a drift check every WINDOW_SIZE rows, and sooner when the serving
// version's errors on the rows it scored on arrival are far above what it promised.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { DataTriggers, earlyCheckDue } from '../src/triggers.ts';

function triggers(windowSize: number, driftRetrainFitting?: () => Promise<boolean>) {
  const asks: number[] = [];
  let served = 0;
  const t = new DataTriggers({
    windowSize,
    askForCheck: async () => asks.push(served),
    ...(driftRetrainFitting ? { driftRetrainFitting } : {}),
    hasModel: () => true,
    bootstrap: async () => null,
    logger: createLogger('silent'),
  });
  const batch = (version: number, wrong: number, n: number, holdout = { n: 200, errors: 4 }) => {
    served += n;
    t.rowsServed(n);
    t.scored(version, holdout, wrong, n);
  };
  return { asks, batch };
}

describe('earlyCheckDue', () => {
  const holdout = { n: 200, errors: 4 }; // 2 %: Wilson 95 % upper bound 4.5 %, tuned for 7.5 %
  it('asks when the errors are far above the rate the level test is tuned to catch', () => {
    expect(earlyCheckDue(30, 200, holdout, 200)).toBe(true);
    expect(earlyCheckDue(100, 200, holdout, 200)).toBe(true);
  });
  it('does not ask at the promised rate, near the tuned rate, or on too few outcomes', () => {
    expect(earlyCheckDue(4, 200, holdout, 200)).toBe(false);
    expect(earlyCheckDue(18, 200, holdout, 200)).toBe(false);
    expect(earlyCheckDue(99, 99, holdout, 100)).toBe(false);
    expect(earlyCheckDue(200, 200, { n: 0, errors: 0 }, 100)).toBe(false);
    expect(earlyCheckDue(200, 200, { n: 100, errors: Number.NaN }, 100)).toBe(false);
  });
  it('scales with a noisy stream: 30 % wrong is no news for a version that promised 25 %', () => {
    expect(earlyCheckDue(60, 200, { n: 400, errors: 100 }, 200)).toBe(false);
    expect(earlyCheckDue(120, 200, { n: 400, errors: 100 }, 200)).toBe(true);
  });
});

describe('DataTriggers', () => {
  it('asks for a check every WINDOW_SIZE rows while the version keeps its promise', () => {
    const { asks, batch } = triggers(1000);
    for (let i = 0; i < 30; i++) batch(1, 2, 100);
    expect(asks).toEqual([1000, 2000, 3000]);
  });

  it('asks at the first bad batch after a change, then at most once per WINDOW_SIZE / 5', () => {
    const { asks, batch } = triggers(1000);
    for (let i = 0; i < 12; i++) batch(1, 2, 100);
    for (let i = 0; i < 10; i++) batch(1, 60, 100);
    expect(asks).toEqual([1000, 1300, 1500, 1700, 1900, 2100]);
  });

  it('asks at the first bad batch also right after a check every WINDOW_SIZE rows', () => {
    // The change comes just after the check at row 1,000: its 100 outcomes are enough (50 are).
    const { asks, batch } = triggers(1000);
    for (let i = 0; i < 10; i++) batch(1, 2, 100);
    for (let i = 0; i < 5; i++) batch(1, 60, 100);
    expect(asks).toEqual([1000, 1100, 1300, 1500]);
    // Fewer than 50 outcomes since the last ask are not judged, however wrong.
    const few = triggers(1000);
    few.batch(1, 40, 40);
    expect(few.asks).toEqual([]);
    few.batch(1, 10, 10);
    expect(few.asks).toEqual([50]);
  });

  it('counts each version apart: a promotion starts its outcomes afresh', () => {
    const { asks, batch } = triggers(1000);
    batch(1, 40, 40);
    batch(2, 2, 100);
    batch(2, 2, 100);
    expect(asks).toEqual([]);
  });
});

describe('early asks while a drift retrain fits its model', () => {
  // Each batch awaits the answer, as the data path's batches are apart in time.
  async function run(fitting: boolean) {
    let questions = 0;
    const { asks, batch } = triggers(1000, async () => {
      questions += 1;
      return fitting;
    });
    for (let i = 0; i < 12; i++) batch(1, 2, 100);
    for (let i = 0; i < 10; i++) {
      batch(1, 60, 100);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { asks, questions };
  }

  it('asks early as before when none fits', async () => {
    const { asks, questions } = await run(false);
    expect(asks).toEqual([1000, 1300, 1500, 1700, 1900, 2100]);
    expect(questions).toBe(5);
  });

  it('skips the early asks while one fits; the ask every WINDOW_SIZE rows still comes', async () => {
    const { asks, questions } = await run(true);
    expect(asks).toEqual([1000, 2000]);
    expect(questions).toBe(5);
  });
});

describe('the bootstrap ask', () => {
  it('asks again when labelled rows arrive while an ask is in flight (it may have counted fewer)', async () => {
    let labelled = 0;
    const seen: number[] = [];
    let release: () => void = () => {};
    const t = new DataTriggers({
      windowSize: 500,
      askForCheck: async () => null,
      hasModel: () => false,
      bootstrap: async () => {
        seen.push(labelled);
        if (seen.length === 1) await new Promise<void>((r) => (release = r));
      },
      logger: createLogger('silent'),
    });
    labelled = 99;
    t.labelledRowsArrived();
    labelled = 100;
    t.labelledRowsArrived();
    t.labelledRowsArrived();
    expect(seen).toEqual([99]);
    release();
    await new Promise((r) => setTimeout(r, 0));
    // One more ask, after the first, which sees the 100th row; the two arrivals meanwhile make one.
    expect(seen).toEqual([99, 100]);
  });
});
