// D12 on a real database: a retrain after a located change that runs out of RETRAIN_WAIT_SECONDS
// before MIN_TRAIN_ROWS rows of the new regime are in waits again; it never trains on a window
// that mixes in rows from before the change.
import type { TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { retrainQueue } from '../src/queues.ts';
import { insertTrainingJob } from '../src/storage/training-storage.ts';
import { startQuietPlatform } from './quiet-platform.ts';

const labelled = (n: number, offset: number) => ({
  features: Array.from({ length: n }, (_, i) => [i + offset, ((i + offset) * 7) % 13, (i + offset) % 2]),
  labels: Array.from({ length: n }, (_, i) => (i + offset) % 2),
});

/**
 * A serving version trained on 400 rows (the ingest queues its bootstrap), then 40 rows of a new
 * regime and a drift retrain from its first row: 60 short of MIN_TRAIN_ROWS (100).
 */
async function changeAfterBootstrap(db: TestDatabase, platform: Platform) {
  await platform.data.ingest({ ...labelled(400, 0), batchId: 'before' });
  let bootstrap: { id: string }[] = [];
  for (let i = 0; i < 200 && bootstrap.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    bootstrap = await db.sql`select id from training_jobs where reason like 'bootstrap%'`;
  }
  expect((await platform.retrain.run(Number(bootstrap[0]!.id))).promoted).toBe(true);
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  await platform.data.ingest({ ...labelled(40, 1000), batchId: 'after-1' });
  const [row] = await db.sql<{ id: string; created_at: Date }[]>`
    select r.id, r.created_at from rows r join batches b on b.id = r.batch_pk
    where b.batch_id = 'after-1' order by r.id limit 1`;
  const first = row!;
  const job = await insertTrainingJob(db.sql, 1, {
    reason: 'drift: a located change',
    driftCheckId: null,
    changeAt: first.created_at,
    changeRowId: Number(first.id),
  });
  return { first, job };
}

describe('a retrain waiting for rows after a change (D12)', () => {
  let db: TestDatabase;
  let platform: Platform;

  let stop: () => Promise<void>;

  beforeAll(async () => {
    // The fixed forest: it trains on the rows since the change alone. (A search reads the whole
    // window and lets its validation, on rows of the new regime, choose: apps/server/test/automl.test.ts.)
    ({ db, platform, stop } = await startQuietPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '100',
      RETRAIN_WAIT_SECONDS: '0',
      AUTOML_BUDGET_SECONDS: '0',
    }));
  });
  afterAll(() => stop());

  it('is rescheduled with the reason while the new regime is short, then trains on the new regime only', async () => {
    // A serving version trained on the rows before the change (the ingest queues its bootstrap).
    const { first, job } = await changeAfterBootstrap(db, platform);

    const waiting = await platform.retrain.run(job.id);
    expect(waiting.version).toBeNull();
    expect(waiting.job.status).toBe('queued');
    expect(waiting.job.attempts).toBe(0);
    expect(waiting.job.error).toBe(
      `waiting for 60 more labelled rows since the change at ${first.created_at.toISOString().slice(0, 19).replace('T', ' ')} UTC (row id ${first.id}) (40 of MIN_TRAIN_ROWS = 100); RETRAIN_WAIT_SECONDS (0) ran out, so the retrain is rescheduled: it never trains on rows from before the change`,
    );
    const queued = await db.sql<{ start_after: Date; data: { trainingJobId: number } }[]>`
      select start_after, data from pgboss.job where name = ${retrainQueue.name} and state = 'created'`;
    expect(queued.map((q) => q.data.trainingJobId)).toEqual([job.id]);
    expect(queued[0]!.start_after.getTime()).toBeGreaterThan(Date.now() + 2_000);
    expect(await db.sql`select 1 from model_versions`).toHaveLength(1);

    await platform.data.ingest({ ...labelled(70, 2000), batchId: 'after-2' });
    const trained = await platform.retrain.run(job.id);
    expect(trained.job.status).toBe('succeeded');
    const version = trained.version!;
    // 110 rows since the change, none from before it.
    expect(version.trainRows).toBe(110);
    expect(Number(version.rowWindowStart)).toBe(Number(first.id));
  });
});

describe("a waiting retrain makes way for another pipeline's", () => {
  let db: TestDatabase;
  let platform: Platform;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, platform, stop } = await startQuietPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '100',
      RETRAIN_WAIT_SECONDS: '120',
      AUTOML_BUDGET_SECONDS: '0',
    }));
  });
  afterAll(() => stop());

  it('gives the worker up when another pipeline has a retrain due, and waits again in the queue', async () => {
    // A process trains one job at a time: a drift retrain waiting RETRAIN_WAIT_SECONDS for rows of
    // the new regime held a second pipeline's first model back for as long (seen: 5 minutes).
    const { job } = await changeAfterBootstrap(db, platform);
    const started = Date.now();
    const waiting = platform.retrain.run(job.id);
    // Alone in the queue, it waits (it would for RETRAIN_WAIT_SECONDS).
    const early = await Promise.race([
      waiting.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('waiting'), 2_500)),
    ]);
    expect(early).toBe('waiting');

    // Another pipeline's first model is queued: the wait ends within a few seconds, not 120.
    await platform.pipelines.create({ name: 'other' });
    const other = await platform.pipelines.runtime('other');
    await other.data.ingest({ ...labelled(200, 0), batchId: 'other' });
    const ended = await waiting;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ended.version).toBeNull();
    expect(ended.job.status).toBe('queued');
    expect(ended.job.attempts).toBe(0);
    expect(ended.job.error).toMatch(
      /^waiting for 60 more labelled rows since the change at .* \(40 of MIN_TRAIN_ROWS = 100\); another pipeline's retrain is due, so this one makes way and waits again in the queue: it never trains on rows from before the change$/,
    );
    const queued = await db.sql<{ data: { trainingJobId: number; pipelineId: number } }[]>`
      select data from pgboss.job where name = ${retrainQueue.name} and state = 'created' order by start_after`;
    expect(queued.map((q) => q.data.pipelineId)).toEqual([2, 1]);
  }, 60_000);
});
