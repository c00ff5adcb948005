import { startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { seaConcepts } from '@automl-stream/streams';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * A retrain attempt that fails for a reason worth retrying (here: aborted, as at a worker's
 * shutdown) leaves its job open, queued for the queue's retry: the bootstrap and the next drift
 * see it and queue nothing beside it. Only when its attempts are used up is it failed for good.
 * Workers are off, so this test alone runs the job, through the same RetrainService they use.
 */
describe('a retrain that will be retried stays the one open retrain', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '200',
      N_ESTIMATORS: '10',
      RETRAIN_RETRY_LIMIT: '1',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const job = async (id: number) => {
    const [row] = await p.database.sql<{ status: string; error: string | null; attempts: number }[]>`
      select status, error, attempts from training_jobs where id = ${id}`;
    return row;
  };
  const failedEvents = async (id: number) =>
    (
      await p.database.sql<{ payload: { willRetry: boolean; error: string } }[]>`
        select payload from events where type = 'training.failed' and (payload->>'trainingJobId')::bigint = ${id}
        order by id`
    ).map((r) => r.payload);

  it('is queued again after a failed attempt, blocks a second retrain, and fails for good when its attempts are used up', async () => {
    const platform = p.server.platform;
    const stream = seaConcepts({ seed: 3 }).take(400);
    await platform.data.ingest({ features: stream.features, labels: stream.labels, batchId: 'rows-1' });
    // The bootstrap retrain is queued by the labelled rows (nobody runs it: workers are off); the
    // trigger runs in the background, so ask once more here (it queues nothing when it ran).
    await platform.drift.maybeBootstrap();
    const first = await platform.drift.requestRetrain('test');
    expect(first.alreadyPending).toBe(true);
    const id = first.job.id;

    const abort = (reason: string) => ({ signal: AbortSignal.abort(new Error(reason)) });
    await expect(platform.retrain.run(id, abort('shutting down'))).rejects.toThrow('shutting down');
    expect(await job(id)).toEqual({ status: 'queued', error: 'shutting down', attempts: 1 });
    expect(await failedEvents(id)).toEqual([{ trainingJobId: id, error: 'shutting down', willRetry: true }]);

    // Open: neither the bootstrap nor a request queues a second retrain beside it.
    expect(await platform.drift.maybeBootstrap()).toBeNull();
    const again = await platform.drift.requestRetrain('test again');
    expect(again).toMatchObject({ alreadyPending: true, job: { id, status: 'queued' } });

    // RETRAIN_RETRY_LIMIT=1: the second attempt is the last one.
    await expect(platform.retrain.run(id, abort('out of time'))).rejects.toThrow('out of time');
    expect(await job(id)).toEqual({ status: 'failed', error: 'out of time', attempts: 2 });
    expect((await failedEvents(id)).map((e) => e.willRetry)).toEqual([true, false]);

    // Now it is over, and the next request queues a new retrain.
    const next = await platform.drift.requestRetrain('after the failure');
    expect(next.alreadyPending).toBe(false);
    expect(next.job.id).toBeGreaterThan(id);
  });
});
