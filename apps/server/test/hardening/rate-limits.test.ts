// M7 (security issue #19): rate limits hold across replicas (a key's budget is shared through
// Postgres, not multiplied by the replica count), failed authentication is limited per client
// address before any key lookup, and X-Forwarded-For names the client only behind a proxy the
// deployment declares (TRUST_PROXY).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { createKey, newApiKey, postGraphQL } from './harness.ts';

const stats = '{ stats { rowsIngested } }';
const get = (url: string, headers: Record<string, string>) =>
  fetch(`${url}?query=${encodeURIComponent(stats)}`, { headers: { accept: 'application/json', ...headers } });

describe('rate limits', () => {
  let a: TestPlatform;
  let b: TestPlatform;
  let open: TestPlatform;
  let proxied: TestPlatform;

  beforeAll(async () => {
    const replica = { WORKERS: 'false', RATE_LIMIT_PER_MINUTE: '60', AUTH_FAILURES_PER_MINUTE: '5' };
    a = await startTestPlatform(inject('postgresUrl'), replica);
    [b, open, proxied] = await Promise.all([
      startTestPlatform(inject('postgresUrl'), replica, { database: a.database }),
      startTestPlatform(inject('postgresUrl'), {
        WORKERS: 'false',
        AUTH: 'off',
        RATE_LIMIT_PER_MINUTE: '30',
      }),
      startTestPlatform(inject('postgresUrl'), {
        WORKERS: 'false',
        AUTH: 'off',
        RATE_LIMIT_PER_MINUTE: '30',
        TRUST_PROXY: '1',
      }),
    ]);
  });
  afterAll(async () => {
    await b?.stop();
    await Promise.all([a?.stop(), open?.stop(), proxied?.stop()]);
  });

  it("shares a key's budget between replicas of one database", async () => {
    // 60 a minute: a burst of 6, then one a second, for the key, whichever replica it calls.
    const key = await createKey(a.database.sql, 'reader');
    for (let i = 0; i < 6; i++) expect((await postGraphQL(a.graphqlUrl, stats, {}, key)).status).toBe(200);
    expect((await postGraphQL(a.graphqlUrl, stats, {}, key)).status).toBe(429);
    // Replica A reports what the key spent within a second (two settlements' time, for a loaded machine).
    await new Promise((r) => setTimeout(r, 2_000));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postGraphQL(b.graphqlUrl, stats, {}, key)).status);
    // About 2 s of refill is left for replica B, not a fresh burst of 6.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(statuses.at(-1)).toBe(429);
    const refusal = await postGraphQL(b.graphqlUrl, stats, {}, key);
    expect(refusal.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('limits failed authentications per address before looking keys up, and spares known keys', async () => {
    const good = await createKey(a.database.sql, 'reader');
    expect((await get(a.graphqlUrl, { authorization: `Bearer ${good}` })).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const r = await get(a.graphqlUrl, { authorization: `Bearer ${newApiKey()}` });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="automl-stream"');
    }
    const throttled = await get(a.graphqlUrl, { authorization: `Bearer ${newApiKey()}` });
    expect(throttled.status).toBe(429);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(await throttled.json()).toEqual({
      errors: [
        {
          message: `too many failed authentications from your address (AUTH_FAILURES_PER_MINUTE=5): retry in ${retryAfter} s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
        },
      ],
    });
    // Also on REST, and on the replica that shares the database.
    const rest = await fetch(`${b.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${newApiKey()}` },
      body: '{"features":[[1,2,3]]}',
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const restAgain = await fetch(`${b.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${newApiKey()}` },
      body: '{"features":[[1,2,3]]}',
    });
    expect([rest.status, restAgain.status]).toContain(429);
    // A key this address used successfully a moment ago still gets in.
    expect((await get(a.graphqlUrl, { authorization: `Bearer ${good}` })).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY is set (AUTH=off limits per address)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await get(open.graphqlUrl, { 'x-forwarded-for': `10.0.0.${i}` })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('with TRUST_PROXY=1 takes the address the proxy appended, not what the client wrote', async () => {
    // Four different clients behind the proxy: four budgets.
    for (let i = 0; i < 4; i++) {
      expect((await get(proxied.graphqlUrl, { 'x-forwarded-for': `10.1.0.${i}` })).status).toBe(200);
    }
    // One client varying what it puts in front of the proxy's entry: one budget.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await get(proxied.graphqlUrl, { 'x-forwarded-for': `192.0.2.${i}, 10.2.0.1` })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
