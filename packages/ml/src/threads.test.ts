import { describe, expect, it } from 'vitest';
import { ForestInputError } from './errors.ts';
import { makeSyntheticDataset } from './synthetic.ts';
import { threadNices } from './testing.ts';
import { trainForest } from './train.ts';

const linux = process.platform === 'linux';
const data = makeSyntheticDataset({ nRows: 2000, nFeatures: 8, seed: 5 });
const options = { nFeatures: 8, seed: 3, threads: 2 } as const;

describe('training threads', () => {
  it.runIf(linux)(
    'a training at nice 10 grows its trees on threads of nice 10, the same forest as at nice 0',
    async () => {
      const before = new Set(threadNices().keys());
      const niced = await trainForest(data.features, data.labels, { ...options, nEstimators: 20, nice: 10 });
      const started = [...threadNices()].filter(([tid]) => !before.has(tid));
      // The pool keeps the two workers (idle, for the next training at nice 10): both are new, at 10.
      expect(started.map(([, nice]) => nice)).toEqual([10, 10]);

      const normal = await trainForest(data.features, data.labels, { ...options, nEstimators: 20 });
      expect(Buffer.from(niced.serialize()).equals(Buffer.from(normal.serialize()))).toBe(true);
      // The nice-0 training did not reuse the niced workers: two more threads, at 0.
      const after = [...threadNices()].filter(([tid]) => !before.has(tid));
      expect(after.map(([, nice]) => nice).sort()).toEqual([0, 0, 10, 10]);
    },
  );

  it('refuses a nice value outside 0..19', async () => {
    await expect(trainForest(data.features, data.labels, { ...options, nice: 20 })).rejects.toThrow(
      ForestInputError,
    );
    await expect(trainForest(data.features, data.labels, { ...options, nice: -1 })).rejects.toThrow(
      'options.nice must be an integer in 0..19, got -1',
    );
  });

  it('the workers keep growing trees while the main thread is busy', async () => {
    // The workers take tree indices from a shared counter: a main thread that runs a long check
    // no longer leaves them waiting for their next tree. Before, each worker finished the one
    // tree it held and waited for the main thread, so at most `threads` trees were done during
    // the block. Worker messages are delivered in the poll phase, before setImmediate's turn:
    // the trees counted right after the block are the ones grown during it.
    let reports = 0;
    let first!: () => void;
    const started = new Promise<void>((resolve) => {
      first = resolve;
    });
    const training = trainForest(data.features, data.labels, {
      ...options,
      nEstimators: 200,
      maxDepth: 8,
      onProgress: () => {
        reports++;
        first();
      },
    });
    await started;
    const atBlock = reports;
    const blockEnd = performance.now() + 1500;
    while (performance.now() < blockEnd) {
      // the main thread busy, as in a long synchronous check
    }
    await new Promise((resolve) => setImmediate(resolve));
    const grownDuringBlock = reports - atBlock;
    await training;
    // Grown alone, the 200 trees take about 0.3 s here; loaded by other tests, a few times that.
    expect(grownDuringBlock).toBeGreaterThan(20);
  });
});
