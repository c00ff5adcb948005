// Under a covariate shift the rows served before a located change keep their labels: when the
// features moved in two checks in a row and the labels then alarm, the change's retrain learns the
// newest rows at once (reaching back before the change) instead of waiting for MIN_TRAIN_ROWS rows
// after it while the failing version serves, and an open growth run gives way to it.
import { describe, expect, it } from 'vitest';
import { explainCheck } from '../src/drift-checks.ts';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { getTrainingJob, insertTrainingJob } from '../src/storage/training-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '0',
  GROWTH_RETRAIN_ROWS: '100000',
  RETRAIN_MIN_INTERVAL_SECONDS: '0',
  RETRAIN_WAIT_SECONDS: '1',
  WINDOW_SIZE: '200',
};

/** Seeded rows with x0 in [lo, hi); the label is the stripe of x0: floor(4 x0) mod 2, everywhere. */
function stripes(n: number, offset: number, lo: number, hi: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return [lo + ((hi - lo) * ((k * 7919) % 1000)) / 1000, ((k * 104_729) % 997) / 997];
  });
  const labels = features.map((f) => Math.floor(4 * f[0]!) % 2);
  return { features, labels };
}

/**
 * v1 learns x0 in [0, 1); then 200 rows with x0 in [0.75, 1) move the features inside its range
 * (a warning, the labels show no loss): the first check that found them moved.
 */
async function servingV1ThenMovedInside({ db, platform }: ReturnType<typeof quietPlatformForSuite>) {
  await platform.data.ingest({ ...stripes(1000, 0, 0, 1), batchId: 'start' });
  const { job: boot } = await platform.drift.requestRetrain('bootstrap for the test');
  expect((await platform.retrain.run(boot.id)).promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = 'retrain'`;
  await platform.data.ingest({ ...stripes(200, 1000, 0.75, 1), batchId: 'moved' });
  const first = await platform.drift.check('manual');
  expect(first.check).toMatchObject({ conceptDrift: false, action: 'none' });
  expect(first.check!.details.shift).toMatchObject({ confirmed: false, checks: 1 });
}

describe('a covariate shift', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('retrains at once on the newest rows, from before the change too, and supersedes growth', async () => {
    const { db, platform } = suite;
    await servingV1ThenMovedInside(suite);

    // A growth run is open (its regime starts later than any change the labels will locate).
    const growth = await insertTrainingJob(db.sql, 1, {
      reason: 'growth of the new regime: opened by the test',
      driftCheckId: null,
      changeAt: new Date(Date.now() + 3_600_000),
    });

    // On past it: v1 fails on half the rows; the features moved in two checks in a row.
    const [before] = await db.sql<{ id: number }[]>`select max(id)::int as id from rows`;
    await platform.data.ingest({ ...stripes(200, 1200, 1, 1.5), batchId: 'beyond' });
    const firstBeyond = before!.id + 1;
    const second = await platform.drift.check('manual');
    expect(second.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    expect(second.check!.details.shift).toMatchObject({ confirmed: true, checks: 2 });
    expect(explainCheck(second.check!).at(-1)).toMatch(
      /it trains on the newest labelled rows at once, from before the change too \(a covariate shift/,
    );
    expect(await getTrainingJob(db.sql, 1, growth.id)).toMatchObject({
      status: 'failed',
      outcome: 'superseded',
    });

    // 200 rows since the change, MIN_TRAIN_ROWS 300: it trains now, on the newest 300.
    const jobId = second.check!.trainingJobId!;
    const job = (await getTrainingJob(db.sql, 1, jobId))!;
    expect(job.changeRowId).toBeGreaterThanOrEqual(firstBeyond);
    const result = await platform.retrain.run(jobId);
    expect(result).toMatchObject({ promoted: true, version: { version: 2 } });
    const v2 = (await getProductionVersion(db.sql, 1))!;
    expect(v2.trainRows).toBe(300);
    expect(v2.rowWindowStart).toBeLessThan(firstBeyond);
    expect(v2.rowWindowEnd).toBe(firstBeyond + 199);
    expect(v2.params.since).toBe(job.changeAt!.toISOString());
  }, 60_000);
});

describe('a covariate shift confirmed by the rows served since the check that flagged it', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('takes an early check whose window shares rows with that check at its new rows', async () => {
    const { db, platform } = suite;
    await servingV1ThenMovedInside(suite);

    // Half a window later the labels alarm: the check reads the newest 200 rows, 100 of them the
    // first check's, so its own window is no second opinion; the 100 rows since are.
    const [before] = await db.sql<{ id: number }[]>`select max(id)::int as id from rows`;
    await platform.data.ingest({ ...stripes(100, 1200, 1, 1.5), batchId: 'beyond' });
    const second = await platform.drift.check('manual');
    expect(second.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    expect(second.check!.details.shift).toMatchObject({ confirmed: true, checks: 2 });
    expect((second.check!.details.shift as { reason: string }).reason).toMatch(
      /^covariate shift: the features moved in the check before and in the 100 rows served since it/,
    );
    const result = await platform.retrain.run(second.check!.trainingJobId!);
    expect(result).toMatchObject({ promoted: true, version: { version: 2 } });
    const v2 = (await getProductionVersion(db.sql, 1))!;
    expect(v2.trainRows).toBe(300);
    expect(v2.rowWindowStart).toBeLessThan(before!.id + 1);
  }, 60_000);
});

describe('a covariate shift confirmed while the retrain waits for rows after the change', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, MIN_TRAIN_ROWS: '400', RETRAIN_WAIT_SECONDS: '20' });

  it('reaches back as soon as a later check of the failing version confirms it', async () => {
    const { db, platform } = suite;
    await platform.data.ingest({ ...stripes(1000, 0, 0, 1), batchId: 'start' });
    const { job: boot } = await platform.drift.requestRetrain('bootstrap for the test');
    expect((await platform.retrain.run(boot.id)).promoted).toBe(true);
    await platform.holder.refresh();
    await db.sql`delete from pgboss.job where name = 'retrain'`;

    // The labels alarm at the first check that sees the features move: no shift confirmed yet,
    // so the retrain waits for MIN_TRAIN_ROWS (400) rows after the change.
    const [before] = await db.sql<{ id: number }[]>`select max(id)::int as id from rows`;
    const firstBeyond = before!.id + 1;
    await platform.data.ingest({ ...stripes(200, 1200, 1, 1.5), batchId: 'beyond' });
    const first = await platform.drift.check('manual');
    expect(first.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    expect(first.check!.details.shift).toMatchObject({ confirmed: false, checks: 1 });
    const running = platform.retrain.run(first.check!.trainingJobId!);

    // 100 rows later the rows served since that check moved too: the shift is confirmed while
    // the job waits (300 rows since the change), and it learns the newest 400 at once.
    await platform.data.ingest({ ...stripes(100, 1400, 1, 1.5), batchId: 'beyond-2' });
    const second = await platform.drift.check('manual');
    expect(second.check).toMatchObject({ action: 'retrain_pending' });
    expect(second.check!.details.shift).toMatchObject({ confirmed: true, checks: 2 });
    const result = await running;
    expect(result).toMatchObject({ promoted: true, version: { version: 2 } });
    const v2 = (await getProductionVersion(db.sql, 1))!;
    expect(v2.trainRows).toBe(400);
    expect(v2.rowWindowStart).toBeLessThan(firstBeyond);
    expect(v2.rowWindowEnd).toBe(firstBeyond + 299);
  }, 60_000);
});
