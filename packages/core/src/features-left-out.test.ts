import { describe, expect, it } from 'vitest';
import {
  describeLeftOut,
  featuresToLeaveOut,
  type LeftOutInput,
  MAX_TRANSFER_ROWS,
} from './features-left-out.ts';

/** A reading = level + deviation, the deviation, noise; up when the deviation is positive. */
function levelRows(level: number, n: number, offset: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const deviation = ((k * 7919) % 1000) / 500 - 1;
    return [level + deviation, deviation, k % 3];
  });
  return { features, labels: features.map((x) => Number(x[1]! > 0)) };
}

const FOREST = { nEstimators: 30, maxDepth: 10, minSamplesLeaf: 1, seed: 42, threads: 1 };

function input(past: LeftOutInput['past'], window: LeftOutInput['window']): LeftOutInput {
  return { past, window, nClasses: 2, featureTypes: ['numeric', 'numeric', 'numeric'], forest: FOREST };
}

describe('features left out on the platform', () => {
  it('leaves out the level feature and says why in one line', async () => {
    const leftOut = await featuresToLeaveOut(input(levelRows(0, 400, 0), levelRows(3, 400, 400)));
    expect(leftOut).toMatchObject({ features: [0], pastRows: 400 });
    expect(describeLeftOut({ ...leftOut!, names: ['reading'] })).toMatch(
      /^left out reading: they moved across the change, and a model of the 400 rows before it predicted the window at \d+\.\d % without them, \d+\.\d % with them$/,
    );
    expect(describeLeftOut({ ...leftOut!, inherited: true })).toBe(
      'left out feature 0, as the serving version did',
    );
  });

  it('reads past rows stored before a column existed, and a class that vanished at the change', async () => {
    const past = levelRows(0, 400, 0);
    // The third column was added later (its rows are shorter), and the past had a third class.
    const shorter = {
      features: past.features.map((r) => r.slice(0, 2)),
      labels: past.labels.map((y, i) => (i % 10 === 0 ? 2 : y)),
    };
    const leftOut = await featuresToLeaveOut(input(shorter, levelRows(3, 400, 400)));
    expect(leftOut?.features).toEqual([0]);
  });

  it('reads the newest maxRows (MAX_TRANSFER_ROWS by default) of the past and of the window', async () => {
    // The oldest past rows had another level, and so had the window's first rows: neither is read.
    const old = levelRows(-3, 500, 0);
    const near = levelRows(0, 400, 500);
    const past = { features: [...old.features, ...near.features], labels: [...old.labels, ...near.labels] };
    const early = levelRows(-6, 300, 900);
    const late = levelRows(3, 400, 1200);
    const window = {
      features: [...early.features, ...late.features],
      labels: [...early.labels, ...late.labels],
    };
    const leftOut = await featuresToLeaveOut(input(past, window), 400);
    expect(leftOut).toMatchObject({ features: [0], pastRows: 400 });
    expect(MAX_TRANSFER_ROWS).toBeGreaterThanOrEqual(1000);
  });

  it('leaves nothing out with too few rows on either side', async () => {
    expect(await featuresToLeaveOut(input(levelRows(0, 40, 0), levelRows(3, 400, 400)))).toBeNull();
    expect(await featuresToLeaveOut(input(levelRows(0, 400, 0), levelRows(3, 40, 400)))).toBeNull();
  });
});
