// H3 and M13 (security issue #19): what one request may make the server hold. The operation name
// a client chooses never becomes a metric label of its own; the query text is capped for every
// role; a reader's body is capped small, before it is read; a writer's large body is for bulk
// writes (ingest, predict, feedback), not for reads. Also L3, L6 and L7: malformed `beforeId`,
// introspection by readers in production, and wide selection sets.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KNOWN_OPERATION_NAMES } from '../../src/operation-names.ts';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { createKey, INGEST, labelledBatch, postGraphQL, rawRequest, repoRoot } from './harness.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const LIMITS = {
  WORKERS: 'false',
  METRICS_TOKEN,
  GRAPHQL_MAX_DOCUMENT_BYTES: '4096',
  READER_BODY_LIMIT_BYTES: '16384',
  BODY_LIMIT_BYTES: '1048576',
  GRAPHQL_MAX_SELECTIONS: '50',
  MAX_BATCH_ROWS: '20000',
};

it("the known operation names are the SDK documents' (copy the list printed here when they change)", () => {
  const dir = path.join(repoRoot, 'packages/sdk/src/documents');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .flatMap((f) => parse(readFileSync(path.join(dir, f), 'utf8')).definitions)
    .flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []))
    .sort();
  expect(KNOWN_OPERATION_NAMES, `KNOWN_OPERATION_NAMES = ${JSON.stringify(names)}`).toEqual(names);
});

