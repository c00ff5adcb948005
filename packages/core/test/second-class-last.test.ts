// A stream ordered so that its second class arrives last (rows sorted by a feature, rare events
// late): the training rows hold both classes, but the search's windows train on the rows before
// its validation slice (the newest training rows), which hold one class. The search refused
// ("no training window is usable") and the queue retried the job with 5 s, 10 s back-off while no
// model served (breast_cancer ordered by radius: 14,000 rows unscored at 1,000 rows/s). Now the
// fixed forest learns the training rows at once and the version says why it was not searched.
import { describe, expect, it } from 'vitest';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { getTrainingJob } from '../src/storage/training-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

// The hold-out gate: out of bag (the default) the whole window is learned and the search
// validates on its newest rows, which hold both classes, so neither fallback is needed there.
const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '2',
  GROWTH_RETRAIN_ROWS: '100000',
  PROMOTION_GATE: 'holdout',
};

/** 750 rows of class 0 (x0 ≤ 0.5), then 250 rows of both classes (label x0 > 0.5). */
function rows() {
  const features = Array.from({ length: 1000 }, (_, k) => {
    const x0 = ((k * 7919) % 1000) / 1000;
    return [k < 750 ? x0 / 2 : x0, ((k * 104_729) % 997) / 997];
  });
  return { features, labels: features.map((f) => Number(f[0]! > 0.5)) };
}

describe('a table whose second class comes last', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('gets a first model at once: the fixed forest, when the search has no usable window', async () => {
    const { db, platform } = suite;
    await platform.data.ingest({ ...rows(), batchId: 'sorted' });
    const { job } = await platform.drift.requestRetrain('bootstrap for the test');
    const result = await platform.retrain.run(job.id);
    expect(result).toMatchObject({ promoted: true, version: { version: 1 } });
    const v1 = (await getProductionVersion(db.sql, 1))!;
    expect(v1.params.search).toBeUndefined();
    expect(v1.params.searchSkipped).toMatch(
      /no training window is usable: .*all its rows have the same label/,
    );
    expect(v1.trainRows).toBe(v1.params.read);
    // It learned the second class from the few rows that hold it.
    expect(v1.metrics.accuracy).toBeGreaterThan(0.9);
  }, 60_000);
});

describe('a stream whose first rows all have one class', () => {
  const suite = quietPlatformForSuite({
    MIN_TRAIN_ROWS: '300',
    AUTOML_BUDGET_SECONDS: '0',
    PROMOTION_GATE: 'holdout',
  });
  const batch = (n: number, offset: number, oneClass: boolean) => {
    const { features } = rows();
    const f = features.slice(offset, offset + n).map(([x0, x1]) => [oneClass ? x0! / 2 : x0!, x1!]);
    return { features: f, labels: f.map((x) => Number(x[0]! > 0.5)) };
  };
  const jobs = async () =>
    (await suite.db.sql<{ id: number; status: string; outcome: string | null; error: string | null }[]>`
      select id, status, outcome, error from training_jobs order by id`) ?? [];
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 50));
  };

  it('fails its first bootstrap with the reason, waits for a second class instead of failing per batch, then learns it', async () => {
    const { db, platform } = suite;
    await platform.data.ingest({ ...batch(300, 0, true), batchId: 'one-1' });
    await until(async () => (await jobs()).length > 0);
    const [first] = await jobs();
    await platform.retrain.run(first!.id);
    expect(await getTrainingJob(db.sql, 1, first!.id)).toMatchObject({
      status: 'failed',
      outcome: 'insufficient_data',
      error: expect.stringMatching(
        /the 300 newest labelled rows all have label 0: training needs at least two classes/,
      ),
    });
    // More rows of the one class: no further job (before: one failed job per batch).
    for (const [k, offset] of [300, 400, 500].entries()) {
      await platform.data.ingest({ ...batch(100, offset, true), batchId: `one-${k + 2}` });
      expect(await platform.drift.retrains.bootstrap()).toBeNull();
    }
    expect(await jobs()).toHaveLength(1);
    // The second class arrives: the bootstrap is asked for again and trains.
    await platform.data.ingest({ ...batch(100, 800, false), batchId: 'both' });
    await until(async () => (await jobs()).length > 1);
    const all = await jobs();
    expect(all).toHaveLength(2);
    // Its newest 20 % hold all the rows of class 1: every fifth row is held out instead.
    expect(await platform.retrain.run(all[1]!.id)).toMatchObject({ promoted: true, version: { version: 1 } });
    const v1 = (await getProductionVersion(db.sql, 1))!;
    expect(v1.params.holdout).toBe('interleaved');
    expect(v1.holdoutRows).toBe(140);
    expect(v1.metrics.accuracy).toBeGreaterThan(0.9);
  }, 60_000);
});
