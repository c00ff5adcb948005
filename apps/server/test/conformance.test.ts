import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../src/testing.ts';

/**
 * The GraphQL-over-HTTP spec, audited by the `graphql-http` package against our real server on a
 * real port. Every audit goes through auth (the fetch adds an admin key), as real clients do.
 */
describe('GraphQL over HTTP conformance (graphql-http audits)', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const withKey =
    (key: string | null): typeof fetch =>
    (input, init = {}) => {
      const headers = new Headers(init.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(input, { ...init, headers });
    };

  async function audit(key: string | null) {
    const results: { id: string; name: string; status: string; reason: string }[] = [];
    for (const a of serverAudits({ url: p.graphqlUrl, fetchFn: withKey(key) })) {
      const r = await a.fn();
      results.push({ id: r.id, name: r.name, status: r.status, reason: 'reason' in r ? r.reason : '' });
    }
    return results;
  }

  it('passes every MUST audit, and every SHOULD and MAY audit too', async () => {
    const results = await audit(p.adminKey);
    const level = (l: string) => results.filter((r) => r.name.startsWith(`${l} `));
    // The suite is not empty: graphql-http 1.23 has 61 audits (13 MUST, 23 SHOULD, 25 MAY).
    expect(results.length).toBeGreaterThanOrEqual(61);
    expect(level('MUST').length).toBeGreaterThanOrEqual(13);
    expect(level('MUST').filter((r) => r.status !== 'ok')).toEqual([]);
    expect(level('SHOULD').filter((r) => r.status !== 'ok')).toEqual([]);
    expect(level('MAY').filter((r) => r.status !== 'ok')).toEqual([]);
  });

  it('fails the audits without a key (they exercise the real, authenticated endpoint)', async () => {
    const results = await audit(null);
    const mustFailures = results.filter((r) => r.name.startsWith('MUST') && r.status !== 'ok');
    expect(mustFailures.length).toBeGreaterThan(0);
    // Unauthenticated requests are refused with 401 and a GraphQL error body that says why.
    const response = await fetch(p.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(body.errors[0]?.message).toMatch(/missing API key/);
  });
});
