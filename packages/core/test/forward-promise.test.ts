// A version trained on serially dependent rows promises what a model of its window's older rows
// errs on its newest (forward-promise.ts), not its out-of-bag error: out of bag, each row's
// neighbours (near copies) vote on it and the promise says ~0 %, so the first check after the
// bootstrap says "concept drift" on a stream where nothing changed.
import { describe, expect, it } from 'vitest';
import type { ForwardRecord } from '../src/forward-promise.ts';
import { seeded } from '../src/policy/testing.ts';
import { retrainQueue } from '../src/queues.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

/**
 * A sensor's stream: `runs` states drawn at random, each held for `held` rows (tiny noise on the
 * copies); the class follows the first coordinate's sign, flipped for a quarter of the states.
 * Nothing changes, but a model errs on ~25 % of states it has not seen.
 */
function sensorRows(runs: number, seed: number, held = 5, flipped = 0.25) {
  const random = seeded(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let s = 0; s < runs; s++) {
    const state = [2 * random() - 1, 2 * random() - 1, 2 * random() - 1];
    const label = Number(state[0]! > 0) ^ Number(random() < flipped);
    for (let c = 0; c < held; c++) {
      features.push(state.map((v) => v + 0.001 * (random() - 0.5)));
      labels.push(label);
    }
  }
  return { features, labels };
}

const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '0',
  GROWTH_RETRAIN_ROWS: '100000',
  WINDOW_SIZE: '200',
};

/** Bootstraps on 600 rows (120 states), then serves 600 rows of new states and checks. */
async function bootstrapAndCheck(suite: ReturnType<typeof quietPlatformForSuite>) {
  const { db, platform } = suite;
  await platform.data.ingest({ ...sensorRows(120, 1), batchId: 'first' });
  const { job } = await platform.drift.requestRetrain('bootstrap for the test');
  const bootstrap = await platform.retrain.run(job.id);
  expect(bootstrap.promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  const later = sensorRows(120, 2);
  for (let b = 0; b < 3; b++)
    await platform.data.ingest({
      features: later.features.slice(200 * b, 200 * (b + 1)),
      labels: later.labels.slice(200 * b, 200 * (b + 1)),
      batchId: `later-${b}`,
    });
  const check = (await platform.drift.check('manual')).check!;
  return { version: bootstrap.version!, check };
}

describe('serially dependent rows: the version promises its forward error', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('records the forward check, and the check after it finds no drift on a stream that did not change', async () => {
    const { version, check } = await bootstrapAndCheck(suite);
    const forward = version.params.forward as ForwardRecord;
    // Out of bag every row's copies voted on it; a model of the 480 older rows met 24 new states.
    expect(forward).toMatchObject({ used: true, n: 120, trainRows: 480 });
    expect(forward.outOfBagErrors).toBeLessThanOrEqual(2);
    expect(forward.forwardErrors).toBeGreaterThanOrEqual(20);
    expect(forward.z).toBeGreaterThanOrEqual(3);
    expect(check.conceptDrift).toBe(false);
    expect(check.drifted).toBe(false);
    expect(JSON.stringify(check.details)).toContain('upper bound of the forward error');
  }, 120_000);
});

describe('FORWARD_PROMISE=false', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, FORWARD_PROMISE: 'false' });

  it('promises the out-of-bag error, and the same stream draws a false concept drift', async () => {
    const { version, check } = await bootstrapAndCheck(suite);
    expect(version.params.forward).toBeUndefined();
    expect(check.conceptDrift).toBe(true);
  }, 120_000);
});

/**
 * Errors in bursts: each state held for 10 rows, so a version wrong on a state is wrong 10 times
 * in a row. Its promise is honest (the forward error), and it errs about as promised, but in
 * runs: counted as independent outcomes, two bursts close together cross the threshold.
 */
async function burstyCheck(suite: ReturnType<typeof quietPlatformForSuite>) {
  const { db, platform } = suite;
  await platform.data.ingest({ ...sensorRows(60, 1, 10), batchId: 'first' });
  const { job } = await platform.drift.requestRetrain('bootstrap for the test');
  expect((await platform.retrain.run(job.id)).promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  const later = sensorRows(60, 2, 10);
  for (let b = 0; b < 3; b++)
    await platform.data.ingest({
      features: later.features.slice(200 * b, 200 * (b + 1)),
      labels: later.labels.slice(200 * b, 200 * (b + 1)),
      batchId: `later-${b}`,
    });
  return (await platform.drift.check('manual')).check!;
}

describe('errors in bursts: the level test weighs them as the independent outcomes they are worth', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('finds no drift where the version errs about as it promised, in bursts', async () => {
    const check = await burstyCheck(suite);
    const level = (check.details as { level: { burst: number; reason: string } }).level;
    expect(level.burst).toBeGreaterThanOrEqual(3);
    expect(level.reason).toMatch(/^no concept drift: .*the lineage's errors come in bursts/);
    expect(check.conceptDrift).toBe(false);
  }, 120_000);
});

describe('BURST_AWARE=false', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, BURST_AWARE: 'false' });

  it('counts each error of a burst, and the same stream draws a false concept drift', async () => {
    const check = await burstyCheck(suite);
    expect((check.details as { level: { burst: number } }).level.burst).toBe(1);
    expect(check.conceptDrift).toBe(true);
  }, 120_000);
});

/** The states moved away from the class boundary (the first coordinate at least 0.5 from 0). */
function clearOfTheBoundary(rows: ReturnType<typeof sensorRows>) {
  for (const x of rows.features) x[0] = Math.sign(x[0]!) * (0.5 + Math.abs(x[0]!) / 2);
  return rows;
}

/**
 * A state held for 40 rows: a 600-row bootstrap has learned 15 states, and the newest fifth it is
 * checked forward on holds 3. When the forward model gets those 3 right (0 errors forward, 0 out
 * of bag) McNemar has nothing to compare, yet "0 errors in 120 rows" is "0 errors in 3 states":
 * out of bag promises ~0 %, and a version erring on a tenth of the states (in bursts of 40) draws
 * a false concept drift.
 */
async function fewStatesCheck(suite: ReturnType<typeof quietPlatformForSuite>) {
  const { db, platform } = suite;
  const first = clearOfTheBoundary(sensorRows(15, 7, 40, 0));
  await platform.data.ingest({ ...first, batchId: 'first' });
  const { job } = await platform.drift.requestRetrain('bootstrap for the test');
  const bootstrap = await platform.retrain.run(job.id);
  expect(bootstrap.promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
  const later = clearOfTheBoundary(sensorRows(45, 8, 40, 0.1));
  for (let b = 0; b < 9; b++)
    await platform.data.ingest({
      features: later.features.slice(200 * b, 200 * (b + 1)),
      labels: later.labels.slice(200 * b, 200 * (b + 1)),
      batchId: `later-${b}`,
    });
  return { version: bootstrap.version!, check: (await platform.drift.check('manual')).check! };
}

describe('a forward slice of a few states: the promise counts the rows as the states they are', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('counts 120 rows in 3 runs of labels as 50 independent ones, and finds no drift', async () => {
    const { version, check } = await fewStatesCheck(suite);
    const forward = version.params.forward as ForwardRecord;
    expect(forward).toMatchObject({ used: true, n: 120, forwardErrors: 0, worth: 50 });
    expect(forward.runs!.observed).toBeLessThanOrEqual(3);
    expect(forward.runs!.z).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(check.details)).toContain(
      '120 rows whose labels come in runs, worth 50 independent ones',
    );
    expect(check.conceptDrift).toBe(false);
  }, 120_000);
});
