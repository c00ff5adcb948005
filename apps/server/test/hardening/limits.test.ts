// Limits: graphql-armor's five (tuned from configuration, hidden in production), the body limit
// for declared and chunked bodies, MAX_BATCH_ROWS, per-key rate limits, and graphql-ws's
// connection-init timeout and subscription cap. Each limit is shown both ways: just within it
// passes, just past it is refused with a code, and nothing is stored.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import {
  collect,
  createKey,
  INGEST,
  labelledBatch,
  postGraphQL,
  postRest,
  rawRequest,
  waitFor,
  wsClient,
} from './harness.ts';

const LIMITS = {
  GRAPHQL_MAX_DEPTH: '5',
  GRAPHQL_MAX_ALIASES: '3',
  GRAPHQL_MAX_DIRECTIVES: '3',
  GRAPHQL_MAX_TOKENS: '150',
  GRAPHQL_MAX_COST: '100',
  BODY_LIMIT_BYTES: '65536',
  MAX_BATCH_ROWS: '100',
  RATE_LIMIT_PER_MINUTE: '600',
  WS_MAX_SUBSCRIPTIONS: '2',
  WS_CONNECTION_INIT_TIMEOUT_MS: '300',
};

/** Depth d over the introspection types (depth counted by graphql-armor: `{ __type { fields ... } }` is 3). */
const depthQuery = (d: number) =>
  `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(d - 4)}name${' }'.repeat(d - 4)} } } } }`;
const aliasQuery = (n: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `s${i}: stats { rowsIngested }`).join(' ')} }`;
const STATS_FIELDS = ['rowsIngested', 'labelledRows', 'predictionsTotal', 'feedbackReceived'];
const directiveQuery = (n: number) =>
  `{ stats { ${STATS_FIELDS.slice(0, n)
    .map((f) => `${f} @include(if: true)`)
    .join(' ')} } }`;
/** 5 + n tokens; `__schema` is free of cost, so only the token limit applies. */
const tokenQuery = (n: number) => `{ __schema { ${'__typename '.repeat(n)}} }`;
/** Each `models` selection costs 41 by graphql-armor's default weights. */
const MODELS =
  'models { items { metrics { accuracy f1 logLoss holdoutRows } championMetrics { accuracy f1 logLoss holdoutRows } } }';
const costQuery = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `m${i}: ${MODELS}`).join(' ')} }`;

const ARMOR_CASES: [string, (n: number) => string, number, RegExp][] = [
  ['depth', depthQuery, 5, /^Query depth limit of 5 exceeded, found 6 \(GRAPHQL_MAX_DEPTH\)$/],
  ['aliases', aliasQuery, 3, /^Aliases limit of 3 exceeded, found 4 \(GRAPHQL_MAX_ALIASES\)$/],
  ['directives', directiveQuery, 3, /^Directives limit of 3 exceeded, found 4 \(GRAPHQL_MAX_DIRECTIVES\)$/],
  ['tokens', tokenQuery, 145, /^Token limit of 150 exceeded \(GRAPHQL_MAX_TOKENS\)$/],
  ['cost', costQuery, 2, /^Query cost limit of 100 exceeded, found 123 \(GRAPHQL_MAX_COST\)$/i],
];

