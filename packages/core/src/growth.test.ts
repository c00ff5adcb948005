import { describe, expect, it } from 'vitest';
import { grownEnough } from './retrain-requests.ts';

describe('growth retrains', () => {
  it('come when the rows available grew by GROWTH_RETRAIN_ROWS, never without growth', () => {
    expect(grownEnough(500, 1000, 5000)).toBe(false);
    expect(grownEnough(500, 5499, 5000)).toBe(false);
    expect(grownEnough(500, 5500, 5000)).toBe(true);
    expect(grownEnough(8000, 12_999, 5000)).toBe(false);
    expect(grownEnough(8000, 13_000, 5000)).toBe(true);
    // TRAIN_WINDOW caps what is available: a model trained on the whole window does not grow.
    expect(grownEnough(20_000, 20_000, 5000)).toBe(false);
    // GROWTH_RETRAIN_ROWS=0 turns them off.
    expect(grownEnough(500, 100_000, 0)).toBe(false);
  });
});
