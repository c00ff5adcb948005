// Access control: every way in without a usable key is refused with UNAUTHENTICATED (401), every
// call above the key's role with FORBIDDEN (403 on REST), before anything is stored.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import {
  collect,
  createKey,
  INGEST,
  labelledBatch,
  newApiKey,
  PREDICT,
  postGraphQL,
  postRest,
  spawnServer,
  wsClient,
} from './harness.ts';

describe('access control', () => {
  let p: TestPlatform;
  let writer: string;
  let reader: string;
  const count = async (table: string) => {
    const [row] = await p.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    return (row as unknown as { n: number }).n;
  };
  const stored = async () => ({
    batches: await count('batches'),
    rows: await count('rows'),
    predictions: await count('predictions'),
    trainingJobs: await count('training_jobs'),
    driftChecks: await count('drift_checks'),
  });

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', MIN_TRAIN_ROWS: '50' });
    writer = await createKey(p.database.sql, 'writer');
    reader = await createKey(p.database.sql, 'reader');
  });
  afterAll(async () => {
    await p?.stop();
  });

  const revokedKey = async () => {
    const { key, record } = await p.server.platform.apiKeys.create('soon revoked', 'admin');
    // Accepted first, so the refusal below is the revocation and not a typo.
    expect((await postGraphQL(p.graphqlUrl, '{ stats { rowsIngested } }', {}, key)).status).toBe(200);
    await p.server.platform.apiKeys.revoke({ id: record.id });
    return key;
  };

  it.each([
    ['a missing key', async () => null, /missing API key/],
    ['a malformed key', async () => 'not-a-key', /unknown or revoked API key/],
    ['a key of the wrong shape in a Basic header', async () => 'Basic dXNlcjpwYXNz', /unknown or revoked/],
    ['an unknown key', async () => newApiKey(), /unknown or revoked API key/],
    ['a revoked key', revokedKey, /unknown or revoked API key/],
  ])('refuses %s with 401 UNAUTHENTICATED on GraphQL and REST, storing nothing', async (_name, makeKey, message) => {
    const key = await makeKey();
    const before = await stored();
    const header: Record<string, string> =
      key === null ? {} : { authorization: key.startsWith('Basic') ? key : `Bearer ${key}` };
    const send = (url: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...header },
        body: JSON.stringify(body),
      });

    const batch = labelledBatch(5, 1);
    const ingest = await send(p.graphqlUrl, {
      query: INGEST,
      variables: { input: { ...batch, batchId: 'x' } },
    });
    expect(ingest.status).toBe(401);
    const body = (await ingest.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0]!.message).toMatch(message);

    // Refused before parsing: an invalid document gets 401 too, not a schema hint.
    const invalid = await send(p.graphqlUrl, { query: '{ notAField }' });
    expect(invalid.status).toBe(401);

    const get = await fetch(`${p.graphqlUrl}?query=${encodeURIComponent('{ stats { rowsIngested } }')}`, {
      headers: { accept: 'application/json', ...header },
    });
    expect(get.status).toBe(401);

    for (const route of ['/ingest/batch', '/predict']) {
      const rest = await send(`${p.url}${route}`, { ...batch, batch_id: 'y' });
      expect(rest.status).toBe(401);
      expect(((await rest.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses calls above the key role with FORBIDDEN (403 on REST) before any work', async () => {
    const before = await stored();
    const batch = labelledBatch(60, 2);
    const cases: [string, string, Record<string, unknown>][] = [
      [reader, INGEST, { input: { ...batch, batchId: 'by-reader' } }],
      [reader, PREDICT, { input: { features: batch.features.slice(0, 2) } }],
      [reader, 'mutation { submitFeedback(input: { predictionIds: ["1"], labels: [1] }) { updated } }', {}],
      [reader, 'mutation { checkDrift { __typename } }', {}],
      [writer, 'mutation { retrain(reason: "writer may not") { __typename } }', {}],
      [writer, 'mutation { promoteModel(version: 1) { version } }', {}],
      [writer, 'mutation { rollbackModel { version } }', {}],
    ];
    for (const [key, query, variables] of cases) {
      const r = await postGraphQL(p.graphqlUrl, query, variables, key);
      expect(r.errors?.[0]?.extensions?.code, query).toBe('FORBIDDEN');
      expect(r.errors?.[0]?.message).toMatch(
        /needs the (writer|admin) role; your key "(reader|writer) [0-9a-f]+" has (reader|writer)/,
      );
    }
    for (const route of ['/ingest/batch', '/predict']) {
      const rest = await postRest(`${p.url}${route}`, { ...batch, batch_id: 'rest-by-reader' }, reader);
      expect(rest.status).toBe(403);
      expect(rest.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(await stored()).toEqual(before);

    // The same calls within the role go through: the refusals above were the role, not the call.
    const ok = await postGraphQL(p.graphqlUrl, INGEST, { input: { ...batch, batchId: 'by-writer' } }, writer);
    expect(ok.data).toEqual({
      ingest: { batchId: 'by-writer', duplicate: false, rowsStored: 60, labelledRows: 60 },
    });
    const read = await postGraphQL(p.graphqlUrl, '{ stats { rowsIngested } }', {}, reader);
    expect(read.data).toEqual({ stats: { rowsIngested: 60 } });
  });

  it('over graphql-ws: accepts the key from connectionParams, closes 4403 without one', async () => {
    const good = wsClient(p.wsUrl, { authorization: `Bearer ${reader}` });
    const query = collect<{ stats: { rowsIngested: number } }>(good.client, '{ stats { rowsIngested } }');
    await query.done;
    expect(query.failure).toBeNull();
    expect(query.results[0]?.data?.stats.rowsIngested).toBeGreaterThanOrEqual(0);
    // A reader over the socket is still a reader.
    const forbidden = collect(good.client, INGEST, {
      input: { features: [[1, 2, 3]], batchId: 'ws-reader' },
    });
    await forbidden.done;
    expect(forbidden.results[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await good.client.dispose();

    for (const params of [
      undefined,
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${newApiKey()}` },
    ]) {
      const bad = wsClient(p.wsUrl, params);
      const attempt = collect(bad.client, '{ stats { rowsIngested } }');
      const closed = await bad.closed;
      expect(closed.code).toBe(4403);
      await attempt.done;
      expect(attempt.results).toEqual([]);
      await bad.client.dispose();
    }
    expect(await count('batches')).toBe(1);
  });

  it('with AUTH=off logs a warning at start and lets every call through as admin', async () => {
    const db = await (await import('./harness.ts')).createTestDatabase(inject('postgresUrl'));
    const server = await spawnServer({ databaseUrl: db.url, env: { AUTH: 'off', WORKERS: 'false' } });
    try {
      const warning = server.output
        .join('')
        .split('\n')
        .find((line) => line.includes('AUTH=off'));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning!)).toMatchObject({
        level: 'warn',
        msg: expect.stringMatching(/local experiments only/),
      });
      const r = await postGraphQL(server.graphqlUrl, INGEST, {
        input: { ...labelledBatch(3, 3), batchId: 'open' },
      });
      expect(r.data).toMatchObject({ ingest: { rowsStored: 3 } });
      const admin = await postGraphQL(server.graphqlUrl, 'mutation { rollbackModel { version } }');
      // Allowed through (no FORBIDDEN); it fails only because there is nothing to roll back to.
      expect(admin.errors?.[0]?.extensions?.code).not.toBe('FORBIDDEN');
      expect(admin.errors?.[0]?.extensions?.code).not.toBe('UNAUTHENTICATED');
    } finally {
      expect((await server.stop()).code).toBe(0);
      await db.drop();
    }
  });
});