describe('what a request may make the server hold', () => {
  let p: TestPlatform;
  let prod: TestPlatform;
  let reader: string;
  let writer: string;

  beforeAll(async () => {
    [p, prod] = await Promise.all([
      startTestPlatform(inject('postgresUrl'), LIMITS),
      startTestPlatform(inject('postgresUrl'), { ...LIMITS, NODE_ENV: 'production' }),
    ]);
    reader = await createKey(p.database.sql, 'reader');
    writer = await createKey(p.database.sql, 'writer');
  });
  afterAll(async () => {
    await Promise.all([p?.stop(), prod?.stop()]);
  });

  const scrape = async (platform = p) => {
    const response = await fetch(`${platform.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    return response.text();
  };
  const operationSeries = (metrics: string) =>
    metrics.split('\n').filter((line) => line.startsWith('automl_graphql_operations_total{'));

  it('labels operations by known SDK operation names only; any other name is "other"', async () => {
    const random = Array.from({ length: 3 }, (_, i) => `Q${i}${'x'.repeat(1_000)}${Date.now()}`);
    for (const name of random) {
      const r = await postGraphQL(p.graphqlUrl, `query ${name} { __typename }`, {}, reader);
      expect(r.data).toEqual({ __typename: 'Query' });
    }
    const stats = await postGraphQL(p.graphqlUrl, 'query Stats { stats { rowsIngested } }', {}, reader);
    expect(stats.errors).toBeUndefined();
    const series = operationSeries(await scrape());
    for (const name of random) expect(series.join('\n')).not.toContain(name.slice(0, 20));
    expect(series).toContain('automl_graphql_operations_total{type="query",name="other",outcome="ok"} 3');
    expect(series).toContain('automl_graphql_operations_total{type="query",name="Stats",outcome="ok"} 1');
    // The label set stays the SDK's operations plus "other" and "anonymous", however many names arrive.
    for (const line of series) expect(line).toMatch(/name="([A-Z][A-Za-z]+|other|anonymous)"/);
  });

  it('refuses a query text over GRAPHQL_MAX_DOCUMENT_BYTES with 413 QUERY_TOO_LARGE, for every role', async () => {
    const padded = (n: number) => `{ __typename } #${'c'.repeat(n)}`;
    for (const key of [reader, writer, p.adminKey!]) {
      const within = await postGraphQL(p.graphqlUrl, padded(4_000), {}, key);
      expect(within.data).toEqual({ __typename: 'Query' });
      const over = await postGraphQL(p.graphqlUrl, padded(4_100), {}, key);
      expect(over.status).toBe(413);
      expect(over.errors).toEqual([
        {
          message: `the GraphQL document is ${padded(4_100).length} bytes; the limit is 4096 (GRAPHQL_MAX_DOCUMENT_BYTES): send data as variables, not in the query`,
          extensions: { code: 'QUERY_TOO_LARGE' },
        },
      ]);
    }
  });

  it("caps a reader's body at READER_BODY_LIMIT_BYTES before reading it (declared or chunked)", async () => {
    const body = JSON.stringify({
      query: 'query($t: [String!]) { events(types: $t, limit: 1) { id } }',
      variables: { t: Array(4_000).fill('xxxxxxxx') },
    });
    expect(body.length).toBeGreaterThan(16_384);
    const headers = { authorization: `Bearer ${reader}`, 'content-type': 'application/json' };
    const declared = await fetch(p.graphqlUrl, { method: 'POST', headers, body });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({
      errors: [
        {
          message: `the body is ${body.length} bytes; the limit for reader keys is 16384 (READER_BODY_LIMIT_BYTES): readers send queries, not data`,
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
    const chunked = await rawRequest(p.graphqlUrl, {
      headers,
      pieces: Array.from({ length: 8 }, (_, i) => body.slice(i * 5_000, (i + 1) * 5_000)),
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    // The same body from a writer is read (up to BODY_LIMIT_BYTES) but is not a bulk write: refused
    // before its variables are coerced or anything runs.
    const asWriter = await fetch(p.graphqlUrl, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${writer}` },
      body,
    });
    expect(asWriter.status).toBe(413);
    expect(await asWriter.json()).toEqual({
      errors: [
        {
          message: `the body is ${body.length} bytes; only ingest, predict and submitFeedback may send more than 16384 (READER_BODY_LIMIT_BYTES)`,
          extensions: { code: 'PAYLOAD_TOO_LARGE' },
        },
      ],
    });
  });

  it('still takes large bulk writes from writers, over GraphQL and REST', async () => {
    const batch = labelledBatch(2_000, 3);
    const big = { input: { ...batch, batchId: 'bulk-1' } };
    expect(JSON.stringify(big).length).toBeGreaterThan(16_384);
    const r = await postGraphQL(p.graphqlUrl, INGEST, big, writer);
    expect(r.data).toMatchObject({ ingest: { rowsStored: 2_000 } });
    const rest = await fetch(`${p.url}/ingest/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...labelledBatch(2_000, 4), batch_id: 'bulk-rest' }),
    });
    expect(rest.status).toBe(200);
    // A reader on the REST write routes is refused on its role, without the body being read.
    const byReader = await fetch(`${p.url}/ingest/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...labelledBatch(2_000, 5), batch_id: 'bulk-reader' }),
    });
    expect(byReader.status).toBe(403);
  });

  it('refuses selection sets wider than GRAPHQL_MAX_SELECTIONS before validating them (L7)', async () => {
    const wide = (n: number) => `{ ${'__typename '.repeat(n)}}`;
    const ok = await postGraphQL(p.graphqlUrl, wide(50), {}, reader);
    expect(ok.data).toEqual({ __typename: 'Query' });
    const over = await postGraphQL(p.graphqlUrl, wide(51), {}, reader);
    expect(over.errors).toEqual([
      {
        message: 'a selection set has 51 fields; the limit is 50 (GRAPHQL_MAX_SELECTIONS)',
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      },
    ]);
  });

  it('refuses a fractional or huge events(beforeId) with BAD_USER_INPUT (L3)', async () => {
    for (const beforeId of [1.5, 1e21, -3]) {
      const r = await postGraphQL(
        p.graphqlUrl,
        'query($b: Float) { events(beforeId: $b) { id } }',
        { b: beforeId },
        reader,
      );
      expect(r.errors?.[0]?.extensions?.code, String(beforeId)).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/^beforeId must be a whole event id from 1 to 2\^53/);
    }
    const fine = await postGraphQL<{ events: { id: number }[] }>(
      p.graphqlUrl,
      '{ events(beforeId: 1000000) { id } }',
      {},
      reader,
    );
    expect(fine.errors).toBeUndefined();
    expect(Array.isArray(fine.data?.events)).toBe(true);
  });

  it('in production, refuses introspection to reader keys and keeps it for writers and admins (L6)', async () => {
    const prodReader = await createKey(prod.database.sql, 'reader');
    const prodWriter = await createKey(prod.database.sql, 'writer');
    const q = '{ __schema { queryType { name } } }';
    const refused = await postGraphQL(prod.graphqlUrl, q, {}, prodReader);
    expect(refused.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(refused.errors?.[0]?.message).toMatch(/introspection/i);
    const allowed = await postGraphQL(prod.graphqlUrl, q, {}, prodWriter);
    expect(allowed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    // __typename is not introspection.
    expect((await postGraphQL(prod.graphqlUrl, '{ __typename }', {}, prodReader)).data).toEqual({
      __typename: 'Query',
    });
    // Development keeps it for everyone (GraphiQL).
    expect((await postGraphQL(p.graphqlUrl, q, {}, reader)).data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });
  });
});