describe('limits', () => {
  let p: TestPlatform;
  let prod: TestPlatform;
  let rl: TestPlatform;
  const count = async (table: string, platform = p) => {
    const [row] = await platform.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    return (row as unknown as { n: number }).n;
  };

  beforeAll(async () => {
    [p, prod, rl] = await Promise.all([
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', ...LIMITS }),
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', NODE_ENV: 'production', ...LIMITS }),
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', RATE_LIMIT_PER_MINUTE: '30' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([p?.stop(), prod?.stop(), rl?.stop()]);
  });

  it.each(
    ARMOR_CASES,
  )('graphql-armor %s: within the configured limit passes, past it QUERY_TOO_COMPLEX', async (_name, query, within, message) => {
    const key = await createKey(p.database.sql, 'reader');
    const ok = await postGraphQL(p.graphqlUrl, query(within), {}, key);
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toBeTruthy();
    const over = await postGraphQL(p.graphqlUrl, query(within + 1), {}, key);
    expect(over.data ?? null).toBeNull();
    expect(over.errors).toHaveLength(1);
    expect(over.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(over.errors?.[0]?.message).toMatch(message);
  });

  it('in production the same refusals name the setting but not the limit, and suggest no field names', async () => {
    const key = await createKey(prod.database.sql, 'reader');
    for (const [name, query, within] of ARMOR_CASES) {
      const over = await postGraphQL(prod.graphqlUrl, query(within + 1), {}, key);
      expect(over.errors?.[0]?.extensions?.code, name).toBe('QUERY_TOO_COMPLEX');
      expect(over.errors?.[0]?.message, name).toMatch(/^[A-Za-z ]+ limit exceeded \(GRAPHQL_MAX_[A-Z]+\)$/);
      expect(JSON.stringify(over.errors), name).not.toMatch(/\d/);
    }
    const nested = await postGraphQL(
      prod.graphqlUrl,
      `query { ${'a { '.repeat(3000)}b${' }'.repeat(3000)} }`,
      {},
      key,
    );
    expect(nested.errors?.[0]).toEqual({
      message: 'Document nesting limit exceeded (GRAPHQL_MAX_DEPTH)',
      extensions: { code: 'QUERY_TOO_COMPLEX' },
    });
    const typo = await postGraphQL(prod.graphqlUrl, '{ stats { rowsIngestd } }', {}, key);
    expect(typo.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const devTypo = await postGraphQL(
      p.graphqlUrl,
      '{ stats { rowsIngestd } }',
      {},
      await createKey(p.database.sql, 'reader'),
    );
    expect(devTypo.errors?.[0]?.message).toMatch(/Did you mean "rowsIngested"/);
  });

  it('refuses documents nested too deep to parse safely, before parsing, and keeps serving', async () => {
    const key = await createKey(p.database.sql, 'reader');
    // 5,000 levels is past what graphql-js's recursive parser survives (about 1,500) and within the body limit.
    for (const depth of [100, 1_000, 5_000]) {
      const r = await postGraphQL(
        p.graphqlUrl,
        `query { ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`,
        {},
        key,
      );
      expect(r.errors?.[0]).toEqual({
        message: 'Document nesting limit of 64 braces and brackets exceeded (4 × GRAPHQL_MAX_DEPTH)',
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      });
      const list = await postGraphQL(
        p.graphqlUrl,
        `{ events(types: ${'['.repeat(depth)}"x"${']'.repeat(depth)}) { id } }`,
        {},
        key,
      );
      expect(list.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    }
    // Braces inside strings and comments do not count.
    const quoted = await postGraphQL(
      p.graphqlUrl,
      `# ${'{'.repeat(200)}\n{ events(types: ["${'{['.repeat(200)}"]) { id } }`,
      {},
      key,
    );
    expect(quoted.errors).toBeUndefined();
    expect(quoted.data).toEqual({ events: [] });
  });

  it('refuses bodies over BODY_LIMIT_BYTES with 413, declared or chunked, and still reads chunked bodies within it', async () => {
    const key = await createKey(p.database.sql, 'writer');
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const big = JSON.stringify({ query: '{ stats { rowsIngested } }', padding: 'x'.repeat(70_000) });
    for (const route of ['/graphql', '/ingest/batch', '/predict']) {
      const declared = await fetch(`${p.url}${route}`, { method: 'POST', headers: auth, body: big });
      // GraphQL clients get GraphQL errors, REST clients the routes' `{ error }`.
      const shaped = (code: string, message: unknown) =>
        route === '/graphql' ? { errors: [{ message, extensions: { code } }] } : { error: { code, message } };
      expect(declared.status, route).toBe(413);
      expect(await declared.json()).toEqual(
        shaped(
          'PAYLOAD_TOO_LARGE',
          `the body is ${big.length} bytes; the limit is 65536 (BODY_LIMIT_BYTES): send smaller batches`,
        ),
      );
      const pieces = Array.from({ length: 8 }, (_, i) => big.slice(i * 10_000, (i + 1) * 10_000));
      const chunked = await rawRequest(`${p.url}${route}`, { headers: auth, pieces });
      expect(chunked.status, route).toBe(413);
      expect(JSON.parse(chunked.body)).toEqual(
        shaped(
          'PAYLOAD_TOO_LARGE',
          'the body is more than 65536 bytes; the limit is 65536 (BODY_LIMIT_BYTES): send smaller batches',
        ),
      );
    }
    expect(await count('batches')).toBe(0);

    // Chunked bodies within the limit reach both GraphQL and REST intact.
    const batch = labelledBatch(100, 5);
    const gqlBody = JSON.stringify({
      query: INGEST,
      variables: { input: { ...batch, batchId: 'chunked-gql' } },
    });
    const viaGraphQL = await rawRequest(`${p.url}/graphql`, {
      headers: auth,
      pieces: [gqlBody.slice(0, 1000), gqlBody.slice(1000, 5000), gqlBody.slice(5000)],
    });
    expect(JSON.parse(viaGraphQL.body)).toEqual({
      data: { ingest: { batchId: 'chunked-gql', duplicate: false, rowsStored: 100, labelledRows: 100 } },
    });
    const restBody = JSON.stringify({ ...labelledBatch(10, 6), batch_id: 'chunked-rest' });
    const viaRest = await rawRequest(`${p.url}/ingest/batch`, {
      headers: auth,
      pieces: [restBody.slice(0, 100), restBody.slice(100)],
    });
    expect(viaRest.status).toBe(200);
    expect(JSON.parse(viaRest.body)).toMatchObject({ batch_id: 'chunked-rest', rows_stored: 10 });
    expect(await count('rows')).toBe(110);
  });

  it('refuses batches over MAX_BATCH_ROWS with BAD_USER_INPUT and stores none of it', async () => {
    const key = await createKey(p.database.sql, 'writer');
    const before = await count('rows');
    const over = labelledBatch(101, 7);
    const r = await postGraphQL(p.graphqlUrl, INGEST, { input: { ...over, batchId: 'too-many' } }, key);
    expect(r.errors?.[0]).toMatchObject({
      message: 'features has 101 rows; the limit is 100 per request: split the batch',
      extensions: { code: 'BAD_USER_INPUT', rows: 101, limit: 100 },
    });
    const rest = await postRest(`${p.url}/ingest/batch`, { ...over, batch_id: 'too-many-rest' }, key);
    expect(rest.status).toBe(400);
    expect(rest.body).toMatchObject({ error: { code: 'BAD_USER_INPUT', rows: 101, limit: 100 } });
    const feedback = await postGraphQL(
      p.graphqlUrl,
      'mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated } }',
      {
        input: {
          predictionIds: Array.from({ length: 101 }, (_, i) => String(i + 1)),
          labels: Array(101).fill(0),
        },
      },
      key,
    );
    expect(feedback.errors?.[0]?.message).toBe('predictionIds has 101 entries; the limit is 100');
    expect(await count('rows')).toBe(before);
    const within = await postGraphQL(
      p.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(100, 8), batchId: 'just-fits' } },
      key,
    );
    expect(within.data).toMatchObject({ ingest: { rowsStored: 100 } });
  });

  it('rate-limits each key: RATE_LIMITED with retryAfterSeconds (429 + Retry-After), other keys unaffected', async () => {
    // RATE_LIMIT_PER_MINUTE=30: a burst of 3, then one every 2 s; the refusals below all come
    // within a second of the burst, so no token refills in between.
    const limited = await createKey(rl.database.sql, 'writer');
    const other = await createKey(rl.database.sql, 'writer');
    const stats = () => postGraphQL(rl.graphqlUrl, '{ stats { rowsIngested } }', {}, limited);
    for (let i = 0; i < 3; i++) expect((await stats()).status).toBe(200);
    const refusal = await stats();
    expect(refusal.status).toBe(429);
    expect(refusal.headers.get('retry-after')).toBe('2');
    expect(refusal.errors).toEqual([
      {
        message: 'rate limit of 30 requests a minute reached: retry in 2 s',
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 2 },
      },
    ]);
    // Refused before any work: nothing is stored.
    const ingest = await postGraphQL(
      rl.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(5, 9), batchId: 'limited' } },
      limited,
    );
    expect(ingest.status).toBe(429);
    expect(ingest.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const rest = await postRest(
      `${rl.url}/ingest/batch`,
      { ...labelledBatch(5, 9), batch_id: 'limited-rest' },
      limited,
    );
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toBe('2');
    expect(rest.body).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'rate limit of 30 requests a minute reached: retry in 2 s',
        retryAfterSeconds: 2,
      },
    });
    // Over graphql-ws the same key's operations spend the same bucket.
    const ws = wsClient(rl.wsUrl, { authorization: `Bearer ${limited}` });
    const overWs = collect(ws.client, '{ stats { rowsIngested } }');
    await overWs.done;
    expect(overWs.errors).toEqual([
      {
        message: 'rate limit of 30 requests a minute reached: retry in 2 s',
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 2 },
      },
    ]);
    await ws.client.dispose();
    expect(await count('batches', rl)).toBe(0);
    // Another key has its own bucket.
    expect((await postGraphQL(rl.graphqlUrl, '{ stats { rowsIngested } }', {}, other)).status).toBe(200);
    // After Retry-After the key may go on.
    await new Promise((r) => setTimeout(r, 2_100));
    const again = await postGraphQL(
      rl.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(5, 9), batchId: 'later' } },
      limited,
    );
    expect(again.data).toMatchObject({ ingest: { rowsStored: 5 } });
  });

  it('closes a graphql-ws connection that does not initialise within WS_CONNECTION_INIT_TIMEOUT_MS with 4408', async () => {
    const started = Date.now();
    const socket = new WebSocket(p.wsUrl, 'graphql-transport-ws');
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const elapsed = Date.now() - started;
    expect(closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('caps operations per graphql-ws connection at WS_MAX_SUBSCRIPTIONS, freeing a slot on complete', async () => {
    const key = await createKey(p.database.sql, 'reader');
    const ws = wsClient(p.wsUrl, { authorization: `Bearer ${key}` });
    const results: unknown[][] = [[], []];
    const unsubscribe = [0, 1].map((i) =>
      ws.client.subscribe(
        { query: 'subscription { platformEvents { id } }' },
        {
          next: (r) => results[i]!.push(r),
          error: (e) => results[i]!.push(e),
          complete: () => {},
        },
      ),
    );
    // The two subscriptions are registered once the server refuses a third operation (a query
    // accepted before that completes and frees its slot).
    const third = await waitFor(async () => {
      const attempt = collect(ws.client, '{ stats { rowsIngested } }');
      await attempt.done;
      return attempt.errors.length > 0 ? attempt : undefined;
    }, 'the third operation to be refused');
    expect(third.errors).toEqual([
      {
        message: 'at most 2 subscriptions per connection (WS_MAX_SUBSCRIPTIONS)',
        extensions: { code: 'RATE_LIMITED' },
      },
    ]);
    // A refused operation does not free a slot.
    const fourth = collect(ws.client, 'subscription { platformEvents { id } }');
    await fourth.done;
    expect(fourth.errors[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(results).toEqual([[], []]);
    // Completing one frees its slot.
    unsubscribe[0]!();
    const after = await waitFor(async () => {
      const attempt = collect<{ stats: { rowsIngested: number } }>(ws.client, '{ stats { rowsIngested } }');
      await attempt.done;
      return attempt.results[0]?.data ? attempt : undefined;
    }, 'a slot to free up');
    expect(after.results[0]?.data?.stats.rowsIngested).toBeGreaterThanOrEqual(0);
    unsubscribe[1]!();
    await ws.client.dispose();
  });
});
