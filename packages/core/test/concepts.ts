import type { TestDatabase } from '@automl-stream/db/testing.ts';
import { expect } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { retrainQueue } from '../src/queues.ts';

/** Settings for a test of concept changes: small windows, the fixed forest, growth only by a regime's doubling. */
export const CONCEPT_SETTINGS = {
  MIN_TRAIN_ROWS: '200',
  AUTOML_BUDGET_SECONDS: '0',
  // Growth by the step is out of reach: only a regime's doubling grows.
  GROWTH_RETRAIN_ROWS: '100000',
  RETRAIN_MIN_INTERVAL_SECONDS: '0',
  WINDOW_SIZE: '200',
};

/** Seeded rows, x0 in [0, 1); concept A: label = x0 > 0.5; concept B (`flip`): the opposite. */
export function conceptRows(n: number, offset: number, flip: boolean) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return [((k * 7919) % 1000) / 1000, ((k * 104_729) % 997) / 997, k % 3];
  });
  const labels = features.map((f) => Number(f[0]! > 0.5 !== flip));
  return { features, labels };
}

/**
 * Version 1 of concept A on `n` rows, trained and serving; its queue job is cleared so the test
 * runs every later job itself.
 */
export async function bootstrapV1(db: TestDatabase, platform: Platform, n: number) {
  await platform.data.ingest({ ...conceptRows(n, 0, false), batchId: 'bootstrap' });
  const { job } = await platform.drift.requestRetrain('bootstrap for the test');
  const v1 = await platform.retrain.run(job.id);
  expect(v1.promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  return v1;
}

/**
 * Version 1 of concept A on 1,000 rows, then 600 rows of concept B and a check: it must find the
 * change and queue its retrain, which it returns (not run).
 */
export async function driftToB(db: TestDatabase, platform: Platform) {
  await bootstrapV1(db, platform, 1000);
  await platform.data.ingest({ ...conceptRows(600, 1000, true), batchId: 'b' });
  const toB = await platform.drift.check('manual');
  expect(toB.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
  return toB.check!.trainingJobId!;
}
