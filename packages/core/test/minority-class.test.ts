// A class rarer than a tenth of the hold-out has a level test of its own: when the model stops
// recognising it, the overall error hardly moves (3 % of the rows), but the class's errors go
// from its promise to 100 %. The check says which class, retrains from where its errors rose, and
// the gate (balanced accuracy under imbalance) promotes the model that knows the class again.
import { describe, expect, it } from 'vitest';
import { explainCheck } from '../src/drift-checks.ts';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { getTrainingJob } from '../src/storage/training-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '0',
  GROWTH_RETRAIN_ROWS: '100000',
  RETRAIN_MIN_INTERVAL_SECONDS: '0',
  WINDOW_SIZE: '200',
};

/**
 * Seeded rows of two features in [0, 1). Classes 0 and 1 split on x1 at 0.5 with 10 % of their
 * labels swapped (an error every model makes); class 2, 3 % of the rows, is x0 ≥ 0.97 before the
 * change and x0 < 0.03 after it (no row has x0 ≥ 0.97 any more).
 */
function rows(n: number, offset: number, changed: boolean) {
  let s = (offset * 2_654_435_761 + 17) >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = changed ? 0.97 * rand() : rand();
    const x1 = rand();
    const rare = changed ? x0 < 0.03 : x0 >= 0.97;
    const side = x1 < 0.5 ? 0 : 1;
    features.push([x0, x1]);
    labels.push(rare ? 2 : rand() < 0.1 ? 1 - side : side);
  }
  return { features, labels };
}

describe('a minority class the model stops recognising', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('is caught by its own level test, and the retrain from its rise knows the class again', async () => {
    const { db, platform } = suite;
    await platform.data.ingest({ ...rows(3000, 0, false), batchId: 'start' });
    const { job: boot } = await platform.drift.requestRetrain('bootstrap for the test');
    expect((await platform.retrain.run(boot.id)).promoted).toBe(true);
    await platform.holder.refresh();
    await db.sql`delete from pgboss.job where name = 'retrain'`;
    const v1 = (await getProductionVersion(db.sql, 1))!;
    const rare = (v1.metrics.classes as { label: number; n: number }[]).find((c) => c.label === 2)!;
    expect(rare.n / v1.holdoutRows).toBeLessThan(0.1);

    const [before] = await db.sql<{ id: number }[]>`select max(id)::int as id from rows`;
    let alarm: Awaited<ReturnType<typeof platform.drift.check>>['check'] = null;
    for (let batch = 0; batch < 10 && !alarm; batch++) {
      await platform.data.ingest({ ...rows(200, 100 + batch, true), batchId: `changed-${batch}` });
      const { check } = await platform.drift.check('manual');
      if (check?.conceptDrift) alarm = check;
    }
    expect(alarm, 'a concept drift within 2,000 rows of the change').not.toBeNull();
    const level = alarm!.details.level as {
      minority: { label: number } | null;
      errors: number;
      outcomes: number;
    };
    // The class's test alarmed, not the overall one (which errs about 3 points more than before).
    expect(level.minority?.label).toBe(2);
    expect(explainCheck(alarm!).join('\n')).toMatch(
      /labels: concept drift in class 2: on class 2, a minority class/,
    );
    expect(alarm!.action).toBe('retrain_queued');

    const job = (await getTrainingJob(db.sql, 1, alarm!.trainingJobId!))!;
    expect(job.changeRowId).toBeGreaterThan(before!.id - 100);
    expect(job.changeRowId).toBeLessThan(before!.id + 400);
    const result = await platform.retrain.run(job.id);
    expect(result).toMatchObject({ promoted: true, version: { version: 2 } });
    const v2 = (await getProductionVersion(db.sql, 1))!;
    const known = (v2.metrics.classes as { label: number; n: number; errors: number }[]).find(
      (c) => c.label === 2,
    )!;
    expect(known.n).toBeGreaterThan(0);
    expect(known.errors / known.n).toBeLessThan(0.5);
  }, 90_000);
});
