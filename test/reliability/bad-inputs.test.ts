// The bad input corpus (bad-inputs.json) against a real server process in production mode: every
// case gets its status and error code, stores nothing, and the server answers the next request.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKey,
  createTestDatabase,
  INGEST,
  newApiKey,
  PREDICT,
  rawRequest,
  type ServerProcess,
  spawnServer,
  type TestDatabase,
  trainFirstModel,
} from '../../apps/server/test/hardening/harness.ts';

interface BadInputCase {
  name: string;
  transport: 'graphql' | 'rest';
  route?: string;
  operation?: 'ingest' | 'predict';
  input?: unknown;
  query?: string;
  variables?: Record<string, unknown>;
  raw?: string;
  generate?: { kind: string; [option: string]: unknown };
  contentType?: string;
  chunked?: boolean;
  method?: string;
  key?: 'writer' | 'reader' | 'none' | 'unknown' | 'malformed';
  expect: { status: number; code?: string; message?: string; accepted?: boolean; rows?: number };
}

const corpus = JSON.parse(readFileSync(new URL('./bad-inputs.json', import.meta.url), 'utf8')) as {
  cases: BadInputCase[];
};

/** A JSON body of exactly `bytes` bytes: a valid request padded with a long string. */
function paddedBody(prefix: string, bytes: number): string {
  const open = `${prefix.slice(0, -1)},"padding":"`;
  const close = '"}';
  return open + 'x'.repeat(bytes - open.length - close.length) + close;
}

/** The request body (text) and GraphQL document of a case. */
function bodyOf(c: BadInputCase): { body: string | null; query?: string } {
  const g = c.generate;
  const graphqlBody = (query: string, variables: Record<string, unknown> = {}) =>
    JSON.stringify({ query, variables });
  const document = c.operation === 'predict' ? PREDICT : INGEST;
  if (g) {
    switch (g.kind) {
      case 'rows': {
        const rows = Number(g.rows);
        const width = Number(g.width);
        const features = Array.from({ length: rows }, (_, i) =>
          Array.from({ length: width }, (_, j) => ((i + j) % 7) / 7),
        );
        const labels = features.map((_, i) => i % 2);
        return c.transport === 'graphql'
          ? { body: graphqlBody(document, { input: { features, labels } }) }
          : { body: JSON.stringify({ features, labels }) };
      }
      case 'bytes': {
        const valid =
          c.transport === 'graphql' ? '{"query":"{ stats { rowsIngested } }"}' : '{"features":[[1,2,3]]}';
        return { body: paddedBody(valid, Number(g.bytes)) };
      }
      case 'nestedList': {
        // Written as text: the test's own JSON.stringify would overflow the stack on it.
        const depth = Number(g.depth);
        const features = `[[${'['.repeat(depth)}1${']'.repeat(depth)},1,2]]`;
        return c.transport === 'graphql'
          ? { body: `{"query":${JSON.stringify(document)},"variables":{"input":{"features":${features}}}}` }
          : { body: `{"features":${features}}` };
      }
      case 'nestedSelection': {
        const depth = Number(g.depth);
        const query = `query { ${'a { '.repeat(depth)}b${' }'.repeat(depth)} }`;
        return { body: graphqlBody(query), query };
      }
      case 'aliases': {
        const query = `{ ${Array.from({ length: Number(g.count) }, (_, i) => `a${i}: stats { rowsIngested }`).join(' ')} }`;
        return { body: graphqlBody(query), query };
      }
      case 'fragmentBomb': {
        const levels = Number(g.levels);
        const fragments = Array.from(
          { length: levels },
          (_, i) =>
            `fragment F${i} on Query { stats { rowsIngested } ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : ''} }`,
        );
        const query = `query { ...F0 } ${fragments.join(' ')}`;
        return { body: graphqlBody(query), query };
      }
      case 'tokens': {
        const query = `{ __schema { ${'__typename '.repeat(Number(g.count))}} }`;
        return { body: graphqlBody(query), query };
      }
      default:
        throw new Error(`bad-inputs.json: unknown generator "${g.kind}" in "${c.name}"`);
    }
  }
  if (c.raw !== undefined) return { body: c.raw };
  if (c.transport === 'rest') return { body: JSON.stringify(c.input) };
  if (c.query !== undefined) return { body: graphqlBody(c.query, c.variables), query: c.query };
  return { body: graphqlBody(document, { input: c.input }) };
}

