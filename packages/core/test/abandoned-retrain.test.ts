// M2 (security audit): a retrain whose last attempt dies hard (OOM, SIGKILL, expiry) never runs its
// own error handling, so its training job stayed `running` and blocked every later retrain. The
// death is made deterministic here the way pg-boss's own tests do it: the job is taken as a worker
// would, then its start is backdated past its expiry. L9: a shutdown does not spend an attempt.
import { type Config, loadConfig } from '@automl-stream/config';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Platform } from '../src/platform.ts';
import { retrainQueue } from '../src/queues.ts';
import { getTrainingJob, startTrainingJob } from '../src/storage/training-storage.ts';

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('abandoned retrains (M2, L9)', () => {
  let db: TestDatabase;
  let config: Config;
  const platforms: Platform[] = [];
  const logger = createLogger(process.env.TEST_LOG ?? 'silent');
  const platform = async (options: { workers: boolean; env?: Record<string, string> }) => {
    const p = new Platform({
      config: options.env ? loadConfig({ ...baseEnv, ...options.env }) : config,
      databaseUrl: db.url,
      logger,
      workers: options.workers,
      serving: false,
    });
    platforms.push(p);
    await p.start();
    return p;
  };
  const baseEnv = {
    RETRAIN_RETRY_LIMIT: '0',
    RETRAIN_EXPIRE_SECONDS: '5',
    QUEUE_MAINTENANCE_SECONDS: '1',
    CHECK_INTERVAL_SECONDS: '3600',
    MIN_TRAIN_ROWS: '100',
    AUTOML_BUDGET_SECONDS: '0',
  };

  /** No retrain open or queued from an earlier test. */
  const clearRetrains = async () => {
    await db.sql`update training_jobs set status = 'failed' where status in ('queued', 'running')`;
    await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  };

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    config = loadConfig(baseEnv);
  });
  afterEach(async () => {
    while (platforms.length) await platforms.pop()!.stop({ timeoutMs: 3_000 });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('fails a retrain whose final attempt expired, so the next one can be queued', async () => {
    const queueing = await platform({ workers: false });
    const { job } = await queueing.drift.requestRetrain('dies on its last attempt');
    // A worker takes the job and starts training...
    const [taken] = await queueing.queues.boss.fetch(retrainQueue.name);
    expect(taken?.id).toBe(job.queueJobId);
    await startTrainingJob(db.sql, job.id, 10);
    // ...and is SIGKILLed: nothing records a result, and the attempt runs past its expiry.
    await db.sql`update pgboss.job set started_on = now() - interval '1 hour' where id = ${job.queueJobId}`;
    expect((await queueing.drift.requestRetrain('blocked')).alreadyPending).toBe(true);

    await platform({ workers: true });
    const failed = await until(async () => {
      const j = await getTrainingJob(db.sql, 1, job.id);
      return j?.status === 'failed' ? j : undefined;
    }, 'the abandoned retrain to be failed');
    expect(failed).toMatchObject({ outcome: 'error', attempts: 1 });
    expect(failed.error).toMatch(/^the retrain ended without recording a result on its last attempt/);
    const [event] = await db.sql<{ payload: { willRetry: boolean } }[]>`
      select payload from events where type = 'training.failed' and (payload->>'trainingJobId')::bigint = ${job.id}`;
    expect(event?.payload.willRetry).toBe(false);
    const next = await queueing.drift.requestRetrain('the next one');
    expect(next.alreadyPending).toBe(false);
    expect(next.job.id).toBeGreaterThan(job.id);
  });

  it('fails an open retrain whose queue job was cancelled, and leaves a live one alone', async () => {
    await clearRetrains();
    const queueing = await platform({ workers: false });
    const { job } = await queueing.drift.requestRetrain('alive');
    expect(await queueing.sweepAbandonedRetrains()).toBe(0);
    expect((await getTrainingJob(db.sql, 1, job.id))?.status).toBe('queued');
    await queueing.queues.boss.cancel(retrainQueue.name, job.queueJobId!);
    expect(await queueing.sweepAbandonedRetrains()).toBe(1);
    expect((await getTrainingJob(db.sql, 1, job.id))?.status).toBe('failed');
  });

  it('queues a retrain cut short by a shutdown again, without spending its attempt (L9)', async () => {
    await clearRetrains();
    // Slow enough training that the shutdown lands in the middle of it.
    const env = { N_ESTIMATORS: '4000', MAX_DEPTH: '20', TRAIN_THREADS: '1' };
    const worker = await platform({ workers: true, env });
    let s = 7;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
    const features = Array.from({ length: 2000 }, () => [rand(), rand(), rand(), rand()]);
    await worker.data.ingest({ features, labels: features.map((f) => (f[0]! + rand() > 1 ? 1 : 0)) });
    const { job } = await worker.drift.requestRetrain('cut short by a deploy');
    await until(async () => {
      const j = await getTrainingJob(db.sql, 1, job.id);
      return j?.status === 'running' && j.treesDone > 0 ? j : undefined;
    }, 'training to be under way');
    platforms.pop();
    await worker.stop({ timeoutMs: 3_000 });

    const after = (await getTrainingJob(db.sql, 1, job.id))!;
    expect(after).toMatchObject({ status: 'queued', attempts: 0 });
    expect(after.error).toBe('shutting down: queued again (an interrupted attempt does not count)');
    expect(after.queueJobId).not.toBe(job.queueJobId);
    const observer = await platform({ workers: false });
    expect(await observer.queues.jobLiveness(retrainQueue, after.queueJobId!)).toBe('alive');
    const old = await observer.queues.boss.getJobById(retrainQueue.name, job.queueJobId!, {
      includeArchive: true,
    });
    expect(old?.state).toBe('completed');
  });
});
