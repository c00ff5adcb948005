// One behaviour each, on a real database, made deterministic by backdating instead of streaming
// thousands of rows: the bootstrap threshold, one pending retrain at a time, the minimum interval
// after a drift-triggered retrain, and the back-off after ones that replaced nothing.
import type { TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { retrainQueue } from '../src/queues.ts';
import { countLabelledSinceUpTo } from '../src/storage/data-storage.ts';
import { insertTrainingJob } from '../src/storage/training-storage.ts';
import { startQuietPlatform } from './quiet-platform.ts';

describe('retrain requests', () => {
  let db: TestDatabase;
  let platform: Platform;

  const labelled = (n: number, offset = 0) => ({
    features: Array.from({ length: n }, (_, i) => [i + offset, (i * 7) % 13, i % 2]),
    labels: Array.from({ length: n }, (_, i) => i % 2),
  });
  const openJobs = async () =>
    (
      await db.sql<
        { reason: string }[]
      >`select reason from training_jobs where status in ('queued', 'running')`
    ).map((r) => r.reason);
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Rows stored without the data path (whose bootstrap trigger would queue a job). */
  const storeRows = async (n: number) => {
    const [batch] = await db.sql<{ id: number }[]>`
      insert into batches (batch_id, row_count, labelled_count) values (${`direct-${Date.now()}`}, ${n}, 0) returning id`;
    await db.sql`insert into rows (batch_pk, features) select ${batch!.id}, array[g::float8] from generate_series(1, ${n}) g`;
  };
  const situation = () => db.sql.begin((tx) => platform.drift.retrains.situation(tx));

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, platform, stop } = await startQuietPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '100',
      CHECK_INTERVAL_SECONDS: '3600',
    }));
  });
  beforeEach(async () => {
    await db.sql`update training_jobs set status = 'failed' where status in ('queued', 'running')`;
    await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  });
  afterAll(() => stop());

  it('bootstraps only once MIN_TRAIN_ROWS labelled rows are in, and only one job', async () => {
    await platform.data.ingest({ ...labelled(99), batchId: 'boot-1' });
    expect(await platform.drift.retrains.bootstrap()).toBeNull();
    expect(await openJobs()).toEqual([]);
    // The 100th labelled row: the data path's trigger queues the first training by itself.
    await platform.data.ingest({ ...labelled(1, 99), batchId: 'boot-2' });
    await until(async () => (await openJobs()).length > 0);
    expect(await openJobs()).toEqual(['bootstrap: 100 labelled rows (MIN_TRAIN_ROWS 100)']);
    expect(await platform.drift.retrains.bootstrap()).toBeNull();
    expect(await openJobs()).toHaveLength(1);
  });

  it('answers the pending job instead of queueing a second one', async () => {
    const first = await platform.drift.requestRetrain('first');
    expect(first.alreadyPending).toBe(false);
    const second = await platform.drift.requestRetrain('second');
    expect(second).toMatchObject({ alreadyPending: true, job: { id: first.job.id, reason: 'first' } });
    expect(await situation()).toEqual({ pending: true, last: null, backoff: null });
  });

  it('measures the minimum interval from the last drift-triggered retrain: the seconds since it was queued', async () => {
    expect(await situation()).toEqual({ pending: false, last: null, backoff: null });
    // A check that queued a retrain ten minutes ago.
    await db.sql<{ id: number }[]>`
      insert into drift_checks (model_version, trigger, verdict, drifted, data_drift, prediction_drift,
        concept_drift, drifted_share, n_reference, n_current, features, details, action, duration_ms, created_at)
      values (1, 'rows', 'drift', true, true, false, false, 1, 100, 100, '[]', '{}', 'retrain_queued', 1,
        now() - interval '10 minutes')
      returning id`;
    const after = await situation();
    expect(after.pending).toBe(false);
    expect(after.last?.secondsAgo).toBeGreaterThan(590);
    expect(after.last?.secondsAgo).toBeLessThan(700);
  });

  it('counts the back-off from the drift retrains in a row that replaced nothing, in labelled rows since the newest', async () => {
    const finished = async (outcome: string, minutesAgo: number, status = 'succeeded') => {
      await db.sql`insert into training_jobs (reason, drift_check_id, status, outcome, finished_at)
        values ('drift check', 1, ${status}, ${outcome}, now() - make_interval(mins => ${minutesAgo}))`;
    };
    await db.sql`update rows set created_at = created_at - interval '2 hours'`;
    await finished('promoted', 60);
    expect((await situation()).backoff).toBeNull();
    await finished('rejected', 30);
    await finished('insufficient_data', 20, 'failed');
    // A growth run (no drift check) neither counts nor breaks the run.
    await db.sql`insert into training_jobs (reason, status, outcome, finished_at)
      values ('growth: more rows', 'succeeded', 'promoted', now() - interval '15 minutes')`;
    await finished('rejected', 10);
    const [batch] = await db.sql<{ id: number }[]>`
      insert into batches (batch_id, row_count, labelled_count) values ('labelled-after', 30, 30) returning id`;
    await db.sql`insert into rows (batch_pk, features, label) select ${batch!.id}, array[g::float8], g % 2 from generate_series(1, 30) g`;
    await storeRows(20); // unlabelled: not counted
    expect((await situation()).backoff).toEqual({ failures: 3, labelledSince: 30 });
    // Counted only as far as the back-off needs (a long-past failure must not count everything since).
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    expect(await countLabelledSinceUpTo(db.sql, 1, tenMinutesAgo, 1000)).toBe(30);
    expect(await countLabelledSinceUpTo(db.sql, 1, tenMinutesAgo, 12)).toBe(12);
    await finished('promoted', 1);
    expect((await situation()).backoff).toBeNull();
  });
  it('tells the data path whether a drift-triggered retrain is fitting (its early asks wait then)', async () => {
    const jobs = platform.trainingJobs;
    expect(await jobs.driftRetrainFitting()).toBe(false);
    const growth = await insertTrainingJob(db.sql, 1, {
      reason: 'growth',
      driftCheckId: null,
      changeAt: null,
    });
    expect(await jobs.driftRetrainFitting()).toBe(false);
    const drift = await insertTrainingJob(db.sql, 1, {
      reason: 'drift check 1',
      driftCheckId: 1,
      changeAt: null,
    });
    // Queued, then running while it waits for rows: checks can still move it.
    expect(await jobs.driftRetrainFitting()).toBe(false);
    await db.sql`update training_jobs set status = 'running' where id = ${drift.id}`;
    expect(await jobs.driftRetrainFitting()).toBe(false);
    await db.sql`update training_jobs set trees_done = 10, trees_total = 100 where id = ${drift.id}`;
    expect(await jobs.driftRetrainFitting()).toBe(true);
    await db.sql`update training_jobs set status = 'succeeded' where id = ${drift.id}`;
    expect(await jobs.driftRetrainFitting()).toBe(false);
    await db.sql`update training_jobs set status = 'failed' where id = ${growth.id}`;
  });
});
