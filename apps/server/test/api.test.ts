import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { printSchemaFile, schemaFilePath } from '../src/schema-file.ts';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';

const INGEST = `mutation Ingest($input: IngestInput!) {
  ingest(input: $input) { batchId duplicate rowsStored labelledRows scoredRows batchAccuracy modelVersion }
}`;
const PREDICT = `mutation Predict($input: PredictInput!) {
  predict(input: $input) { modelVersion predictions { id label probabilities modelVersion } }
}`;

/** A learnable rule over 3 features: class = x0 + x1 > 1. */
function batch(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  const labels = features.map((f) => (f[0]! + f[1]! > 1 ? 1 : 0));
  return { features, labels };
}

const METRICS_TOKEN = 'api-test-metrics-token-0123456789';

describe('GraphQL API', () => {
  let p: TestPlatform;
  const count = async (table: string) => {
    const [row] = await p.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    return (row as unknown as { n: number }).n;
  };
  const call = (query: string, variables: Record<string, unknown> = {}) =>
    gql(p.graphqlUrl, query, variables, p.adminKey);

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MAX_BATCH_ROWS: '500',
      MIN_TRAIN_ROWS: '200',
      METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('commits the printed schema (run `pnpm schema:print` when this fails)', () => {
    expect(readFileSync(schemaFilePath, 'utf8')).toBe(printSchemaFile());
  });

  it('answers /health, /ready and /metrics', async () => {
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
    const ready = await fetch(`${p.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { database: true, pendingMigrations: 0, queues: true },
    });
    const metrics = await (
      await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(metrics).toContain('automl_predictions_served_total');
    expect(metrics).toContain('automl_active_model_version 0');
  });

  it('says MODEL_NOT_READY before the first model', async () => {
    const r = await call(PREDICT, { input: { features: [[0.1, 0.2, 0.3]] } });
    expect(r.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');
    expect(r.errors?.[0]?.message).toMatch(/MIN_TRAIN_ROWS/);
    expect(await count('predictions')).toBe(0);
  });

  it('stores a batch whole, recognises a re-sent batch id, and fixes the feature count', async () => {
    const { features, labels } = batch(300, 1);
    const first = await call(INGEST, { input: { features, labels, batchId: 'batch-001' } });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({
      ingest: {
        batchId: 'batch-001',
        duplicate: false,
        rowsStored: 300,
        labelledRows: 300,
        scoredRows: 0,
        batchAccuracy: null,
        modelVersion: null,
      },
    });
    const again = await call(INGEST, { input: { features, labels, batchId: 'batch-001' } });
    expect(again.data).toMatchObject({ ingest: { duplicate: true, rowsStored: 0 } });
    expect(await count('rows')).toBe(300);
    expect(await count('batches')).toBe(1);

    const wrongWidth = await call(INGEST, { input: { features: [[1, 2]], batchId: 'batch-002' } });
    expect(wrongWidth.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongWidth.errors?.[0]?.message).toBe(
      'features[0] has 2 values; this platform takes 3 features per row',
    );
  });

  it.each([
    [
      'ragged rows',
      {
        features: [
          [1, 2, 3],
          [1, 2],
        ],
      },
      /features\[1\] has 2 values/,
    ],
    [
      'labels of another length',
      { features: [[1, 2, 3]], labels: [0, 1] },
      /labels has 2 entries but there are 1 rows/,
    ],
    ['negative labels', { features: [[1, 2, 3]], labels: [-1] }, /labels\[0\] is -1/],
    ['an empty batch', { features: [] }, /features is empty/],
    ['an empty row', { features: [[]] }, /features\[0\] is empty/],
    [
      'an oversized batch',
      { features: Array.from({ length: 501 }, () => [1, 2, 3]) },
      /501 rows; the limit is 500/,
    ],
    ['a bad batch id', { features: [[1, 2, 3]], batchId: 'has spaces in it' }, /batchId must be/],
  ])('rejects %s with BAD_USER_INPUT and stores nothing', async (_name, input, message) => {
    const before = await count('rows');
    const r = await call(INGEST, { input });
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(await count('rows')).toBe(before);
  });

  it('rejects values GraphQL cannot carry (strings, fractions as labels) with BAD_USER_INPUT', async () => {
    const before = await count('rows');
    const strings = await call(INGEST, { input: { features: [['NaN', 1, 2]] } });
    expect(strings.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const fraction = await call(INGEST, { input: { features: [[1, 2, 3]], labels: [1.5] } });
    expect(fraction.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await count('rows')).toBe(before);
  });

  it('trains, then predicts with ids and probabilities stored before the answer', async () => {
    const { job } = await p.server.platform.drift.requestRetrain('test');
    const result = await p.server.platform.retrain.run(job.id);
    expect(result.promoted).toBe(true);
    expect(result.version?.version).toBe(1);
    await p.server.platform.holder.refresh();

    const rows = [
      [0.9, 0.9, 0.5],
      [0.05, 0.1, 0.5],
    ];
    const r = await call(PREDICT, { input: { features: rows } });
    expect(r.errors).toBeUndefined();
    const predict = (
      r.data as {
        predict: {
          modelVersion: number;
          predictions: { id: string; label: number; probabilities: number[] }[];
        };
      }
    ).predict;
    expect(predict.modelVersion).toBe(1);
    expect(predict.predictions.map((x) => x.label)).toEqual([1, 0]);
    for (const x of predict.predictions) expect(x.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const stored = await p.database.sql<{ id: string; label: number; model_version: number }[]>`
      select id, label, model_version from predictions order by id`;
    expect(stored.map((s) => String(s.id))).toEqual(predict.predictions.map((x) => x.id));
    expect(stored.map((s) => s.label)).toEqual([1, 0]);

    // Labelled rows are now scored by version 1 before they are stored (test-then-train).
    const more = batch(100, 7);
    const scored = await call(INGEST, { input: { ...more, batchId: 'batch-003' } });
    expect(scored.data).toMatchObject({ ingest: { scoredRows: 100, modelVersion: 1 } });
    expect((scored.data as { ingest: { batchAccuracy: number } }).ingest.batchAccuracy).toBeGreaterThan(0.85);

    const feedback = await call(
      `mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated } }`,
      { input: { predictionIds: predict.predictions.map((x) => x.id), labels: [1, 1] } },
    );
    expect(feedback.data).toEqual({ submitFeedback: { updated: 2 } });
    const unknown = await call(
      `mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated } }`,
      {
        input: { predictionIds: ['999999'], labels: [1] },
      },
    );
    expect(unknown.errors?.[0]).toMatchObject({
      message: 'no prediction with id 999999',
      extensions: { code: 'BAD_USER_INPUT' },
    });

    const stats = await call(
      '{ stats { predictionsTotal rowsIngested labelledRows feedbackReceived activeModelVersion modelVersions } }',
    );
    expect(stats.data).toEqual({
      stats: {
        predictionsTotal: 2,
        rowsIngested: 400,
        labelledRows: 400,
        feedbackReceived: 2,
        activeModelVersion: 1,
        modelVersions: 1,
      },
    });
  });

  it('serves the REST routes of the original pipeline over the same services', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${p.adminKey}` };
    const ingest = await fetch(`${p.url}/ingest/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        features: [
          [0.2, 0.3, 0.4],
          [0.8, 0.9, 0.1],
        ],
        labels: [0, 1],
        batch_id: 'rest-001',
      }),
    });
    expect(ingest.status).toBe(200);
    expect(await ingest.json()).toMatchObject({
      status: 'success',
      batch_id: 'rest-001',
      rows_stored: 2,
      duplicate: false,
    });
    const dup = await fetch(`${p.url}/ingest/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ features: [[0.2, 0.3, 0.4]], labels: [0], batch_id: 'rest-001' }),
    });
    expect(await dup.json()).toMatchObject({ status: 'duplicate', rows_stored: 0 });

    const predict = await fetch(`${p.url}/predict`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ features: [[0.95, 0.9, 0.3]] }),
    });
    expect(predict.status).toBe(200);
    const body = (await predict.json()) as {
      predictions: number[];
      probabilities: number[][];
      model_version: number;
    };
    expect(body.predictions).toEqual([1]);
    expect(body.model_version).toBe(1);

    const bad = await fetch(`${p.url}/ingest/batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ features: [[1, 'x', 3]] }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: 'BAD_USER_INPUT',
        message: 'features[0][1] is the string "x": every feature value must be a finite number',
        row: 0,
        column: 1,
      },
    });
    const malformed = await fetch(`${p.url}/predict`, {
      method: 'POST',
      headers,
      body: '{"features": [[1,2',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toBe(
      'the body is not valid JSON',
    );
  });

  it('stores positional rows whose label is null without a class, beside the labelled ones', async () => {
    // Before, GraphQL refused a null label ("Expected non-nullable type Int!").
    const rows = batch(3, 21);
    const r = await call(INGEST, {
      input: {
        features: rows.features,
        labels: [rows.labels[0], null, rows.labels[2]],
        batchId: 'half-known',
      },
    });
    expect(r.errors).toBeUndefined();
    expect(r.data).toMatchObject({ ingest: { rowsStored: 3, labelledRows: 2, scoredRows: 2 } });
    const stored = await p.database.sql<{ label: number | null; scored: boolean }[]>`
      select r.label, r.scored_label is not null as scored from rows r join batches b on b.id = r.batch_pk
      where b.batch_id = 'half-known' order by r.id`;
    expect(stored.map((s) => s.label)).toEqual([rows.labels[0], null, rows.labels[2]]);
    // Scored as the labelled rows of any batch are; the row without a class as an unlabelled batch's.
    expect(stored.map((s) => s.scored)).toEqual([true, false, true]);
    const none = await call(INGEST, { input: { features: rows.features, labels: [null, null, null] } });
    expect(none.data).toMatchObject({ ingest: { rowsStored: 3, labelledRows: 0, scoredRows: 0 } });
  });
});
