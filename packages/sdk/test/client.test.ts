import { createServer } from 'node:net';
import { startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import {
  ActiveModelDocument,
  ApiError,
  type AutomlApolloClient,
  ConfigDocument,
  createClient,
  createNodeClient,
  IngestDocument,
  type NodeClient,
  PredictDocument,
  type PredictMutation,
  RetrainDocument,
  StatsDocument,
  StatsUpdatedDocument,
  TrainingEventsDocument,
  type TrainingEventsSubscription,
} from '../src/index.ts';

/** Class = x0 + x1 > 1 over three uniform features (a rule a forest learns from a few hundred rows). */
function rows(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  return { features, labels: features.map((f) => (f[0]! + f[1]! > 1 ? 1 : 0)) };
}

/** A port nothing listens on (bound once by us, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with the first value `take` accepts, or rejects after `ms`. */
function waitFor<T>(
  subscribe: (accept: (value: T) => void) => () => void,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    stop = subscribe((value) => {
      clearTimeout(timer);
      stop();
      resolve(value);
    });
  });
}

describe('SDK against a real server', () => {
  let p: TestPlatform;
  let node: NodeClient;
  let apollo: AutomlApolloClient;

  beforeAll(async () => {
    // Workers on, small forest: a retrain takes well under a second.
    p = await startTestPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '200',
      N_ESTIMATORS: '10',
    });
    node = createNodeClient({ url: p.graphqlUrl, apiKey: p.adminKey, webSocketImpl: WebSocket });
    apollo = createClient({ url: p.graphqlUrl, apiKey: p.adminKey, webSocketImpl: WebSocket });
  });
  afterAll(async () => {
    await node?.close();
    await apollo?.close();
    await p?.stop();
  });

  it('node client: typed query, and server errors as ApiError with the code', async () => {
    const config = await node.request(ConfigDocument);
    expect(config.config).toMatchObject({
      authEnabled: true,
      minTrainRows: 200,
      windowSize: 200,
      nFeatures: null,
    });

    const notReady = await node
      .request(PredictDocument, { input: { features: [[0.1, 0.2, 0.3]] } })
      .catch((e) => e);
    expect(notReady).toBeInstanceOf(ApiError);
    expect(notReady.code).toBe('MODEL_NOT_READY');
    expect(notReady.message).toMatch(/MIN_TRAIN_ROWS/);

    const badKey = createNodeClient({
      url: p.graphqlUrl,
      apiKey: 'ams_nothere0_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    });
    const unauthenticated = await badKey.request(StatsDocument).catch((e) => e);
    expect(unauthenticated).toMatchObject({ name: 'ApiError', code: 'UNAUTHENTICATED', status: 401 });

    const nowhere = createNodeClient({ url: `http://127.0.0.1:${await closedPort()}/graphql` });
    const network = await nowhere.request(StatsDocument).catch((e) => e);
    expect(network).toMatchObject({ code: 'NETWORK_ERROR' });
    expect(network.message).toMatch(/could not reach the server \(ECONNREFUSED\)/);
  });

  it('node client: mutation, and a subscription that sees the bootstrap training run to the end', async () => {
    const events: TrainingEventsSubscription['trainingEvents'][] = [];
    const finished = waitFor<TrainingEventsSubscription['trainingEvents']>(
      (accept) =>
        node.subscribe(TrainingEventsDocument, {}, (data) => {
          events.push(data.trainingEvents);
          if (data.trainingEvents.type === 'FINISHED') accept(data.trainingEvents);
        }),
      60_000,
      'a FINISHED training event',
    );
    // Let the subscription reach the server before the event it waits for can happen.
    await new Promise((r) => setTimeout(r, 300));
    const ingested = await node.request(IngestDocument, { input: { ...rows(300, 1), batchId: 'sdk-1' } });
    expect(ingested.ingest).toEqual({
      batchId: 'sdk-1',
      duplicate: false,
      rowsStored: 300,
      labelledRows: 300,
      scoredRows: 0,
      batchAccuracy: null,
      modelVersion: null,
    });
    const done = await finished;
    expect(done).toMatchObject({ type: 'FINISHED', version: 1, outcome: 'PROMOTED' });
    expect(events.map((e) => e.type)).toContain('STARTED');
    expect(events.at(-1)?.job?.status).toBe('SUCCEEDED');

    // The server swaps the model in on the promotion notice, a moment after the event.
    const features = [
      [0.9, 0.9, 0.5],
      [0.05, 0.05, 0.5],
    ];
    let prediction: PredictMutation | ApiError = await node
      .request(PredictDocument, { input: { features } })
      .catch((e) => e);
    for (let i = 0; prediction instanceof ApiError && prediction.code === 'MODEL_NOT_READY' && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      prediction = await node.request(PredictDocument, { input: { features } }).catch((e) => e);
    }
    if (prediction instanceof ApiError) throw prediction;
    expect(prediction.predict.modelVersion).toBe(1);
    expect(prediction.predict.predictions.map((x) => x.label)).toEqual([1, 0]);
  });

  it('apollo client: query over HTTP, mutation, subscription over the WebSocket', async () => {
    const active = await apollo.query({ query: ActiveModelDocument, fetchPolicy: 'network-only' });
    expect(active.data?.activeModel).toMatchObject({
      version: 1,
      status: 'PRODUCTION',
      serving: true,
      nFeatures: 3,
    });

    const stats = waitFor<number>(
      (accept) => {
        const sub = apollo.subscribe({ query: StatsUpdatedDocument }).subscribe({
          next: (result) => {
            const total = result.data?.statsUpdated.rowsIngested ?? 0;
            if (total >= 400) accept(total);
          },
        });
        return () => sub.unsubscribe();
      },
      30_000,
      'statsUpdated with 400 rows',
    );
    await new Promise((r) => setTimeout(r, 300));
    const ingested = await apollo.mutate({
      mutation: IngestDocument,
      variables: { input: { ...rows(100, 2), batchId: 'sdk-2' } },
    });
    expect(ingested.data?.ingest).toMatchObject({ rowsStored: 100, scoredRows: 100, modelVersion: 1 });
    expect(await stats).toBe(400);

    const failed = await apollo
      .mutate({ mutation: PredictDocument, variables: { input: { features: [[1, 2]] } } })
      .catch((e) => e);
    expect(failed.name).toBe('CombinedGraphQLErrors');
  });

  it('both clients keep their subscriptions through a server restart on the same port', async () => {
    const nodeEvents: string[] = [];
    const apolloEvents: string[] = [];
    const stopNode = node.subscribe(TrainingEventsDocument, {}, (d) =>
      nodeEvents.push(d.trainingEvents.type),
    );
    const apolloSub = apollo.subscribe({ query: TrainingEventsDocument }).subscribe({
      next: (r) => r.data && apolloEvents.push(r.data.trainingEvents.type),
    });
    await new Promise((r) => setTimeout(r, 300));

    // Count WebSocket (re)connections: each client must connect again after the restart.
    const connections = { node: 0, apollo: 0 };
    const offNode = node.ws.on('connected', () => connections.node++);
    const offApollo = apollo.ws.on('connected', () => connections.apollo++);

    // Restart: same database, same port; the clients are not told anything.
    const port = p.server.port;
    const database = p.database;
    await p.server.stop(5_000);
    const restarted = await startTestPlatform(
      inject('postgresUrl'),
      { MIN_TRAIN_ROWS: '200', WINDOW_SIZE: '200', N_ESTIMATORS: '10' },
      { database, port },
    );
    p = {
      ...restarted,
      stop: async () => {
        await restarted.stop();
        await database.drop();
      },
    };
    expect(restarted.server.port).toBe(port);
    const reconnectDeadline = Date.now() + 30_000;
    while ((connections.node === 0 || connections.apollo === 0) && Date.now() < reconnectDeadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    offNode();
    offApollo();
    expect(connections).toEqual({ node: 1, apollo: 1 });
    // The re-sent subscribe messages follow the connection acknowledgement.
    await new Promise((r) => setTimeout(r, 300));

    // HTTP needs nothing special; the WebSockets must have reconnected and re-subscribed.
    const retrain = await node.request(RetrainDocument, { reason: 'sdk reconnect test' });
    expect(retrain.retrain.alreadyPending).toBe(false);
    const deadline = Date.now() + 60_000;
    while (
      (!nodeEvents.includes('FINISHED') || !apolloEvents.includes('FINISHED')) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 200));
    }
    stopNode();
    apolloSub.unsubscribe();
    expect(nodeEvents).toContain('FINISHED');
    expect(apolloEvents).toContain('FINISHED');
    const stats = await node.request(StatsDocument);
    expect(stats.stats).toMatchObject({ rowsIngested: 400, modelVersions: 2 });
  });
});
