import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServerApp, type ServerApp } from '../src/app.ts';
import { startTestPlatform, type TestPlatform } from '../src/testing.ts';
import { labelledBatch, waitFor } from './hardening/harness.ts';

/** The SDK's committed documents: what clients send. */
const SDK_DATA = readFileSync(
  new URL('../../../packages/sdk/src/documents/data.graphql', import.meta.url),
  'utf8',
);
const operation = (name: string) => {
  const start = SDK_DATA.indexOf(`mutation ${name}(`);
  const end = SDK_DATA.indexOf('\n}\n', start);
  return SDK_DATA.slice(start, end + 2);
};
const PREDICT = operation('Predict');
const INGEST = operation('Ingest');
const FEEDBACK = operation('SubmitFeedback');
const TWO_OPERATIONS = `query Model { activeModel { version } }
mutation Score($input: PredictInput!) { predict(input: $input) { predictions { label } } }`;
const ALIASED = `mutation Both($a: PredictInput!, $b: PredictInput!) {
  first: predict(input: $a) { predictions { label probabilities } }
  second: predict(input: $b) { modelVersion }
}`;

type Variables = Record<string, unknown> | null | undefined;
interface Case {
  name: string;
  query: string;
  /** Called once per request, so batches can be fresh each time. */
  variables: () => Variables;
  operationName?: string | null;
  headers?: Record<string, string>;
  key?: 'admin' | 'reader';
  /** Answered without the executor (direct-predict.ts). */
  direct?: boolean;
}

/** Headers that differ between any two answers (time, connection, ids, the body's length). */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'content-length']);

/** Ids the server generates differ between two calls; everything else must be equal. */
function normalise(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  }
  if ((key === 'id' || key === 'batchId') && value !== null) return '<id>';
  return value;
}

/**
 * The fast path (fast-operations.ts) answers the row-carrying mutations without Yoga's pipeline.
 * Each request below is sent to two servers on the same platform — one with the fast path, one
 * without — and the answers must match: status, headers, body (ids aside), byte for byte in key
 * order. The fast server sees each document first once (Yoga admits it, the fast path learns it),
 * then answers the same request itself.
 */