describe('bad input corpus', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  const keys: Record<NonNullable<BadInputCase['key']>, string | null> = {
    writer: null,
    reader: null,
    none: null,
    unknown: newApiKey(),
    malformed: 'not a key at all',
  };
  const counts = async () => {
    const [row] = await db.sql<{ batches: number; rows: number; predictions: number }[]>`
      select (select count(*)::int from batches) as batches, (select count(*)::int from rows) as rows,
             (select count(*)::int from predictions) as predictions`;
    return row!;
  };
  let requests = 0;
  let passed = 0;
  const outcomes: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    server = await spawnServer({
      databaseUrl: db.url,
      env: { NODE_ENV: 'production', WORKERS: 'true', MIN_TRAIN_ROWS: '200', N_ESTIMATORS: '10' },
    });
    await trainFirstModel(server.graphqlUrl, server.adminKey);
    keys.writer = await createKey(db.sql, 'writer');
    keys.reader = await createKey(db.sql, 'reader');
  });
  afterAll(async () => {
    if (server) expect((await server.stop()).code).toBe(0);
    await db?.drop();
    console.log(
      `[reliability] bad inputs: ${corpus.cases.length} cases (${corpus.cases.filter((c) => c.transport === 'graphql').length} GraphQL, ` +
        `${corpus.cases.filter((c) => c.transport === 'rest').length} REST), ${requests} requests including the follow-up checks; ` +
        `${passed} cases passed (status, code, nothing stored, server still answering); codes: ${[...new Set(outcomes)].join(', ')}`,
    );
  });

  it.each(
    corpus.cases.map((c) => [`${c.transport} ${c.route ?? ''}: ${c.name}`.replace(/ {2}/g, ' '), c] as const),
  )('%s', async (_title, c) => {
    const before = await counts();
    const key = keys[c.key ?? 'writer'];
    const headers: Record<string, string> = {
      'content-type': c.contentType ?? 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    };
    const url = `${server.url}${c.transport === 'graphql' ? '/graphql' : c.route}`;
    const { body, query } = bodyOf(c);
    let status: number;
    let text: string;
    requests++;
    if ((c.method ?? 'POST') === 'GET') {
      const response = await fetch(`${url}?query=${encodeURIComponent(query ?? '')}`, {
        headers: { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      });
      status = response.status;
      text = await response.text();
    } else if (c.chunked) {
      const pieces = Array.from({ length: Math.ceil(body!.length / 1_000_000) }, (_, i) =>
        body!.slice(i * 1_000_000, (i + 1) * 1_000_000),
      );
      const answer = await rawRequest(url, { method: c.method ?? 'POST', headers, pieces });
      status = answer.status;
      text = answer.body;
    } else {
      const response = await fetch(url, { method: c.method ?? 'POST', headers, body });
      status = response.status;
      text = await response.text();
    }
    const context = `${c.transport} ${c.route ?? ''} "${c.name}" answered ${status}: ${text.slice(0, 300)}`;
    expect(status, context).toBe(c.expect.status);
    const parsed = JSON.parse(text) as {
      errors?: { message: string; extensions?: { code?: string } }[];
      error?: { code: string; message: string };
    };
    if (c.expect.accepted) {
      expect(parsed.errors ?? parsed.error, context).toBeUndefined();
      const after = await counts();
      expect(after.rows - before.rows, context).toBe(c.expect.rows);
      const [stored] = await db.sql<{ features: number[] }[]>`
          select r.features from rows r join batches b on b.id = r.batch_pk where b.batch_id = 'huge-but-finite'`;
      expect(stored?.features).toEqual([1e150, -1e150, 1]);
      outcomes.push('accepted');
    } else {
      const error = c.transport === 'graphql' ? parsed.errors?.[0] : (parsed.error ?? parsed.errors?.[0]);
      const code = error && ('code' in error ? error.code : error.extensions?.code);
      expect(code, context).toBe(c.expect.code);
      expect(error?.message.length, context).toBeGreaterThan(10);
      if (c.expect.message) expect(error?.message, context).toMatch(new RegExp(c.expect.message));
      if (c.transport === 'graphql') expect((parsed as { data?: unknown }).data ?? null, context).toBeNull();
      expect(await counts(), `${context}: nothing stored`).toEqual(before);
      outcomes.push(String(code));
    }
    // Still serving: health, and a real operation with a real key.
    expect(server.running, `${context}: the server process is still running`).toBe(true);
    requests += 2;
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const next = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.reader}` },
      body: JSON.stringify({ query: '{ stats { rowsIngested } }' }),
    });
    expect(next.status).toBe(200);
    expect(
      ((await next.json()) as { data: { stats: { rowsIngested: number } } }).data.stats.rowsIngested,
    ).toBe((await counts()).rows);
    passed++;
  });
});
