import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG } from './config.ts';
import { decide } from './decide.ts';
import { feedLevelTest, levelTestsFor } from './level.ts';
import { evidence, type OutcomeRow, seeded, serving, version } from './testing.ts';

/**
 * A version that errs about as promised (5 %), its errors in runs of 20: a state it gets wrong is
 * served 20 times in a row.
 */
function bursts(n: number, seed: number, v = 1): OutcomeRow[] {
  const random = seeded(seed);
  const rows: OutcomeRow[] = [];
  while (rows.length < n) {
    const wrong = random() < 0.05 ? 1 : 0;
    for (let c = 0; c < 20 && rows.length < n; c++)
      rows.push({ servedAt: rows.length, version: v, wrong, label: random() < 0.5 ? 1 : 0 });
  }
  return rows;
}

describe('the level test and errors in bursts', () => {
  const { level } = levelTestsFor(version(1), DEFAULT_POLICY_CONFIG, 0);

  it('divides each step by the burst factor: the statistic is the independent one over the factor', () => {
    const errors = [1, 1, 1, 1, 1, 0, 1, 1];
    const at = errors.map((_, i) => i);
    const one = feedLevelTest(level, errors, at);
    const five = feedLevelTest(level, errors, at, undefined, 5);
    expect(five.test.cusum.statistic).toBeCloseTo(one.test.cusum.statistic / 5, 9);
    expect(five.test.burst).toBe(5);
    expect(one.test.burst).toBeUndefined();
  });

  it('decide: a version erring as promised in bursts raises no alarm; counted one by one, it does', () => {
    const stream = bursts(20_000, 3);
    const run = (burstAware: boolean) => {
      let state = serving(
        version(1),
        0,
        { length: 0, servedAt: [], version: [], wrong: [], label: [] },
        {
          config: { burstAware },
        },
      );
      let alarms = 0;
      for (let from = 0; from < stream.length; from += 500) {
        const fresh = stream.slice(from, from + 500);
        const d = decide(state, evidence(from + 500, fresh, stream.slice(0, from + 500)));
        alarms += d.actions.filter((a) => a.type === 'queue_retrain' && a.job.trigger === 'level').length;
        state = d.state;
        if (alarms > 0) break;
      }
      return alarms;
    };
    expect(run(true)).toBe(0);
    expect(run(false)).toBeGreaterThan(0);
  });
});
