import { describe, expect, it } from 'vitest';
import { TurnBudget } from './turns.ts';

describe('TurnBudget', () => {
  it('gives the event loop a turn once per budget of work, not before', async () => {
    const turns = new TurnBudget(undefined, 100);
    const turnedAt: number[] = [];
    let turned = false;
    for (let i = 0; i < 10; i++) {
      turned = false;
      setImmediate(() => {
        turned = true;
      });
      await turns.before(40);
      if (turned) turnedAt.push(i);
    }
    // 40 units per call: a turn before the 4th, 7th and 10th calls (120 ≥ 100 spent each time).
    expect(turnedAt).toEqual([3, 6, 9]);
  });

  it("throws the signal's reason at the first turn after an abort", async () => {
    const controller = new AbortController();
    const turns = new TurnBudget(controller.signal, 10);
    await turns.before(10);
    controller.abort(new Error('stopped by the test'));
    await expect(turns.before(10)).rejects.toThrow('stopped by the test');
  });
});
