import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';
import {
  busListeners,
  type Feed,
  learnableBatch,
  sseSubscribe,
  waitFor,
  waitForBusListeners,
  wsClient,
  wsSubscribe,
} from './live-clients.ts';

const INGEST = `mutation Ingest($input: IngestInput!) { ingest(input: $input) { rowsStored } }`;
const PREDICT =
  'mutation { predict(input: { features: [[0.9, 0.9, 0.1], [0.1, 0.1, 0.5]] }) { modelVersion predictions { label modelVersion } } }';
const TRAINING = 'subscription { trainingEvents { type trainingJobId treesDone } }';
const MODEL = 'subscription { modelPromoted { action version previousVersion reason } }';
const DRIFT_CHECKED = 'subscription { driftChecked { id verdict trigger modelVersion } }';
const STATS = 'subscription { statsUpdated { rowsIngested predictionsTotal activeModelVersion } }';

interface ModelChange {
  modelPromoted: { action: string; version: number; previousVersion: number | null; reason: string | null };
}
interface TrainingEvent {
  trainingEvents: { type: string; trainingJobId: string; treesDone: number | null };
}

/**
 * Two server instances on one database, as two replicas behind a load balancer: A runs the
 * workers, B only serves. Events raised on either reach subscribers on both (LISTEN/NOTIFY), and
 * B's in-memory model follows promotions made through A.
 */
