// The out-of-bag gate (PROMOTION_GATE=out-of-bag, the default): a challenger learns its whole
// window, the newest rows included, and is judged on the rows the champion never trained on, each
// predicted by its trees that left the row out. Before, the newest HOLDOUT_FRACTION of every
// window was held out and never learned: on a stream that keeps drifting those are the rows most
// like the next ones (the hourly-temperature streams of the loop benchmark lost 3–11 points).
import { describe, expect, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { getModelVersion, getProductionVersion } from '../src/storage/models-storage.ts';
import { conceptRows } from './concepts.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const SETTINGS = { MIN_TRAIN_ROWS: '300', AUTOML_BUDGET_SECONDS: '0' };

/** Concept A with one label in five flipped: no forest scores above ~0.8 on rows it did not learn. */
function noisyRows(n: number, offset: number) {
  const rows = conceptRows(n, offset, false);
  return { ...rows, labels: rows.labels.map((y, i) => ((i + offset) % 5 === 0 ? 1 - y : y)) };
}

async function retrain(platform: Platform, why: string) {
  const { job } = await platform.drift.requestRetrain(why);
  const result = await platform.retrain.run(job.id);
  expect(result.version).not.toBeNull();
  return result.version!;
}

describe('the out-of-bag gate', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('learns the whole window and judges it on the rows the champion never trained on, honestly', async () => {
    const { db, platform } = suite;
    await platform.data.ingest({ ...noisyRows(300, 0), batchId: 'first' });
    const v1 = await retrain(platform, 'first model');
    // No champion: every row is a gate row, predicted out of bag.
    expect(v1).toMatchObject({ trainRows: 300, holdoutRows: 300, params: { holdout: 'out-of-bag' } });
    expect(typeof v1.params.windowEndAt).toBe('string');
    // In-sample the forest would score ~1.0 on these noisy rows; out of bag it scores what it
    // will serve (the flipped fifth wrong).
    expect(v1.metrics.accuracy).toBeGreaterThan(0.7);
    expect(v1.metrics.accuracy).toBeLessThan(0.86);

    await platform.data.ingest({ ...noisyRows(400, 300), batchId: 'second' });
    const v2 = await retrain(platform, 'second model');
    // The whole window learned; judged beside v1 on the 400 rows v1 never saw.
    expect(v2).toMatchObject({ trainRows: 700, holdoutRows: 400, params: { holdout: 'out-of-bag' } });
    expect(v2.championMetrics?.holdoutRows).toBe(400);
    expect(v2.championMetrics!.accuracy).toBeLessThan(0.86);

    // A champion stored before `windowEndAt` existed: its window's last row says where it ends.
    await db.sql`update model_versions set params = params - 'windowEndAt' where version = 2`;
    expect((await getModelVersion(db.sql, 1, 2))!.params.windowEndAt).toBeUndefined();
    await platform.data.ingest({ ...noisyRows(200, 700), batchId: 'third' });
    const v3 = await retrain(platform, 'third model');
    expect(v3).toMatchObject({ trainRows: 900, holdoutRows: 200, params: { holdout: 'out-of-bag' } });

    // Fewer new rows than the hold-out would hold (20 % of 950 = 190): the newest are held out.
    if ((await getProductionVersion(db.sql, 1))?.version !== 3) await platform.registry.promote(3);
    await platform.data.ingest({ ...noisyRows(50, 900), batchId: 'fourth' });
    const v4 = await retrain(platform, 'right after');
    expect(v4).toMatchObject({ trainRows: 760, holdoutRows: 190 });
    expect(v4.params.holdout).toBeUndefined();
  }, 60_000);
});

describe('PROMOTION_GATE=holdout', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, PROMOTION_GATE: 'holdout' });

  it('holds out the newest rows and never learns them', async () => {
    const { platform } = suite;
    await platform.data.ingest({ ...noisyRows(300, 0), batchId: 'first' });
    await retrain(platform, 'first model');
    await platform.data.ingest({ ...noisyRows(400, 300), batchId: 'second' });
    const v2 = await retrain(platform, 'second model');
    expect(v2).toMatchObject({ trainRows: 560, holdoutRows: 140 });
    expect(v2.params.holdout).toBeUndefined();
  }, 60_000);
});
