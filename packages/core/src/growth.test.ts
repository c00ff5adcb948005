import { describe, expect, it } from 'vitest';
import { grownEnough, learnedFrom, QUIET_GROWTH, REGIME_GROWTH, regimeRun } from './retrain-requests.ts';
import { sinceCap } from './retrain-service.ts';

describe('growth retrains', () => {
  it('come when the rows available grew by GROWTH_RETRAIN_ROWS, never without growth', () => {
    expect(grownEnough(500, 1000, 5000)).toBe(false);
    expect(grownEnough(500, 5499, 5000)).toBe(false);
    expect(grownEnough(500, 5500, 5000)).toBe(true);
    expect(grownEnough(8000, 12_999, 5000)).toBe(false);
    expect(grownEnough(8000, 13_000, 5000)).toBe(true);
    // TRAIN_WINDOW caps what is available: a model trained on the whole window does not grow.
    expect(grownEnough(20_000, 20_000, 5000)).toBe(false);
    expect(grownEnough(20_000, 20_000, 5000, true)).toBe(false);
    // GROWTH_RETRAIN_ROWS=0 turns them off, quiet or not.
    expect(grownEnough(500, 100_000, 0)).toBe(false);
    expect(grownEnough(500, 100_000, 0, true)).toBe(false);
  });

  it('come on a quiet stream once the rows grew by a tenth: a table sent in batches ends on all its rows', () => {
    expect(QUIET_GROWTH).toBe(0.1);
    // medical: v2 trained on 240 of the 398 rows; the last batch is in and nothing more comes.
    expect(grownEnough(240, 398, 5000)).toBe(false);
    expect(grownEnough(240, 398, 5000, true)).toBe(true);
    // A tenth of 1131 is 113.1: 113 new rows are not enough, 114 are.
    expect(grownEnough(1131, 1244, 5000, true)).toBe(false);
    expect(grownEnough(1131, 1245, 5000, true)).toBe(true);
    // Tiny models still need one new row.
    expect(grownEnough(0, 0, 5000, true)).toBe(false);
    expect(grownEnough(0, 1, 5000, true)).toBe(true);
    // On a live stream (not quiet) a doubling alone is not enough: 400 -> 800 rows waits for the step.
    expect(grownEnough(400, 800, 5000, false)).toBe(false);
  });
});

describe('growth within the regime of a located change', () => {
  it("comes when the regime's rows doubled (or grew by the step), never without growth", () => {
    expect(grownEnough(500, 999, 5000, false, true)).toBe(false);
    expect(grownEnough(500, 1000, 5000, false, true)).toBe(true);
    expect(grownEnough(4000, 7999, 5000, false, true)).toBe(false);
    expect(grownEnough(4000, 8000, 5000, false, true)).toBe(true);
    // The step comes first for large models: 9,000 -> 14,000, not 18,000.
    expect(grownEnough(9000, 13_999, 5000, false, true)).toBe(false);
    expect(grownEnough(9000, 14_000, 5000, false, true)).toBe(true);
    expect(grownEnough(20_000, 20_000, 5000, false, true)).toBe(false);
    expect(grownEnough(500, 100_000, 0, false, true)).toBe(false);
  });

  it('is the rows since the change a drift retrain or a regime growth learned from, alone', () => {
    const since = '2026-12-04T10:00:00.000Z';
    const version = (params: Record<string, unknown>) => ({ params, trainRows: 400, holdoutRows: 100 });
    // The fast first model: the fixed forest on the regime's rows.
    expect(learnedFrom(version({ regime: true, since, sinceRowId: 9000 }))).toEqual({
      regime: { at: new Date(since), rowId: 9000 },
      used: 500,
    });
    // A search that read 16,000 rows and chose the 1,400 since the change.
    const search = (window: string) => ({
      window,
      candidates: [
        { winner: window === 'since-change', windowRows: 1400 },
        { winner: window === 'all', windowRows: 16_000 },
      ],
    });
    expect(
      learnedFrom({
        ...version({ regime: true, since, sinceRowId: 9000, search: search('since-change') }),
        trainRows: 16_000,
      }),
    ).toEqual({
      regime: { at: new Date(since), rowId: 9000 },
      used: 1500,
    });
    // It read 3,000 rows since the change (its hold-out and the rows it validated on included):
    // those are what the regime's growth is measured against, not the winner's 1,400.
    expect(
      learnedFrom({
        ...version({
          regime: true,
          since,
          sinceRowId: 9000,
          search: search('since-change'),
          sinceRead: 3000,
        }),
        trainRows: 16_000,
      }),
    ).toEqual({ regime: { at: new Date(since), rowId: 9000 }, used: 3000 });
    // It chose all rows: the whole window, as before.
    expect(
      learnedFrom({
        ...version({ regime: true, since, sinceRowId: 9000, search: search('all') }),
        trainRows: 16_000,
      }),
    ).toEqual({
      regime: null,
      used: 16_100,
    });
    // No located change (a version's own start, a manual retrain, versions stored before regimes).
    expect(learnedFrom(version({ regime: false, since, sinceRowId: 1 }))).toEqual({
      regime: null,
      used: 500,
    });
    expect(learnedFrom(version({ since, sinceRowId: 1 }))).toEqual({ regime: null, used: 500 });
    expect(learnedFrom(version({}))).toEqual({ regime: null, used: 500 });
  });

  it('is a regime run only after a located change: a drift retrain, or a growth of its regime', () => {
    const at = { at: new Date(), rowId: 5 };
    expect(regimeRun({ driftCheckId: 7, reason: 'drift' }, at)).toBe(true);
    expect(regimeRun({ driftCheckId: 7, reason: 'drift' }, null)).toBe(false);
    expect(regimeRun({ driftCheckId: null, reason: `${REGIME_GROWTH} 1000 labelled rows` }, at)).toBe(true);
    expect(regimeRun({ driftCheckId: null, reason: 'growth: 6000 labelled rows available' }, at)).toBe(false);
    expect(regimeRun({ driftCheckId: null, reason: 'manual' }, null)).toBe(false);
  });
});

describe('the hold-out after a located change', () => {
  it('takes at most a third of the rows since the change, none of the cap without a change', () => {
    expect(sinceCap(20_000, null)).toBe(20_000);
    expect(sinceCap(20_000, 19_500)).toBe(166);
    expect(sinceCap(20_000, 17_000)).toBe(1000);
    expect(sinceCap(20_000, 0)).toBe(6666);
    expect(sinceCap(20_000, 20_000)).toBe(1);
  });
});
