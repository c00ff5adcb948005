import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('coalesce', () => {
  it('runs once more after the current run, however many requests arrived meanwhile', async () => {
    const gates = [deferred(), deferred()];
    let runs = 0;
    const trigger = coalesce(async () => {
      await gates[runs++]!.promise;
    });
    const first = trigger();
    trigger();
    trigger();
    const last = trigger();
    expect(runs).toBe(1);
    gates[0]!.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(runs).toBe(2);
    gates[1]!.resolve();
    await Promise.all([first, last]);
    expect(runs).toBe(2);
  });

  it('starts afresh once idle, and a failing run does not block the next', async () => {
    let runs = 0;
    const trigger = coalesce(async () => {
      runs += 1;
      if (runs === 1) throw new Error('network down');
    });
    await trigger();
    await trigger();
    expect(runs).toBe(2);
  });

  it('starts two runs at least minGapMs apart, and serves a burst with one more run', async () => {
    const starts: number[] = [];
    const trigger = coalesce(async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 5));
    }, 120);
    const first = trigger();
    trigger();
    trigger();
    await first;
    // Idle now, but the last run started moments ago: the next one waits for the gap too.
    await trigger();
    expect(starts).toHaveLength(3);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(115);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(115);
  });
});