describe('two server instances on one database', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  const clients: Client[] = [];
  const feeds: Feed<unknown>[] = [];

  /** Subscribes on `on` and waits until that replica registered the listener. */
  async function live<F extends Feed<unknown>>(
    on: TestPlatform,
    subscribe: () => F,
    what: string,
  ): Promise<F> {
    const before = busListeners(on.server.platform);
    const feed = subscribe();
    feeds.push(feed);
    await waitForBusListeners(on.server.platform, before + 1, what);
    return feed;
  }
  const ws = (on: TestPlatform) => {
    const client = wsClient(on.wsUrl, on.adminKey);
    clients.push(client);
    return client;
  };
  const predictOn = async (on: TestPlatform) => {
    const r = await gql(on.graphqlUrl, PREDICT, {}, on.adminKey);
    return r as {
      data?: { predict: { modelVersion: number; predictions: { label: number; modelVersion: number }[] } };
      errors?: { extensions?: Record<string, unknown> }[];
    };
  };
  const servedVersion = async (on: TestPlatform) => (await predictOn(on)).data?.predict.modelVersion ?? null;

  beforeAll(async () => {
    const env = {
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '200',
      N_ESTIMATORS: '10',
      MAX_DEPTH: '6',
      STATS_INTERVAL_MS: '200',
    };
    a = await startTestPlatform(inject('postgresUrl'), { ...env, WORKERS: 'true' });
    b = await startTestPlatform(
      inject('postgresUrl'),
      { ...env, WORKERS: 'false' },
      { database: a.database },
    );
  });
  afterAll(async () => {
    for (const feed of feeds) feed.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.stop();
    await a?.stop();
  });

  it('are two processes on one database: different ports, shared tables', async () => {
    expect(a.url).not.toBe(b.url);
    expect(a.database.url).toBe(b.database.url);
    // A key made on B works on A: keys live in the database.
    const stats = await gql(a.graphqlUrl, '{ stats { rowsIngested } }', {}, b.adminKey);
    expect(stats.data).toEqual({ stats: { rowsIngested: 0 } });
    expect((await predictOn(b)).errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');
  });

  it("trains on A's worker what was ingested and queued through B; B's subscribers see every step and B serves the result", async () => {
    const trainingOnB = await live(
      b,
      () => wsSubscribe<TrainingEvent>(ws(b), TRAINING),
      'trainingEvents on B',
    );
    const modelsOnB = await live(
      b,
      () => sseSubscribe<ModelChange>(b.graphqlUrl, b.adminKey, MODEL),
      'modelPromoted on B (SSE)',
    );
    // Stats ticks are not bus events: the first value (the current numbers) says it is live.
    const statsOnA = wsSubscribe<{ statsUpdated: { rowsIngested: number } }>(ws(a), STATS);
    feeds.push(statsOnA);
    await statsOnA.next((s) => s.statsUpdated.rowsIngested === 0, "A's first stats");

    // 300 labelled rows through B: past MIN_TRAIN_ROWS, B queues the first training; A runs it.
    const ingest = await gql(
      b.graphqlUrl,
      INGEST,
      { input: { ...learnableBatch(300, 11), batchId: 'b-1' } },
      b.adminKey,
    );
    expect(ingest.data).toEqual({ ingest: { rowsStored: 300 } });
    // A's stats subscriber counts rows B stored (numbers come from the shared tables).
    await statsOnA.next((s) => s.statsUpdated.rowsIngested === 300, "A's stats after B's ingest");

    const first = await modelsOnB.next((m) => m.modelPromoted.version === 1, 'version 1 on B', 40_000);
    expect(first.modelPromoted).toMatchObject({ action: 'PROMOTED', previousVersion: null });
    await waitFor(async () => ((await servedVersion(b)) === 1 ? true : undefined), 'B serving version 1');

    // Now the retrain mutation, sent to B; again A's worker trains.
    const retrain = await gql(
      b.graphqlUrl,
      'mutation { retrain(reason: "via B") { job { id } } }',
      {},
      b.adminKey,
    );
    const jobId = (retrain.data as { retrain: { job: { id: string } } }).retrain.job.id;
    await trainingOnB.next(
      (e) => e.trainingEvents.trainingJobId === jobId && e.trainingEvents.type === 'FINISHED',
      'the retrain on B',
      40_000,
    );
    const steps = trainingOnB.items
      .filter((e) => e.trainingEvents.trainingJobId === jobId)
      .map((e) => e.trainingEvents.type);
    expect(steps[0]).toBe('QUEUED');
    expect(steps[1]).toBe('STARTED');
    expect(steps.slice(2, -1).every((t) => t === 'PROGRESS')).toBe(true);
    expect(steps.at(-1)).toBe('FINISHED');
    const second = await modelsOnB.next((m) => m.modelPromoted.version === 2, 'version 2 on B');
    expect(second.modelPromoted).toMatchObject({ action: 'PROMOTED', previousVersion: 1, reason: 'via B' });
    await waitFor(async () => ((await servedVersion(b)) === 2 ? true : undefined), 'B serving version 2');
    expect(b.server.platform.holder.current?.version).toBe(2);
  });

  it("swaps B's serving model when A rolls back or promotes, and tells B's subscribers", async () => {
    const wsOnB = await live(b, () => wsSubscribe<ModelChange>(ws(b), MODEL), 'modelPromoted on B (ws)');
    const sseOnB = await live(
      b,
      () => sseSubscribe<ModelChange>(b.graphqlUrl, b.adminKey, MODEL),
      'modelPromoted on B (SSE)',
    );
    expect(await servedVersion(b)).toBe(2);

    const rollback = await gql(a.graphqlUrl, 'mutation { rollbackModel { version } }', {}, a.adminKey);
    expect(rollback.data).toEqual({ rollbackModel: { version: 1 } });
    for (const feed of [wsOnB, sseOnB]) {
      const change = await feed.next((m) => m.modelPromoted.action === 'ROLLED_BACK', 'the rollback on B');
      expect(change.modelPromoted).toEqual({
        action: 'ROLLED_BACK',
        version: 1,
        previousVersion: 2,
        reason: 'rolled back by test admin',
      });
    }
    // B reloads on the notification: its next predictions come from version 1.
    await waitFor(
      async () => ((await servedVersion(b)) === 1 ? true : undefined),
      'B serving version 1 again',
      5_000,
    );
    const predicted = (await predictOn(b)).data!.predict;
    expect(predicted.predictions).toEqual([
      { label: 1, modelVersion: 1 },
      { label: 0, modelVersion: 1 },
    ]);

    const promote = await gql(
      a.graphqlUrl,
      'mutation { promoteModel(version: 2) { version } }',
      {},
      a.adminKey,
    );
    expect(promote.data).toEqual({ promoteModel: { version: 2 } });
    for (const feed of [wsOnB, sseOnB]) {
      await feed.next(
        (m) => m.modelPromoted.action === 'PROMOTED' && m.modelPromoted.version === 2,
        'the promotion on B',
      );
      expect(feed.items.map((m) => [m.modelPromoted.action, m.modelPromoted.version])).toEqual([
        ['ROLLED_BACK', 1],
        ['PROMOTED', 2],
      ]);
    }
    await waitFor(
      async () => ((await servedVersion(b)) === 2 ? true : undefined),
      'B serving version 2 again',
      5_000,
    );
  });

  it("delivers a drift check run through A to B's driftChecked subscriber, and B's to A's", async () => {
    const onB = await live(
      b,
      () =>
        wsSubscribe<{ driftChecked: { id: string; verdict: string; trigger: string; modelVersion: number } }>(
          ws(b),
          DRIFT_CHECKED,
        ),
      'driftChecked on B',
    );
    const onA = await live(
      a,
      () =>
        sseSubscribe<{
          driftChecked: { id: string; verdict: string; trigger: string; modelVersion: number };
        }>(a.graphqlUrl, a.adminKey, DRIFT_CHECKED),
      'driftChecked on A (SSE)',
    );
    const check = async (on: TestPlatform) => {
      const r = await gql(on.graphqlUrl, 'mutation { checkDrift { event { id verdict } } }', {}, on.adminKey);
      expect(r.errors).toBeUndefined();
      return (r.data as { checkDrift: { event: { id: string; verdict: string } } }).checkDrift.event;
    };
    const viaA = await check(a);
    const seenOnB = await onB.next((c) => c.driftChecked.id === viaA.id, "A's check on B");
    expect(seenOnB.driftChecked).toEqual({
      id: viaA.id,
      verdict: viaA.verdict,
      trigger: 'MANUAL',
      modelVersion: 2,
    });
    const viaB = await check(b);
    const seenOnA = await onA.next((c) => c.driftChecked.id === viaB.id, "B's check on A");
    expect(seenOnA.driftChecked).toMatchObject({ id: viaB.id, trigger: 'MANUAL', modelVersion: 2 });
    // Each replica's subscriber saw both checks, in the same order.
    await onA.next((c) => c.driftChecked.id === viaA.id, "A's own check on A");
    await onB.next((c) => c.driftChecked.id === viaB.id, "B's own check on B");
    const manual = (feed: Feed<{ driftChecked: { id: string; trigger: string } }>) =>
      feed.items.filter((c) => c.driftChecked.trigger === 'MANUAL').map((c) => c.driftChecked.id);
    expect(manual(onA)).toEqual([viaA.id, viaB.id]);
    expect(manual(onB)).toEqual([viaA.id, viaB.id]);
  });
});
