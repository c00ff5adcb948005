// Persistence counts disjoint chunks only (spec P2): without labels, moved features queue a retrain
// when two checks in a row flag them, but a check whose window overlaps the flagged one's tests
// mostly the same rows, so it is no second opinion. Before, an early check 30 rows after a flagged
// one (70 of its 100 rows the same) confirmed the drift and queued a retrain.
import { describe, expect, it } from 'vitest';
import { disjointStreak } from '../src/drift-check.ts';
import { getProductionVersion } from '../src/storage/models-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '0',
  GROWTH_RETRAIN_ROWS: '100000',
  RETRAIN_MIN_INTERVAL_SECONDS: '0',
  WINDOW_SIZE: '100',
};

/** Seeded rows with x0 in [lo, 1), x1 in [0, 1); the label is x0 > 0.5. */
function rows(n: number, offset: number, lo: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    return [lo + ((1 - lo) * ((k * 7919) % 1000)) / 1000, ((k * 104_729) % 997) / 997];
  });
  return { features, labels: features.map((f) => Number(f[0]! > 0.5)) };
}

/** Version 1 on 1,500 rows of x0 uniform (its reference: 1,000 rows or more), serving; no job left. */
async function firstModel({ db, platform }: ReturnType<typeof quietPlatformForSuite>) {
  await platform.data.ingest({ ...rows(1500, 0, 0), batchId: 'start' });
  const { job: boot } = await platform.drift.requestRetrain('bootstrap for the test');
  expect((await platform.retrain.run(boot.id)).promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = 'retrain'`;
  expect((await getProductionVersion(db.sql, 1))!.version).toBe(1);
}

describe('disjointStreak', () => {
  const span = (first: number, last: number) => ({ source: 'rows' as const, first, last });
  it('skips earlier checks whose rows overlap, counts disjoint flagged ones, stops at a disjoint unflagged one', () => {
    const current = span(301, 400);
    expect(disjointStreak([{ flagged: true, span: span(231, 330) }], current, 3)).toBe(0);
    expect(
      disjointStreak(
        [
          { flagged: true, span: span(231, 330) },
          { flagged: true, span: span(201, 300) },
          { flagged: false, span: span(171, 270) },
          { flagged: true, span: span(101, 200) },
          { flagged: false, span: span(1, 100) },
        ],
        current,
        3,
      ),
    ).toBe(2);
    expect(disjointStreak([{ flagged: false, span: span(201, 300) }], current, 3)).toBe(0);
    // Checks stored before spans were recorded count as disjoint; the count stops at the limit.
    expect(
      disjointStreak(
        [
          { flagged: true, span: null },
          { flagged: true, span: null },
        ],
        current,
        1,
      ),
    ).toBe(1);
    // Another source (predictions) does not overlap rows.
    expect(
      disjointStreak([{ flagged: true, span: { source: 'predictions', first: 350, last: 450 } }], current, 3),
    ).toBe(1);
  });
});

describe('moved features without labels', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('queue a retrain on the second disjoint flagged chunk, not on an overlapping check', async () => {
    const { platform } = suite;
    await firstModel(suite);
    // No labels among the newest 10 × WINDOW_SIZE rows from here on.
    const unlabelled = (n: number, offset: number, lo: number) => ({
      features: rows(n, offset, lo).features,
    });
    await platform.data.ingest({ ...unlabelled(1000, 1500, 0), batchId: 'unlabelled' });

    await platform.data.ingest({ ...unlabelled(100, 2500, 0.75), batchId: 'moved-1' });
    const first = (await platform.drift.check('manual')).check!;
    expect(first).toMatchObject({ dataDrift: true, action: 'none' });
    expect(first.details.span).toMatchObject({ source: 'rows' });

    // 30 more rows: the check's window holds 70 rows the first one tested.
    await platform.data.ingest({ ...unlabelled(30, 2600, 0.75), batchId: 'moved-2' });
    const overlapping = (await platform.drift.check('manual')).check!;
    expect(overlapping).toMatchObject({ dataDrift: true, action: 'none', trainingJobId: null });
    expect((overlapping.details.chunk as { warning: string }).warning).toMatch(/the first check to flag/);

    // 70 more: a window disjoint from the first flagged one.
    await platform.data.ingest({ ...unlabelled(70, 2630, 0.75), batchId: 'moved-3' });
    const second = (await platform.drift.check('manual')).check!;
    const span = second.details.span as { first: number };
    expect(span.first).toBeGreaterThan((first.details.span as { last: number }).last);
    expect(second).toMatchObject({ dataDrift: true, action: 'retrain_queued' });
    expect(second.trainingJobId).not.toBeNull();
  }, 60_000);
});

describe('a moved predicted-class mix without labels', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('waits for a second disjoint chunk too (it queued a retrain on the first check before)', async () => {
    const { platform } = suite;
    await firstModel(suite);
    // A client that only predicts: 1,000 predictions like the training rows, then the mix moves.
    const predict = (n: number, offset: number, lo: number) =>
      platform.data.predict({ features: rows(n, offset, lo).features });
    await predict(1000, 1500, 0);

    await predict(100, 2500, 0.75);
    const first = (await platform.drift.check('manual')).check!;
    expect(first).toMatchObject({ predictionDrift: true, action: 'none', trainingJobId: null });
    expect(first.details.span).toMatchObject({ source: 'predictions' });
    expect((first.details.prediction as { warning: string }).warning).toMatch(
      /^the first check to see the class mix move/,
    );

    await predict(100, 2600, 0.75);
    const second = (await platform.drift.check('manual')).check!;
    expect(second).toMatchObject({ predictionDrift: true, action: 'retrain_queued' });
  }, 60_000);
});
