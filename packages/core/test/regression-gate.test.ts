// The gate's regression check on the platform (spec P6, the pure rule in policy/gate.ts): a drift
// retrain whose challenger and champion both err far above what the lineage delivered before the
// change is not promoted, and its rejection does not accept the drift (the serving version's
// promise stays; before, every rejected drift retrain re-based it on its live errors). The third
// drift retrain in a row that replaces nothing accepts the drift (P7), so a regime that no model
// learns stops retraining. And where the champion's errors rose again inside a drift retrain's
// window (the drift went on), a retrain is queued from that rise: after a rejection instead of
// accepting the drift, after a promotion won on the newest rows to replace that stop-gap.
import type { TestDatabase } from '@automl-stream/db/testing.ts';
import { describe, expect, it } from 'vitest';
import type { Platform } from '../src/platform.ts';
import { REQUEUED } from '../src/retrain-service.ts';
import { getModelVersion } from '../src/storage/models-storage.ts';
import { getTrainingJob } from '../src/storage/training-storage.ts';
import { bootstrapV1, CONCEPT_SETTINGS, conceptRows } from './concepts.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

/** Concept A's rows with labels no model can learn (a seeded coin per row). */
function coinRows(n: number, offset: number) {
  const rows = conceptRows(n, offset, false);
  return {
    ...rows,
    labels: rows.labels.map((_, i) =>
      ((i + offset) * 2_654_435_761) % 4_294_967_296 > 2_147_483_648 ? 1 : 0,
    ),
  };
}

const SETTINGS = { ...CONCEPT_SETTINGS, DRIFT_COOLDOWN_ROWS: '0' };

/**
 * v1 learns concept A (400 rows) and serves 600 more of it (erring ~0 %); then `coins` rows of
 * coin-flip labels, and a check: it must find the change and queue its retrain (returned, not run).
 */
async function coinsAfterA(suite: { db: TestDatabase; platform: Platform }, coins: number) {
  const { db, platform } = suite;
  await bootstrapV1(db, platform, 400);
  await platform.data.ingest({ ...conceptRows(600, 400, false), batchId: 'a' });
  await platform.data.ingest({ ...coinRows(coins, 1000), batchId: 'coins' });
  const check = await platform.drift.check('manual');
  expect(check.check).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
  return check.check!.trainingJobId!;
}

describe('the regression check in the platform gate', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('refuses both models far above the lineage, keeps the promise, and accepts at the third rejection', async () => {
    const { db, platform } = suite;
    let jobId = await coinsAfterA(suite, 600);
    const rejected: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const result = await platform.retrain.run(jobId);
      expect(result.promoted, `round ${round}`).toBe(false);
      const job = (await getTrainingJob(db.sql, 1, jobId))!;
      const version = (await getModelVersion(db.sql, 1, job.resultVersion!))!;
      rejected.push(version.version);
      expect(version.params.gate).toMatch(/both models err far above the lineage's earlier level 0\.0\d/);
      const notAccepted = (job.metrics as { notAccepted?: string }).notAccepted;
      await platform.data.ingest({ ...coinRows(300, 1600 + 300 * round), batchId: `more-${round}` });
      const check = (await platform.drift.check('manual')).check!;
      const level = check.details.level as { accepted: unknown; promised: number };
      if (round < 3) {
        // Not accepted: v1 still answers to its own promise, and the drift stays a drift.
        expect(notAccepted).toMatch(/far above the lineage|queued again/);
        expect(level.accepted).toBeNull();
        expect(level.promised).toBeLessThan(0.05);
        expect(check.conceptDrift).toBe(true);
        // The next round: the job queued again from a rise inside the window, else the check's.
        const [next] = await db.sql<{ id: string; reason: string }[]>`
          select id::text, reason from training_jobs where status = 'queued' order by id desc limit 1`;
        expect(next, `round ${round}: a retrain is open (check: ${check.action})`).toBeDefined();
        if (next!.reason.startsWith(REQUEUED)) expect(next!.reason).toContain(`job ${jobId}'s window`);
        jobId = Number(next!.id);
      } else {
        expect(notAccepted).toBeUndefined();
        expect(level.accepted).not.toBeNull();
      }
    }
    expect(rejected).toHaveLength(3);
    await platform.holder.refresh();
    expect(platform.holder.current?.version).toBe(1);
  }, 90_000);
});

describe('a drift retrain whose window shows a second rise', () => {
  const suite = quietPlatformForSuite(SETTINGS);

  it('serves the challenger that wins the newest rows and queues a retrain from the rise', async () => {
    const { db, platform } = suite;
    const jobId = await coinsAfterA(suite, 300);
    // While it waits, the concept moves again: concept B, which v1 gets wrong on every row.
    const [last] = await db.sql<{ id: string }[]>`select max(id)::text as id from rows`;
    const firstB = Number(last!.id) + 1;
    await platform.data.ingest({ ...conceptRows(60, 1300, true), batchId: 'b' });

    // The whole window (coins, then B) favours neither enough; the newest rows favour the
    // challenger, which serves; the window's second rise (where B began) gets a retrain of its own.
    const interim = await platform.retrain.run(jobId);
    expect(interim.promoted).toBe(true);
    expect(interim.version!.params.gate).toMatch(/on the newest \d+ of the \d+ gate rows/);
    const [again] = await db.sql<{ id: string; reason: string; change_row_id: string }[]>`
      select id::text, reason, change_row_id::text from training_jobs where status = 'queued'`;
    const job = (await getTrainingJob(db.sql, 1, jobId))!;
    expect(again?.reason).toBe(`${REQUEUED} job ${jobId}'s window (${job.reason})`);
    expect(Math.abs(Number(again!.change_row_id) - firstB)).toBeLessThanOrEqual(15);

    // With MIN_TRAIN_ROWS rows of B in, it learns B alone and replaces the interim version.
    await platform.data.ingest({ ...conceptRows(200, 1360, true), batchId: 'more-b' });
    const learned = await platform.retrain.run(Number(again!.id));
    expect(learned.promoted).toBe(true);
    expect(learned.version!.rowWindowStart).toBeGreaterThanOrEqual(firstB - 15);
    expect(learned.version!.metrics.accuracy).toBeGreaterThan(0.9);
    // Once per chain: it queued nothing more.
    const [open] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from training_jobs where status = 'queued'`;
    expect(open!.n).toBe(0);
  }, 90_000);
});
