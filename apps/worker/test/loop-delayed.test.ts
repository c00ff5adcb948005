import { startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { seaConcepts } from '@automl-stream/streams';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const CHANGE = 3000;
const DELAY = 2000;
const BATCH = 100;

/**
 * The loop with delayed labels: every row is served through predict and its label comes through
 * submitFeedback 2,000 predictions later (an abrupt SEA change, θ 9.5 → 7, at prediction 3,000).
 * Evidence is ordered by when a row was served, not when its label arrived: the change is located
 * among the predictions, and the retrain learns from rows served after it (D14).
 */
describe('closed loop with labels 2,000 predictions late', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'true',
      MIN_TRAIN_ROWS: '500',
      WINDOW_SIZE: '500',
      TRAIN_WINDOW: '3000',
      N_ESTIMATORS: '30',
      RETRAIN_WAIT_SECONDS: '120',
      GROWTH_RETRAIN_ROWS: '0',
      CHECK_INTERVAL_SECONDS: '3600',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('detects the change within 3,500 predictions and retrains on rows served after it', async () => {
    const platform = p.server.platform;
    const boot = seaConcepts({ seed: 41, concepts: [3], noise: 0.05 }).take(1000);
    await platform.data.ingest({ features: boot.features, labels: boot.labels });
    // The data path has queued the bootstrap job already, and a worker may be running it: the
    // request answers that job, this run trains it unless the worker took it first; either way
    // version 1 serves.
    const { job } = await platform.drift.requestRetrain('bootstrap');
    await platform.retrain.run(job.id);
    const deadline = Date.now() + 60_000;
    while ((await platform.holder.refresh())?.version !== 1) {
      expect(Date.now(), `version 1 serves (bootstrap job ${job.id})`).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }

    const stream = seaConcepts({ seed: 42, concepts: [3, 2], driftPositions: [CHANGE], noise: 0.05 });
    const all = stream.take(12_000);
    const ids: number[] = [];
    let queuedAt: number | null = null;
    let v2At: number | null = null;
    for (let start = 0; start < all.labels.length && (v2At === null || start < v2At + 500); start += BATCH) {
      const { predictions } = await platform.data.predict({
        features: all.features.slice(start, start + BATCH),
      });
      ids.push(...predictions.map((r) => r.id));
      const late = start + BATCH - DELAY;
      if (late > 0) {
        await platform.data.submitFeedback({
          predictionIds: ids.slice(late - BATCH, late),
          labels: all.labels.slice(late - BATCH, late),
        });
      }
      if ((start + BATCH) % 500 === 0) {
        const { check } = await platform.drift.check('manual');
        // The worker's own check (every WINDOW_SIZE rows) may have queued it a moment before:
        // then this one finds it pending (growth is off: a pending retrain is a drift's).
        const queued = check?.action === 'retrain_queued' || check?.action === 'retrain_pending';
        if (queuedAt === null && queued) queuedAt = start + BATCH;
      }
      if (v2At === null && platform.holder.current?.version === 2) v2At = start + BATCH;
      if (v2At === null) await platform.holder.refresh();
    }
    expect(queuedAt, 'a retrain was queued').not.toBeNull();
    expect(queuedAt! - CHANGE).toBeGreaterThan(0);
    expect(queuedAt! - CHANGE).toBeLessThanOrEqual(3500);
    expect(v2At, 'version 2 serves').not.toBeNull();

    // v2's training rows: labelled predictions served from its window's start, labelled before it was trained.
    const [v2] = await p.database.sql<{ since: string | null; created_at: Date }[]>`
      select params->>'since' as since, created_at from model_versions where version = 2`;
    expect(v2?.since).not.toBeNull();
    const [window] = await p.database.sql<{ n: number; after: number }[]>`
      select count(*)::int as n, count(*) filter (where id >= ${ids[CHANGE]!})::int as after
      from predictions where feedback_label is not null and created_at >= ${v2!.since}::timestamptz
        and feedback_at <= ${v2!.created_at}`;
    console.info(
      `delayed labels: change at ${CHANGE}; retrain queued at ${queuedAt}; v2 serving at ${v2At}; ` +
        `v2 window ${window!.n} rows, ${window!.after} served after the change`,
    );
    expect(window!.n).toBeGreaterThanOrEqual(400);
    expect(window!.after / window!.n).toBeGreaterThanOrEqual(0.95);
  });
});
