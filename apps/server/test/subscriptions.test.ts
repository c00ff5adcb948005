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
const STATS = `subscription { statsUpdated { rowsIngested labelledRows activeModelVersion modelVersions } }`;
const TRAINING = `subscription T($jobId: ID) {
  trainingEvents(jobId: $jobId) { type trainingJobId treesDone treesTotal version outcome eventId job { status outcome resultVersion } }
}`;
const MODEL = `subscription { modelPromoted { action version previousVersion reason eventId model { version status serving } } }`;
const DRIFT_FIELDS =
  'id drifted dataDrift verdict trigger modelVersion nCurrent features { index drifted ksStatistic }';
const DRIFT_CHECKED = `subscription { driftChecked { ${DRIFT_FIELDS} } }`;
const DRIFT_DETECTED = `subscription { driftDetected { ${DRIFT_FIELDS} } }`;
const EVENTS = `subscription { platformEvents { id type payload } }`;

interface Stats {
  statsUpdated: {
    rowsIngested: number;
    labelledRows: number;
    activeModelVersion: number | null;
    modelVersions: number;
  };
}
interface TrainingEvent {
  trainingEvents: {
    type: 'QUEUED' | 'STARTED' | 'PROGRESS' | 'FINISHED' | 'FAILED';
    trainingJobId: string;
    treesDone: number | null;
    treesTotal: number | null;
    version: number | null;
    outcome: string | null;
    eventId: number;
    job: { status: string; outcome: string | null; resultVersion: number | null } | null;
  };
}
interface ModelChange {
  modelPromoted: {
    action: string;
    version: number;
    previousVersion: number | null;
    reason: string | null;
    eventId: number;
    model: { version: number; status: string; serving: boolean } | null;
  };
}
interface DriftCheck {
  id: string;
  drifted: boolean;
  dataDrift: boolean;
  verdict: string;
  trigger: string;
  modelVersion: number;
  nCurrent: number;
  features: { index: number; drifted: boolean; ksStatistic: number }[];
}
interface PlatformEvent {
  platformEvents: { id: number; type: string; payload: Record<string, unknown> };
}

const N_ESTIMATORS = 20;

/**
 * Subscriptions over a real port, graphql-ws and SSE, fed by the real services: ingest, the
 * bootstrap retrain, the retrain mutation run by the in-process worker, drift checks, promotion
 * and rollback. The tests run in order and share one platform (the model of one is the next's).
 */
