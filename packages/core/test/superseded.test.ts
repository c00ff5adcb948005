// A growth retrain that read the old regime is ended when the labels locate a concept change while
// it trains: the change's retrain is queued at once instead of after it, and the growth run
// registers nothing (it would have served a model of the old concept only).
import type { TestDatabase } from '@automl-stream/db/testing.ts';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { getTrainingJob, insertTrainingJob } from '../src/storage/training-storage.ts';
import { bootstrapV1, conceptRows } from './concepts.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const rows = conceptRows;

const SETTINGS = {
  MIN_TRAIN_ROWS: '200',
  AUTOML_BUDGET_SECONDS: '0',
  N_ESTIMATORS: '1000',
  TRAIN_THREADS: '1',
  GROWTH_RETRAIN_ROWS: '0',
  RETRAIN_MIN_INTERVAL_SECONDS: '300',
};

/** A growth run the check always catches running, even on a loaded machine (it is ended early). */
const LONG_RUN = { ...SETTINGS, N_ESTIMATORS: '5000' };

/**
 * Version 1 of concept A, then a growth run over more of it (1,000 or 5,000 trees on one thread: seconds),
 * caught running; `changedFirst` rows of concept B arrive before the growth run starts.
 */
async function growthRunning(db: TestDatabase, platform: Platform, changedFirst = 0) {
  await bootstrapV1(db, platform, 300);
  await platform.data.ingest({ ...rows(6000, 300, false), batchId: 'more' });
  if (changedFirst > 0) await platform.data.ingest({ ...rows(changedFirst, 7000, true), batchId: 'early' });
  const growth = await insertTrainingJob(db.sql, 1, {
    reason: 'growth: 6300 labelled rows available, v1 used 240',
    driftCheckId: null,
    changeAt: null,
  });
  const running = platform.retrain.run(growth.id);
  for (let i = 0; i < 400; i++) {
    const now = await getTrainingJob(db.sql, 1, growth.id);
    if (now?.status === 'running' && now.treesDone > 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  expect((await getTrainingJob(db.sql, 1, growth.id))?.status).toBe('running');
  return { growth, running };
}

describe('a growth retrain overtaken by a concept change', () => {
  const suite = quietPlatformForSuite(LONG_RUN);

  it('ends the growth run, queues the change’s retrain at once, and registers nothing for it', async () => {
    const { db, platform } = suite;
    const { growth, running } = await growthRunning(db, platform);

    // The concept changes: version 1 is wrong on every new row, and the labels say so.
    await platform.data.ingest({ ...rows(400, 7000, true), batchId: 'changed' });
    const outcome = await platform.drift.check('manual');
    expect(outcome.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    const ended = await getTrainingJob(db.sql, 1, growth.id);
    expect(ended).toMatchObject({ status: 'failed', outcome: 'superseded' });
    expect(ended?.error).toMatch(/^superseded: the labels located a concept change/);
    const drift = await getTrainingJob(db.sql, 1, outcome.check!.trainingJobId!);
    expect(drift).toMatchObject({ status: 'queued', driftCheckId: outcome.check!.id });
    expect(drift?.changeAt).not.toBeNull();

    // The growth run stops at its next progress write, registers no version, leaves its job ended.
    const result = await running;
    expect(result).toMatchObject({ version: null, promoted: false });
    expect((await getTrainingJob(db.sql, 1, growth.id))?.outcome).toBe('superseded');
    const versions = await db.sql<{ n: number }[]>`select count(*)::int as n from model_versions`;
    expect(versions[0]!.n).toBe(1);
    const events = await db.sql<{ type: string }[]>`
      select type from events where payload->>'trainingJobId' = ${String(growth.id)} order by id`;
    expect(events.map((e) => e.type)).toContain('training.failed');
  }, 60_000);
});

describe('a growth retrain that started just after a concept change', () => {
  const suite = quietPlatformForSuite(LONG_RUN);

  it('is ended too: its window starts before the change, so it learns mostly the old concept', async () => {
    const { db, platform } = suite;
    // 100 rows of concept B are in its window (of 6,400): it started after the change.
    const { growth, running } = await growthRunning(db, platform, 100);
    const started = (await getTrainingJob(db.sql, 1, growth.id))!.startedAt!;
    await platform.data.ingest({ ...rows(300, 7100, true), batchId: 'changed' });
    const outcome = await platform.drift.check('manual');
    expect(outcome.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    const changeAt = new Date((outcome.check!.details as { concept: { changeAt: string } }).concept.changeAt);
    expect(changeAt.getTime()).toBeLessThan(started.getTime());
    expect(await getTrainingJob(db.sql, 1, growth.id)).toMatchObject({
      status: 'failed',
      outcome: 'superseded',
    });
    expect(await running).toMatchObject({ version: null, promoted: false });
    const drift = await getTrainingJob(db.sql, 1, outcome.check!.trainingJobId!);
    expect(drift).toMatchObject({ status: 'queued', driftCheckId: outcome.check!.id });
  }, 60_000);
});

describe('a growth retrain when the change’s retrain would wait for the cooldown', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('keeps the growth run: ending it would leave no retrain at all', async () => {
    const { db, platform } = suite;
    await bootstrapV1(db, platform, 300);
    // A drift-triggered retrain a moment ago: RETRAIN_MIN_INTERVAL_SECONDS (300) has not passed.
    const earlier = await platform.drift.check('manual');
    await db.sql`update drift_checks set action = 'retrain_queued' where id = ${earlier.check!.id}`;
    // A growth retrain queued (not started: the check below meets it open whatever the timing).
    await platform.data.ingest({ ...rows(1000, 300, false), batchId: 'more' });
    const growth = await insertTrainingJob(db.sql, 1, {
      reason: 'growth: 1300 labelled rows available, v1 used 240',
      driftCheckId: null,
      changeAt: null,
    });

    await platform.data.ingest({ ...rows(400, 7000, true), batchId: 'changed' });
    const outcome = await platform.drift.check('manual');
    expect(outcome.check).toMatchObject({ conceptDrift: true, action: 'retrain_pending' });
    expect((await getTrainingJob(db.sql, 1, growth.id))?.status).toBe('queued');
    const result = await platform.retrain.run(growth.id);
    expect(result.version?.version).toBe(2);
    expect((await getTrainingJob(db.sql, 1, growth.id))?.status).toBe('succeeded');
  }, 60_000);
});
