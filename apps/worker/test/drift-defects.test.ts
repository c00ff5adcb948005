// Two defects of the drift check found on fresh-clone demo runs (issue #17), on a real platform:
// a data-drift verdict against a small (400-row) reference sample on a stationary stream, and a
// version that is bad from its first row, which its own error stream never shows as a rise (and
// is rolled back: the version it replaced serves again, untrained).
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { covariateShift, seaConcepts } from '@automl-stream/streams';
import { afterEach, describe, expect, inject, it } from 'vitest';

const BATCH = 500;

describe('drift check defects', () => {
  let p: TestPlatform | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  async function start() {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '500',
      WINDOW_SIZE: '500',
      TRAIN_WINDOW: '1000',
      N_ESTIMATORS: '30',
      GROWTH_RETRAIN_ROWS: '0',
      DRIFT_COOLDOWN_ROWS: '0',
      RETRAIN_MIN_INTERVAL_SECONDS: '0',
    });
    return p.server.platform;
  }
  type Platform = Awaited<ReturnType<typeof start>>;

  async function ingest(platform: Platform, take: { features: number[][]; labels: number[] }) {
    for (let i = 0; i < take.labels.length; i += 100) {
      await platform.data.ingest({
        features: take.features.slice(i, i + 100),
        labels: take.labels.slice(i, i + 100),
      });
    }
  }

  async function train(platform: Platform, reason: string) {
    const { job } = await platform.drift.requestRetrain(reason);
    const result = await platform.retrain.run(job.id);
    await platform.holder.refresh();
    return result;
  }

  /** v1 trained on 1,000 rows of SEA concept θ 9.5; `after` is concept θ 7 (seeds `seed`, `seed` + 1). */
  async function bootstrappedBeforeChange(seed: number) {
    const platform = await start();
    const before = seaConcepts({ seed, concepts: [3], noise: 0.05 });
    const after = seaConcepts({ seed: seed + 1, concepts: [2], noise: 0.05 });
    await ingest(platform, before.take(1000));
    expect((await train(platform, 'bootstrap')).promoted).toBe(true);
    return { platform, before, after };
  }

  it('gives no data-drift verdict on a stationary stream against a reference sample of a few hundred rows', async () => {
    const platform = await start();
    // Two features, both used by the model, no shift: any data-drift verdict is false.
    const stream = covariateShift({
      seed: Number(process.env.DEFECT_SEED ?? 4),
      nFeatures: 2,
      shifts: [],
      noise: 0.05,
    });
    await ingest(platform, stream.take(BATCH));
    expect((await train(platform, 'bootstrap')).promoted).toBe(true);
    // As the demo's timer does: a check every 100 rows, each on the newest WINDOW_SIZE rows.
    const checks: { dataDrift: boolean; nReference: number; action: string }[] = [];
    for (let k = 0; k < 100; k++) {
      await ingest(platform, stream.take(100, BATCH + k * 100));
      const { check } = await platform.drift.check('schedule');
      checks.push({ dataDrift: check!.dataDrift, nReference: check!.nReference, action: check!.action });
    }
    // The bootstrap learns its 500 rows whole (the out-of-bag gate; 400 with the hold-out): still
    // under DRIFT_MIN_REFERENCE_ROWS.
    expect(checks[0]!.nReference).toBe(500);
    const falseDrifts = checks.flatMap((c, k) => (c.dataDrift ? [`check ${k + 1}: ${c.action}`] : []));
    expect(falseDrifts, 'data-drift verdicts on a stationary stream').toEqual([]);
    expect(checks.filter((c) => c.action === 'retrain_queued')).toEqual([]);
  });

  it('finds a version that is bad from its first row on the lineage error stream, and rolls it back', async () => {
    const platform = await start();
    // v1 learns concept θ 7, v2 concept θ 9.5; then v1 is promoted by hand while θ 9.5 goes on.
    const old = seaConcepts({ seed: 31, concepts: [2], noise: 0.05 });
    const stream = seaConcepts({ seed: 32, concepts: [3], noise: 0.05 });
    await ingest(platform, old.take(1000));
    expect((await train(platform, 'bootstrap')).promoted).toBe(true);
    await ingest(platform, stream.take(1000));
    const v2 = await train(platform, 'learn the current concept');
    expect(v2.version?.version).toBe(2);
    expect(v2.promoted).toBe(true);
    await ingest(platform, stream.take(1500, 1000));
    expect((await platform.drift.check('manual')).check?.drifted).toBe(false);

    await platform.registry.promote(1, 'a bad manual promotion');
    await platform.holder.refresh();
    const seen: string[] = [];
    let detectedAfter: number | null = null;
    for (let k = 0; k < 4 && detectedAfter === null; k++) {
      await ingest(platform, stream.take(BATCH, 2500 + k * BATCH));
      const { check } = await platform.drift.check('manual');
      seen.push(`${(k + 1) * BATCH}: ${check!.verdict} concept=${check!.conceptDrift} ${check!.action}`);
      if (check!.conceptDrift && check!.action === 'retrain_queued') detectedAfter = (k + 1) * BATCH;
    }
    expect(detectedAfter, `checks after the promotion:\n${seen.join('\n')}`).not.toBeNull();
    expect(detectedAfter!).toBeLessThanOrEqual(1000);
    // The retrain learns from the rows since the bad version started serving.
    const [job] = await p!.database.sql<{ change_at: Date | null }[]>`
      select change_at from training_jobs where status = 'queued' order by id desc limit 1`;
    const [promotion] = await p!.database.sql<{ at: Date }[]>`
      select created_at as at from events where type = 'model.promoted' order by id desc limit 1`;
    expect(job?.change_at).toBeInstanceOf(Date);
    expect(Math.abs(job!.change_at!.getTime() - promotion!.at.getTime())).toBeLessThan(5_000);
    const graphql = await gql<{ driftEvents: { items: { conceptDrift: boolean }[] } }>(
      p!.graphqlUrl,
      '{ driftEvents(limit: 1) { items { conceptDrift } } }',
      {},
      p!.adminKey,
    );
    expect(graphql.data?.driftEvents.items[0]?.conceptDrift).toBe(true);

    // The rollback: the drift's retrain scores the archived versions on the rows since the bad
    // version started serving, and v2, which it replaced, serves again with no training.
    const [queued] = await p!.database.sql<{ id: string }[]>`
      select id::text from training_jobs where status = 'queued' order by id desc limit 1`;
    const back = await platform.retrain.run(Number(queued!.id));
    expect(back.job.outcome).toBe('repromoted');
    expect(back.version?.version).toBe(2);
    expect(back.promoted).toBe(true);
    await platform.holder.refresh();
    expect(platform.holder.current?.version).toBe(2);
    const [rolledBack] = await p!.database.sql<{ reason: string; previous: number }[]>`
      select payload->>'reason' as reason, (payload->>'previousVersion')::int as previous
        from events where type = 'model.promoted' order by id desc limit 1`;
    expect(rolledBack?.previous).toBe(1);
    expect(rolledBack?.reason).toMatch(/^re-promoted with no training/);
  });

  it('moves a pending retrain to a change located after it was queued, and trains on the rows since', async () => {
    const { platform, before, after } = await bootstrappedBeforeChange(51);
    await ingest(platform, before.take(500, 1000));
    // A retrain is pending (asked for by hand: its window is every row) when the concept changes.
    const { job } = await platform.drift.requestRetrain('a retrain asked for before the change');
    const [first] = await p!.database.sql<{ id: string }[]>`select max(id)::text as id from rows`;
    const firstAfter = Number(first!.id) + 1;
    await ingest(platform, after.take(1000));
    const { check } = await platform.drift.check('manual');
    expect(check?.conceptDrift).toBe(true);
    expect(check?.action).toBe('retrain_pending');
    const moved = check?.details.retargeted as { jobId: number; to: string } | null;
    expect(moved?.jobId).toBe(job.id);
    const [row] = await p!.database.sql<{ change_row_id: string | null }[]>`
      select change_row_id::text from training_jobs where id = ${job.id}`;
    expect(Math.abs(Number(row!.change_row_id) - firstAfter)).toBeLessThanOrEqual(50);

    const result = await platform.retrain.run(job.id);
    expect(result.version?.rowWindowStart).toBeGreaterThanOrEqual(firstAfter - 50);
    expect(result.promoted).toBe(true);
  });

  it('says "still drifting", not a new drift, while the retrain an earlier check queued is pending', async () => {
    const { platform, after } = await bootstrappedBeforeChange(61);
    await ingest(platform, after.take(1000));
    const first = (await platform.drift.check('manual')).check!;
    expect(first).toMatchObject({ verdict: 'drift', action: 'retrain_queued', modelVersion: 1 });
    // The queued retrain has not run yet: the next checks meet the same failing version.
    await ingest(platform, after.take(300, 1000));
    const again = (await platform.drift.check('manual')).check!;
    // Before, every such check was another drift verdict and another drift.detected event.
    expect(again).toMatchObject({ verdict: 'still_drifting', drifted: true, action: 'retrain_pending' });
    const r = await gql(
      p!.graphqlUrl,
      `query($id: ID!) { driftEvent(id: $id) { verdict explanation } }`,
      { id: String(again.id) },
      p!.adminKey,
    );
    const event = (r.data as { driftEvent: { verdict: string; explanation: string[] } }).driftEvent;
    expect(event.verdict).toBe('STILL_DRIFTING');
    expect(event.explanation.at(-1)).toBe(
      `action: no new drift: v1 still errs as drift check #${first.id} found, and the retrain it queued (training job ${first.trainingJobId}) is pending; nothing new to do`,
    );
    const detected = await p!.database.sql<{ id: string }[]>`
      select payload->>'driftCheckId' as id from events where type = 'drift.detected'`;
    expect(detected.map((e) => Number(e.id))).toEqual([first.id]);
    const result = await platform.retrain.run(first.trainingJobId!);
    expect(result.promoted).toBe(true);
  });
});
