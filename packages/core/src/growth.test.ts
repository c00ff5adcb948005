import { describe, expect, it } from 'vitest';
import { grownEnough, QUIET_GROWTH } from './retrain-requests.ts';
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

describe('the hold-out after a located change', () => {
  it('takes at most a third of the rows since the change, none of the cap without a change', () => {
    expect(sinceCap(20_000, null)).toBe(20_000);
    expect(sinceCap(20_000, 19_500)).toBe(166);
    expect(sinceCap(20_000, 17_000)).toBe(1000);
    expect(sinceCap(20_000, 0)).toBe(6666);
    expect(sinceCap(20_000, 20_000)).toBe(1);
  });
});