describe('subscriptions over graphql-ws and SSE', () => {
  let p: TestPlatform;
  let readerKey: string;
  /** The reader's modelPromoted subscription, open from the auth test to the end. */
  let readerModels: Feed<ModelChange>;
  const clients: Client[] = [];
  const feeds: Feed<unknown>[] = [];
  const admin = () => {
    const client = wsClient(p.wsUrl, p.adminKey);
    clients.push(client);
    return client;
  };
  const call = (query: string, variables: Record<string, unknown> = {}, key = p.adminKey) =>
    gql(p.graphqlUrl, query, variables, key);
  /** Subscribes (feeds are closed after the suite) and waits until the server registered them. */
  async function live<F extends Feed<unknown>>(
    subscribe: () => F,
    listeners: number,
    what: string,
  ): Promise<F> {
    const before = busListeners(p.server.platform);
    const feed = subscribe();
    feeds.push(feed);
    await waitForBusListeners(p.server.platform, before + listeners, what);
    return feed;
  }

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'true',
      STATS_INTERVAL_MS: '200',
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '200',
      // About the feeds, not the policy: data-drift verdicts against these small models' references.
      DRIFT_MIN_REFERENCE_ROWS: '100',
      N_ESTIMATORS: String(N_ESTIMATORS),
      MAX_DEPTH: '6',
    });
    readerKey = (await p.server.platform.apiKeys.create('test reader', 'reader')).key;
  });
  afterAll(async () => {
    for (const feed of feeds) feed.close();
    await Promise.all(clients.map((c) => c.dispose()));
    await p?.stop();
  });

  it('closes a graphql-ws connection without a valid key with 4403 Forbidden', async () => {
    for (const key of [null, 'not-a-key']) {
      const client = wsClient(p.wsUrl, key);
      clients.push(client);
      const feed = wsSubscribe(client, EVENTS);
      await feed.whenEnded(`the refused connection (key ${key})`);
      expect(feed.failure).toMatchObject({ code: 4403, reason: 'Forbidden' });
      expect(feed.results).toEqual([]);
    }
  });

  it('answers an SSE subscription without a valid key with UNAUTHENTICATED and no stream', async () => {
    for (const key of [null, 'not-a-key']) {
      const before = busListeners(p.server.platform);
      const feed = sseSubscribe(p.graphqlUrl, key, EVENTS);
      const response = await feed.response;
      expect(response.status).toBe(401);
      await feed.whenEnded('the refused SSE request');
      expect(feed.results).toHaveLength(1);
      expect(feed.results[0]?.data ?? null).toBeNull();
      expect(feed.results[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(busListeners(p.server.platform)).toBe(before);
    }
  });

  it('lets a reader subscribe but not promote (FORBIDDEN)', async () => {
    const readerClient = wsClient(p.wsUrl, readerKey);
    clients.push(readerClient);
    readerModels = await live(() => wsSubscribe<ModelChange>(readerClient, MODEL), 1, 'reader modelPromoted');
    expect(readerModels.failure).toBeNull();
    const sse = await live(() => sseSubscribe<ModelChange>(p.graphqlUrl, readerKey, MODEL), 1, 'reader SSE');
    expect((await sse.response).status).toBe(200);
    const promote = await call('mutation { promoteModel(version: 1) { version } }', {}, readerKey);
    expect(promote.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(promote.data ?? null).toBeNull();
    const rollback = await call('mutation { rollbackModel { version } }', {}, readerKey);
    expect(rollback.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Readers cannot write data either.
    const ingest = await call(INGEST, { input: learnableBatch(1, 1) }, readerKey);
    expect(ingest.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('pushes statsUpdated when ingested rows change the counts (graphql-ws and SSE)', async () => {
    const ws = wsSubscribe<Stats>(admin(), STATS);
    feeds.push(ws as Feed<unknown>);
    const sse = sseSubscribe<Stats>(p.graphqlUrl, readerKey, STATS);
    feeds.push(sse as Feed<unknown>);
    // Each subscription starts with the current numbers.
    for (const feed of [ws, sse]) {
      const first = await feed.next(() => true, 'the first stats');
      expect(first.statsUpdated).toEqual({
        rowsIngested: 0,
        labelledRows: 0,
        activeModelVersion: null,
        modelVersions: 0,
      });
    }
    // Two ticks (STATS_INTERVAL_MS = 200) with nothing changed must push nothing.
    await new Promise((resolve) => setTimeout(resolve, 450));
    // Below MIN_TRAIN_ROWS (200): nothing trains yet.
    expect(
      (await call(INGEST, { input: { ...learnableBatch(120, 1), batchId: 'stats-1' } })).errors,
    ).toBeUndefined();
    for (const feed of [ws, sse]) {
      const after = await feed.next((s) => s.statsUpdated.rowsIngested === 120, 'stats after 120 rows');
      expect(after.statsUpdated.labelledRows).toBe(120);
    }
    // Ticks come only when a number changed: one value per change, no repeats.
    const counts = ws.items.map((s) => s.statsUpdated.rowsIngested);
    expect(counts).toEqual([...new Set(counts)]);
    expect(counts).toEqual([0, 120]);
  });

  it('trains the first version by itself at MIN_TRAIN_ROWS: trainingEvents in order, modelPromoted, platformEvents', async () => {
    const training = await live(() => wsSubscribe<TrainingEvent>(admin(), TRAINING), 1, 'trainingEvents');
    const models = await live(() => wsSubscribe<ModelChange>(admin(), MODEL), 1, 'modelPromoted');
    const events = await live(
      () => sseSubscribe<PlatformEvent>(p.graphqlUrl, readerKey, EVENTS),
      1,
      'platformEvents over SSE',
    );
    await call(INGEST, { input: { ...learnableBatch(200, 2), batchId: 'bootstrap-1' } });

    const promoted = await models.next((m) => m.modelPromoted.version === 1, 'version 1 promoted', 40_000);
    expect(promoted.modelPromoted).toMatchObject({
      action: 'PROMOTED',
      previousVersion: null,
      model: { version: 1, status: 'PRODUCTION', serving: true },
    });
    expect(promoted.modelPromoted.reason).toMatch(/^bootstrap: 320 labelled rows/);

    await training.next((e) => e.trainingEvents.type === 'FINISHED', 'training finished');
    const steps = training.items.map((e) => e.trainingEvents);
    const jobId = steps[0]!.trainingJobId;
    expect(steps.every((s) => s.trainingJobId === jobId)).toBe(true);
    expectTrainingOrder(steps, 1);

    const log = await events.next((e) => e.platformEvents.type === 'training.finished', 'training.finished');
    // The event log's payload is the stored JSON: ids there are numbers (the typed fields are IDs).
    expect(log.platformEvents.payload).toMatchObject({
      trainingJobId: Number(jobId),
      version: 1,
      outcome: 'promoted',
    });
    const types = events.items.map((e) => e.platformEvents.type);
    // The promotion is committed with the end of training (in the same transaction).
    const steps2 = types.filter((t) => t !== 'training.progress' && !t.startsWith('drift.'));
    expect(steps2.slice(0, 2)).toEqual(['training.queued', 'training.started']);
    expect(steps2.slice(2).sort()).toEqual(['model.promoted', 'training.finished']);
    expect(types.filter((t) => t === 'training.progress')).toHaveLength(N_ESTIMATORS);
    const ids = events.items.map((e) => e.platformEvents.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('runs the retrain mutation on the worker: queued → started → progress → finished over graphql-ws and SSE', async () => {
    const ws = await live(() => wsSubscribe<TrainingEvent>(admin(), TRAINING), 1, 'trainingEvents (ws)');
    const sse = await live(
      () => sseSubscribe<TrainingEvent>(p.graphqlUrl, readerKey, TRAINING),
      1,
      'trainingEvents (SSE)',
    );
    const other = await live(
      () => wsSubscribe<TrainingEvent>(admin(), TRAINING, { jobId: '999999' }),
      1,
      'trainingEvents of another job',
    );
    const models = await live(() => wsSubscribe<ModelChange>(admin(), MODEL), 1, 'modelPromoted');

    const retrain = await call(
      'mutation { retrain(reason: "subscription test") { alreadyPending job { id status reason } } }',
    );
    expect(retrain.errors).toBeUndefined();
    const { job, alreadyPending } = (
      retrain.data as { retrain: { alreadyPending: boolean; job: { id: string; status: string } } }
    ).retrain;
    expect(alreadyPending).toBe(false);
    expect(job.status).toBe('QUEUED');

    for (const feed of [ws, sse]) {
      await feed.next(
        (e) => e.trainingEvents.trainingJobId === job.id && e.trainingEvents.type === 'FINISHED',
        `job ${job.id} finished`,
        40_000,
      );
      const steps = feed.items.map((e) => e.trainingEvents).filter((s) => s.trainingJobId === job.id);
      expectTrainingOrder(steps, 2);
      // Both transports saw the same events.
      expect(steps.map((s) => s.eventId)).toEqual(
        ws.items
          .map((e) => e.trainingEvents)
          .filter((s) => s.trainingJobId === job.id)
          .map((s) => s.eventId),
      );
    }
    const promoted = await models.next((m) => m.modelPromoted.version === 2, 'version 2 promoted');
    expect(promoted.modelPromoted).toMatchObject({
      action: 'PROMOTED',
      previousVersion: 1,
      reason: 'subscription test',
    });
    expect(other.items).toEqual([]);
  });

  it('announces rollback and manual promotion on modelPromoted, and predict follows them', async () => {
    const models = await live(() => wsSubscribe<ModelChange>(admin(), MODEL), 1, 'modelPromoted');
    const predictVersion = async () => {
      const r = await call(
        'mutation { predict(input: { features: [[0.9, 0.9, 0.1]] }) { modelVersion predictions { label } } }',
      );
      expect(r.errors).toBeUndefined();
      return (r.data as { predict: { modelVersion: number; predictions: { label: number }[] } }).predict;
    };
    expect(await predictVersion()).toEqual({ modelVersion: 2, predictions: [{ label: 1 }] });

    const rollback = await call('mutation { rollbackModel { version status } }');
    expect(rollback.data).toEqual({ rollbackModel: { version: 1, status: 'PRODUCTION' } });
    const back = await models.next((m) => m.modelPromoted.action === 'ROLLED_BACK', 'the rollback');
    expect(back.modelPromoted).toMatchObject({
      version: 1,
      previousVersion: 2,
      reason: 'rolled back by test admin',
      model: { version: 1, status: 'PRODUCTION', serving: true },
    });
    expect((await predictVersion()).modelVersion).toBe(1);

    const promote = await call('mutation { promoteModel(version: 2) { version status } }');
    expect(promote.data).toEqual({ promoteModel: { version: 2, status: 'PRODUCTION' } });
    const again = await models.next(
      (m) => m.modelPromoted.eventId > back.modelPromoted.eventId,
      'the promotion',
    );
    expect(again.modelPromoted).toMatchObject({
      action: 'PROMOTED',
      version: 2,
      previousVersion: 1,
      reason: 'promoted by test admin',
    });
    expect((await predictVersion()).modelVersion).toBe(2);

    const changes = (feed: Feed<ModelChange>) =>
      feed.items.map((m) => [
        m.modelPromoted.action,
        m.modelPromoted.version,
        m.modelPromoted.previousVersion,
      ]);
    expect(changes(models)).toEqual([
      ['ROLLED_BACK', 1, 2],
      ['PROMOTED', 2, 1],
    ]);
    // The reader, subscribed since the auth test, saw every change of the serving version.
    expect(changes(readerModels)).toEqual([
      ['PROMOTED', 1, null],
      ['PROMOTED', 2, 1],
      ['ROLLED_BACK', 1, 2],
      ['PROMOTED', 2, 1],
    ]);
  });

  it('pushes driftChecked for every check and driftDetected only for drifts', async () => {
    const checked = await live(
      () => wsSubscribe<{ driftChecked: DriftCheck }>(admin(), DRIFT_CHECKED),
      1,
      'driftChecked',
    );
    const detected = await live(
      () => sseSubscribe<{ driftDetected: DriftCheck }>(p.graphqlUrl, readerKey, DRIFT_DETECTED),
      1,
      'driftDetected over SSE',
    );
    const checkDrift = async () => {
      const r = await call('mutation { checkDrift { skipped event { id drifted verdict } } }');
      expect(r.errors).toBeUndefined();
      return (
        r.data as {
          checkDrift: { skipped: string | null; event: { id: string; drifted: boolean; verdict: string } };
        }
      ).checkDrift;
    };

    // The newest WINDOW_SIZE rows come from the training distribution: no drift.
    const calm = await checkDrift();
    expect(calm).toMatchObject({ skipped: null, event: { drifted: false, verdict: 'NO_DRIFT' } });
    const calmPushed = await checked.next((c) => c.driftChecked.id === calm.event.id, 'the calm check');
    expect(calmPushed.driftChecked).toMatchObject({
      drifted: false,
      dataDrift: false,
      trigger: 'MANUAL',
      modelVersion: 2,
      nCurrent: 200,
    });

    // Shift x0 and x1 by 2: every row of the window drifts on those two features. Labels came in
    // with the training rows, so moved features alone are a warning: no driftDetected.
    const shifted = learnableBatch(200, 3, 2).features;
    await call(INGEST, { input: { features: shifted, batchId: 'shifted-1' } });
    const warning = await checkDrift();
    expect(warning.event).toMatchObject({ drifted: false, verdict: 'WARNING' });
    const warned = await checked.next((c) => c.driftChecked.id === warning.event.id, 'the warning');
    expect(warned.driftChecked).toMatchObject({ drifted: false, dataDrift: true });
    // The same rows labelled, the model wrong on every one: the labels decide, a drift.
    await call(INGEST, {
      input: { features: shifted, labels: shifted.map(() => 0), batchId: 'shifted-labelled' },
    });
    const drift = await checkDrift();
    // The 200 rows asked for a check of their own too (WINDOW_SIZE rows, and errors far above the
    // promise ask early). When that check read them first, it raised the drift: this one then
    // says the retrain it queued is pending, or, once that retrain was decided, drift again.
    expect(drift.event.drifted).toBe(true);
    expect(['DRIFT', 'STILL_DRIFTING']).toContain(drift.event.verdict);
    const alarm = await detected.next((c) => c.driftDetected.drifted, 'the first drift alarm');
    const pushed = await checked.next((c) => c.driftChecked.id === alarm.driftDetected.id, 'its check');
    expect(alarm.driftDetected).toEqual(pushed.driftChecked);
    expect(alarm.driftDetected).toMatchObject({ drifted: true, dataDrift: true, verdict: 'DRIFT' });
    if (drift.event.verdict === 'DRIFT') {
      const mine = await detected.next((c) => c.driftDetected.id === drift.event.id, 'the drift alarm');
      expect(mine.driftDetected).toMatchObject({ verdict: 'DRIFT', trigger: 'MANUAL' });
    } else expect(Number(alarm.driftDetected.id)).toBeLessThan(Number(drift.event.id));
    const byIndex = new Map(alarm.driftDetected.features.map((f) => [f.index, f]));
    expect(byIndex.get(0)).toMatchObject({ drifted: true });
    expect(byIndex.get(1)).toMatchObject({ drifted: true });
    expect(byIndex.get(2)).toMatchObject({ drifted: false });
    expect(byIndex.get(0)!.ksStatistic).toBeGreaterThan(0.9);
    // The calm check never reached driftDetected.
    expect(detected.items.some((c) => c.driftDetected.id === calm.event.id)).toBe(false);
    expect(detected.items.some((c) => c.driftDetected.id === warning.event.id)).toBe(false);
    expect(detected.items.every((c) => c.driftDetected.drifted)).toBe(true);
  });

  it('ends the server side of a subscription when the client leaves', async () => {
    const before = busListeners(p.server.platform);
    const feed = await live(() => sseSubscribe<PlatformEvent>(p.graphqlUrl, readerKey, EVENTS), 1, 'SSE');
    const ws = admin();
    const wsFeed = await live(() => wsSubscribe<PlatformEvent>(ws, EVENTS), 1, 'ws');
    feed.close();
    wsFeed.close();
    await waitFor(() => busListeners(p.server.platform) === before || undefined, 'listeners released');
  });
});

/** queued → started → progress (trees rising to the total) → finished, for one job. */
function expectTrainingOrder(steps: TrainingEvent['trainingEvents'][], version: number) {
  const types = steps.map((s) => s.type);
  expect(types[0]).toBe('QUEUED');
  expect(types[1]).toBe('STARTED');
  expect(types.at(-1)).toBe('FINISHED');
  const progress = steps.filter((s) => s.type === 'PROGRESS');
  expect(types.slice(2, -1)).toEqual(progress.map(() => 'PROGRESS'));
  expect(progress.length).toBeGreaterThan(0);
  const trees = progress.map((s) => s.treesDone!);
  expect(trees).toEqual([...trees].sort((a, b) => a - b));
  expect(trees.at(-1)).toBe(N_ESTIMATORS);
  expect(progress.every((s) => s.treesTotal === N_ESTIMATORS)).toBe(true);
  const eventIds = steps.map((s) => s.eventId);
  expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
  expect(steps.at(-1)).toMatchObject({
    version,
    outcome: 'PROMOTED',
    job: { status: 'SUCCEEDED', outcome: 'PROMOTED', resultVersion: version },
  });
}
