// H2 (security issue #19): a revoked key loses what it already has open. A graphql-ws socket
// authenticated before the revocation is closed with 4403 and cannot run another operation; an
// SSE stream ends. The revocation is made the way `automl-stream keys revoke` makes it: from
// another process's connection, so the server's own 5 s cache of the key is not cleared for it.
import { ApiKeys } from '@automl-stream/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { sseSubscribe } from '../live-clients.ts';
import { collect, createDb, type DbHandle, postGraphQL, wsClient } from './harness.ts';

describe('revocation reaches open connections', () => {
  let p: TestPlatform;
  /** Another connection pool to the same database: the CLI's, in effect. */
  let cli: DbHandle;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false' });
    cli = createDb(p.database.url);
  });
  afterAll(async () => {
    await cli?.close();
    await p?.stop();
  });

  const newKey = (role: 'admin' | 'reader') => new ApiKeys(cli.sql).create(`revocable ${role}`, role);

  it('closes a graphql-ws socket with 4403 within seconds of `keys revoke`, mutations included', async () => {
    const { key, record } = await newKey('admin');
    const ws = wsClient(p.wsUrl, { authorization: `Bearer ${key}` });
    const before = collect<{ stats: { rowsIngested: number } }>(ws.client, '{ stats { rowsIngested } }');
    await before.done;
    expect(before.results[0]?.data?.stats.rowsIngested).toBe(0);
    // The key is in the server's cache now; revoke it from the other connection.
    await new ApiKeys(cli.sql).revoke({ id: record.id });
    const revokedAt = Date.now();
    const closed = await Promise.race([
      ws.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 8_000)),
    ]);
    expect(closed).toEqual({ code: 4403, reason: 'API key revoked' });
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    await ws.client.dispose();
  });

  it('refuses the next operation on an open socket once the key is revoked, even unannounced', async () => {
    const { key, record } = await newKey('admin');
    const ws = wsClient(p.wsUrl, { authorization: `Bearer ${key}` });
    const first = collect(ws.client, '{ stats { rowsIngested } }');
    await first.done;
    expect(first.errors).toEqual([]);
    // Revoked behind the platform's back (no notification): the per-operation check still sees it
    // once the 5 s cache has expired.
    await cli.sql`update api_keys set revoked_at = now() where id = ${record.id}`;
    await new Promise((r) => setTimeout(r, 5_200));
    const mutation = collect(ws.client, 'mutation { checkDrift { skipped } }');
    await Promise.race([mutation.done, ws.closed]);
    expect(mutation.results.some((r) => r.data)).toBe(false);
    expect(await count('drift_checks')).toBe(0);
    const closed = await Promise.race([
      ws.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 8_000)),
    ]);
    expect(closed?.code).toBe(4403);
    // When the socket was closed before the mutation (the 5 s sweep of open connections can be
    // first), the mutation opened a new one, refused at connection_init (4403 Forbidden), and
    // dispose() may rethrow that refusal (graphql-ws awaits its last connection attempt): seen
    // once in CI under load, as the test's only failure.
    await Promise.resolve(ws.client.dispose()).catch((error) => expect(error).toMatchObject({ code: 4403 }));
  });

  it('ends an SSE subscription of a revoked key within seconds, and refuses it afterwards', async () => {
    const { key, record } = await newKey('reader');
    const feed = sseSubscribe<{ platformEvents: { id: number } }>(
      p.graphqlUrl,
      key,
      'subscription { platformEvents { id type } }',
    );
    const response = await feed.response;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await new Promise((r) => setTimeout(r, 300));
    expect(feed.ended).toBe(false);
    await new ApiKeys(cli.sql).revoke({ id: record.id });
    const revokedAt = Date.now();
    await feed.whenEnded('the SSE stream of a revoked key to end', 8_000);
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    const again = await postGraphQL(p.graphqlUrl, '{ stats { rowsIngested } }', {}, key);
    expect(again.status).toBe(401);
    expect(again.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('leaves the connections of other keys open', async () => {
    const keep = await newKey('reader');
    const drop = await newKey('reader');
    const kept = wsClient(p.wsUrl, { authorization: `Bearer ${keep.key}` });
    const dropped = wsClient(p.wsUrl, { authorization: `Bearer ${drop.key}` });
    for (const ws of [kept, dropped]) await collect(ws.client, '{ stats { rowsIngested } }').done;
    await new ApiKeys(cli.sql).revoke({ id: drop.record.id });
    const closed = await Promise.race([
      dropped.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 8_000)),
    ]);
    expect(closed?.code).toBe(4403);
    const still = collect<{ stats: { rowsIngested: number } }>(kept.client, '{ stats { rowsIngested } }');
    await still.done;
    expect(still.results[0]?.data).toEqual({ stats: { rowsIngested: 0 } });
    await kept.client.dispose();
    await dropped.client.dispose();
  });

  const count = async (table: string) => {
    const [row] = await p.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    return (row as unknown as { n: number }).n;
  };
});
