import { describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from './synthetic.ts';
import { trainForest } from './train.ts';
import { trainingPool } from './training-pool.ts';

describe('the process-wide training workers', () => {
  const data = makeSyntheticDataset({ nRows: 1200, nFeatures: 8, seed: 17 });
  const options = { nFeatures: 8, nEstimators: 12, maxDepth: 8, threads: 2 };

  it('are reused by later trainings, and concurrent trainings give the forests they give alone', async () => {
    const alone = [
      await trainForest(data.features, data.labels, { ...options, seed: 1 }),
      await trainForest(data.features, data.labels, { ...options, seed: 2, maxFeatures: 'all' }),
    ];
    const workersAfterOne = trainingPool.size;
    expect(workersAfterOne).toBe(2);
    await trainForest(data.features, data.labels, { ...options, seed: 3 });
    expect(trainingPool.size).toBe(workersAfterOne);

    const together = await Promise.all([
      trainForest(data.features, data.labels, { ...options, seed: 1 }),
      trainForest(data.features, data.labels, { ...options, seed: 2, maxFeatures: 'all' }),
    ]);
    expect(Buffer.from(together[0]!.serialize())).toEqual(Buffer.from(alone[0]!.serialize()));
    expect(Buffer.from(together[1]!.serialize())).toEqual(Buffer.from(alone[1]!.serialize()));
    // Two jobs of 2 threads at once: each got workers of its own.
    expect(trainingPool.size).toBe(4);
  });

  it('train correctly after a training was aborted mid-way (its busy workers are replaced)', async () => {
    const reference = await trainForest(data.features, data.labels, { ...options, seed: 9 });
    const controller = new AbortController();
    const aborted = trainForest(data.features, data.labels, {
      ...options,
      nEstimators: 400,
      maxDepth: null,
      seed: 9,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 3) controller.abort(new Error('superseded'));
      },
    });
    await expect(aborted).rejects.toThrow('superseded');
    const again = await trainForest(data.features, data.labels, { ...options, seed: 9 });
    expect(Buffer.from(again.serialize())).toEqual(Buffer.from(reference.serialize()));
  });
});
