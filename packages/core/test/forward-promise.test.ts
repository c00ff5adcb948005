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
 * A sensor's stream: `runs` states drawn at random, each held for 5 rows (tiny noise on the
 * copies); the class follows the first coordinate's sign, flipped for a quarter of the states.
 * Nothing changes, but a model errs on ~25 % of states it has not seen.
 */
function sensorRows(runs: number, seed: number) {
  const random = seeded(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let s = 0; s < runs; s++) {
    const state = [2 * random() - 1, 2 * random() - 1, 2 * random() - 1];
    const label = Number(state[0]! > 0) ^ Number(random() < 0.25);
    for (let c = 0; c < 5; c++) {
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