describe('row-carrying mutations without Yoga answer as Yoga does', () => {
  let p: TestPlatform;
  let plain: ServerApp;
  let plainUrl: string;
  let fastApp: ServerApp;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '200', MAX_BATCH_ROWS: '500' });
    fastApp = p.server.app;
    plain = createServerApp({ platform: p.server.platform, fastOperations: false });
    plainUrl = `http://127.0.0.1:${await plain.listen(0, '127.0.0.1')}/graphql`;
    keys.admin = p.adminKey!;
    keys.reader = (await p.server.platform.apiKeys.create('reader', 'reader')).key;
  }, 60_000);
  afterAll(async () => {
    await plain?.close(2_000);
    await p?.stop();
  });

  async function post(url: string, c: Case) {
    const body: Record<string, unknown> = { query: c.query, variables: c.variables() };
    if (c.operationName !== undefined) body.operationName = c.operationName;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${keys[c.key ?? 'admin']}`,
        ...c.headers,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const headers = Object.fromEntries([...response.headers].filter(([k]) => !VARYING.has(k)));
    const length = response.headers.get('content-length');
    if (length !== null) expect(Number(length)).toBe(Buffer.byteLength(text));
    if (!(response.headers.get('content-type') ?? '').includes('json'))
      return { status: response.status, headers, body: text, keys: [] };
    return { status: response.status, headers, body: normalise(JSON.parse(text)), keys: keyOrder(text) };
  }

  /** Sends the case to both servers; returns both answers and whether the fast path answered. */
  async function compare(c: Case) {
    await post(p.graphqlUrl, c); // Yoga admits the document; the fast path learns it
    const before = fastApp.fast!.answered;
    const beforeDirect = fastApp.fast!.answeredDirect;
    const yoga = await post(plainUrl, c);
    const fast = await post(p.graphqlUrl, c);
    return {
      yoga,
      fast,
      answeredFast: fastApp.fast!.answered - before,
      answeredDirect: fastApp.fast!.answeredDirect - beforeDirect,
    };
  }

  const expectSame = async (c: Case) => {
    const { yoga, fast, answeredFast, answeredDirect } = await compare(c);
    expect(answeredFast, `${c.name}: answered by the fast path`).toBe(1);
    expect(answeredDirect, `${c.name}: answered without the executor`).toBe(c.direct ? 1 : 0);
    expect(fast, c.name).toEqual(yoga);
    return yoga;
  };

  const row = [0.2, 0.9, 0.1];
  it('answers MODEL_NOT_READY as Yoga does before the first model', async () => {
    const answer = await expectSame({
      direct: true,
      name: 'predict before a model',
      query: PREDICT,
      variables: () => ({ input: { features: [row] } }),
    });
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'MODEL_NOT_READY' } }] });
  });

  it('answers ingest, predict and feedback, and their refusals, as Yoga does', async () => {
    let seed = 1;
    const ingested = await expectSame({
      direct: true,
      name: 'ingest a labelled batch',
      query: INGEST,
      variables: () => ({ input: labelledBatch(150, seed++) }),
    });
    expect(ingested).toMatchObject({ status: 200, body: { data: { ingest: { rowsStored: 150 } } } });
    await waitFor(
      async () => {
        const r = await post(p.graphqlUrl, {
          name: 'model',
          query: '{ activeModel { version } }',
          variables: () => ({}),
        });
        return (
          (r.body as { data?: { activeModel: { version: number } | null } }).data?.activeModel ?? undefined
        );
      },
      'the first model',
      60_000,
    );

    const cases: Case[] = [
      {
        direct: true,
        name: 'predict one row',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
      },
      {
        direct: true,
        name: 'predict rows with null pipeline',
        query: PREDICT,
        variables: () => ({ pipeline: null, input: { features: [row, [0.9, 0.9, 0.5]] } }),
      },
      {
        direct: true,
        name: 'a row of the wrong width',
        query: PREDICT,
        variables: () => ({ input: { features: [[1, 2]] } }),
      },
      {
        name: 'a string for a number',
        query: PREDICT,
        variables: () => ({ input: { features: [['a', 1, 2]] } }),
      },
      { name: 'no input', query: PREDICT, variables: () => ({}) },
      { name: 'variables null', query: PREDICT, variables: () => null },
      { name: 'input not an object', query: PREDICT, variables: () => ({ input: 5 }) },
      { name: 'an unknown input field', query: PREDICT, variables: () => ({ input: { rows: [row] } }) },
      {
        direct: true,
        name: 'an unknown pipeline',
        query: PREDICT,
        variables: () => ({ pipeline: 'no-such-pipeline', input: { features: [row] } }),
      },
      {
        direct: true,
        name: 'a NUL byte in the pipeline name',
        query: PREDICT,
        variables: () => ({ pipeline: 'a\u0000b', input: { features: [row] } }),
      },
      {
        direct: true,
        name: 'a feature beyond any float',
        query: INGEST,
        variables: () => ({ input: { features: [[1e308, 1, 2]], labels: [1] } }),
      },
      {
        name: 'a reader predicting',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
        key: 'reader',
      },
      {
        direct: true,
        name: 'a batch of rows',
        query: PREDICT,
        variables: () => ({ input: { features: labelledBatch(300, 7).features } }),
      },
      { direct: true, name: 'no rows', query: PREDICT, variables: () => ({ input: { features: [] } }) },
      { name: 'a missing value', query: PREDICT, variables: () => ({ input: { features: [[null, 1, 2]] } }) },
      { name: 'one flat row', query: PREDICT, variables: () => ({ input: { features: row } }) },
      {
        direct: true,
        name: 'a literal pipeline, aliased fields',
        query:
          'mutation L($input: PredictInput!) { p: predict(pipeline: "default", input: $input) { v: modelVersion } }',
        variables: () => ({ input: { features: [row] } }),
      },
      {
        name: 'a literal input',
        query: 'mutation { predict(input: { features: [[0.5, 0.5, 0.5]] }) { modelVersion } }',
        variables: () => ({}),
      },
      {
        direct: true,
        name: 'aliased prediction fields',
        query:
          'mutation A($input: PredictInput!, $p: String) { out: predict(input: $input, pipeline: $p) { predictions { id l: label className classProbabilities } } }',
        variables: () => ({ input: { features: [row] }, p: 'default' }),
      },
      {
        name: 'a required pipeline sent null',
        query:
          'mutation R($input: PredictInput!, $p: String!) { predict(input: $input, pipeline: $p) { modelVersion } }',
        variables: () => ({ input: { features: [row] }, p: null }),
      },
      {
        name: '__typename',
        query: 'mutation T($input: PredictInput!) { predict(input: $input) { __typename modelVersion } }',
        variables: () => ({ input: { features: [row] } }),
      },
      {
        direct: true,
        name: 'labels of another length',
        query: INGEST,
        variables: () => ({ input: { features: [row, row], labels: [1] } }),
      },
      {
        direct: true,
        name: 'a batch sent again',
        query: INGEST,
        variables: () => ({ input: { ...labelledBatch(3, 99), batchId: 'sent-again' } }),
      },
      {
        direct: true,
        name: 'ingest without labels, into a named pipeline',
        query: INGEST,
        variables: () => ({ pipeline: 'default', input: { features: [row, row] } }),
      },
      {
        direct: true,
        name: 'ingest with class names',
        query: INGEST,
        variables: () => ({ input: { features: [row], labelNames: ['1'] } }),
      },
      {
        name: 'ingest with a fractional label',
        query: INGEST,
        variables: () => ({ input: { features: [row], labels: [0.5] } }),
      },
      {
        name: 'ingest with a label past 32 bits',
        query: INGEST,
        variables: () => ({ input: { features: [row], labels: [2 ** 31] } }),
      },
      {
        direct: true,
        name: 'ingest with a label out of range',
        query: INGEST,
        variables: () => ({ input: { features: [row], labels: [7] } }),
      },
      {
        direct: true,
        name: 'predict records',
        query: PREDICT,
        variables: () => ({ input: { records: [{ x0: 0.2, x1: 0.9, x2: 0.1 }] } }),
      },
      {
        direct: true,
        name: 'ingest records with a label column',
        query: INGEST,
        variables: () => ({ input: { records: [{ x0: 0.2, x1: 0.9, x2: 0.1, y: 1 }], labelColumn: 'y' } }),
      },
      {
        direct: true,
        name: 'both features and records',
        query: PREDICT,
        variables: () => ({ input: { features: [row], records: [{ x0: 1 }] } }),
      },
      { name: 'a null record', query: PREDICT, variables: () => ({ input: { records: [null] } }) },
      {
        name: 'feedback for an unknown prediction',
        query: FEEDBACK,
        variables: () => ({ input: { labels: [{ predictionId: 999999999, label: 1 }] } }),
      },
      {
        direct: true,
        name: 'two operations, one chosen',
        query: TWO_OPERATIONS,
        operationName: 'Score',
        variables: () => ({ input: { features: [row] } }),
      },
      {
        name: 'aliases',
        query: ALIASED,
        variables: () => ({ a: { features: [row] }, b: { features: [[0, 0, 0]] } }),
      },
      {
        direct: true,
        name: 'graphql-response+json with a refusal',
        query: PREDICT,
        variables: () => ({ input: { features: [[1]] } }),
        headers: { accept: 'application/graphql-response+json' },
      },
      {
        name: 'graphql-response+json with bad variables',
        query: PREDICT,
        variables: () => ({ input: 'x' }),
        headers: { accept: 'application/graphql-response+json' },
      },
      {
        direct: true,
        name: 'application/json',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
        headers: { accept: 'application/json' },
      },
      {
        direct: true,
        name: '*/*',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
        headers: { accept: '*/*' },
      },
    ];
    const answers = [];
    for (const c of cases) answers.push({ name: c.name, ...(await expectSame(c)) });
    // The cases reach past the happy path: refusals of each kind, and one unexpected error.
    const codes = answers.map(
      (a) => (a.body as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code,
    );
    expect(new Set(codes)).toEqual(new Set([undefined, 'BAD_USER_INPUT', 'NOT_FOUND', 'FORBIDDEN']));
  }, 120_000);

  it('counts the operations it answers in the server metrics, as Yoga does', async () => {
    const counted = async (outcome: 'ok' | 'error') => {
      const metric = await fastApp.metrics.graphqlOperations.get();
      const sample = metric.values.find(
        (v) => v.labels.name === 'Predict' && v.labels.type === 'mutation' && v.labels.outcome === outcome,
      );
      return sample?.value ?? 0;
    };
    const ok = { name: 'predict', query: PREDICT, variables: () => ({ input: { features: [row] } }) };
    const bad = { name: 'refused', query: PREDICT, variables: () => ({ input: { features: [[1]] } }) };
    await post(p.graphqlUrl, ok);
    const [okBefore, errorBefore, answered] = [
      await counted('ok'),
      await counted('error'),
      fastApp.fast!.answered,
    ];
    for (let i = 0; i < 3; i++) await post(p.graphqlUrl, ok);
    await post(p.graphqlUrl, bad);
    expect(fastApp.fast!.answered - answered).toBe(4);
    expect(await counted('ok')).toBe(okBefore + 3);
    expect(await counted('error')).toBe(errorBefore + 1);
  });

  it('leaves to Yoga what it does not answer, and Yoga answers it', async () => {
    const declined: Case[] = [
      {
        name: 'a browser request (CORS)',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
        headers: { origin: 'http://127.0.0.1:1' },
      },
      {
        name: 'a query',
        query: 'query Model { activeModel { version } }',
        variables: () => ({}),
      },
      {
        name: 'another media type',
        query: PREDICT,
        variables: () => ({ input: { features: [row] } }),
        headers: { accept: 'text/event-stream' },
      },
      {
        name: 'a directive',
        query:
          'mutation P($input: PredictInput!) { predict(input: $input) @include(if: true) { modelVersion } }',
        variables: () => ({ input: { features: [row] } }),
      },
    ];
    for (const c of declined) {
      const { yoga, fast, answeredFast } = await compare(c);
      expect(answeredFast, c.name).toBe(0);
      expect(fast.status, c.name).toBe(yoga.status);
    }
  }, 60_000);
});

/** The keys of every object in a JSON text, in order (toEqual ignores key order). */
function keyOrder(text: string): string[] {
  const keys: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        keys.push(k);
        walk(v);
      }
    }
  };
  walk(JSON.parse(text));
  return keys;
}
