// M9 and M12 (security issue #19): what the API port tells strangers, and who may call it from a
// browser. `/metrics` needs METRICS_TOKEN; `/ready` says ready or not and a coarse reason, never
// the database's error text; cross-origin browser requests and WebSocket upgrades are refused
// unless the origin is in CORS_ORIGINS; AUTH=off refuses to listen beyond loopback. Also L13
// (client-chosen request ids).

import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { createKey, createTestDatabase, postGraphQL, spawnServer, waitFor } from './harness.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const DASHBOARD = 'https://dashboard.example.com';

describe('exposure of the API port', () => {
  let p: TestPlatform;
  let open: TestPlatform;

  beforeAll(async () => {
    [p, open] = await Promise.all([
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', METRICS_TOKEN, CORS_ORIGINS: DASHBOARD }),
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', AUTH: 'off' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([p?.stop(), open?.stop()]);
  });

  it('serves /metrics only with METRICS_TOKEN', async () => {
    const anonymous = await fetch(`${p.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="automl-stream metrics"');
    expect(await anonymous.json()).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        message: '/metrics needs "Authorization: Bearer <METRICS_TOKEN>"',
      },
    });
    const wrong = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    // An API key, even an admin's, is not the metrics token.
    const admin = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${p.adminKey}` } });
    expect(admin.status).toBe(401);
    const scraped = await fetch(`${p.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('automl_active_model_version 0');
  });

  it('refuses /metrics when no METRICS_TOKEN is set (with authentication on)', async () => {
    const db = await createTestDatabase(inject('postgresUrl'));
    const server = await spawnServer({ databaseUrl: db.url, env: { WORKERS: 'false' } });
    try {
      const r = await fetch(`${server.url}/metrics`);
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({
        error: {
          code: 'NOT_FOUND',
          message:
            '/metrics is off: set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>"',
        },
      });
    } finally {
      expect((await server.stop()).code).toBe(0);
      await db.drop();
    }
  });

  it('answers /ready with its status and a coarse reason, never the database error', async () => {
    const ready = await fetch(`${p.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: true, pendingMigrations: 0, queues: true },
    });
    // Refuse new connections to the database and cut the existing ones: the check fails. (From a
    // connection to the maintenance database, which the cut does not touch.)
    const admin = postgres(inject('postgresUrl'), { max: 1, onnotice: () => {} });
    const name = p.database.name;
    try {
      await admin.unsafe(`alter database "${name}" with allow_connections false`);
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;
      const down = await waitFor(async () => {
        const r = await fetch(`${p.url}/ready`);
        return r.status === 503 ? ((await r.json()) as Record<string, unknown>) : undefined;
      }, '/ready to report the database down');
      expect(down).toEqual({
        status: 'not_ready',
        reason: 'database_unavailable',
        checks: { database: false, queues: true },
      });
    } finally {
      await admin.unsafe(`alter database "${name}" with allow_connections true`);
      await admin.end({ timeout: 5 });
    }
    await waitFor(
      async () => ((await fetch(`${p.url}/ready`)).status === 200 ? true : undefined),
      'ready again',
    );
  });

  it('refuses cross-origin browser requests unless the origin is in CORS_ORIGINS', async () => {
    const key = await createKey(p.database.sql, 'reader');
    const preflight = (origin: string) =>
      fetch(p.graphqlUrl, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const allowed = await preflight(DASHBOARD);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const post = (origin: string) =>
      fetch(p.graphqlUrl, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const refused = await post('https://evil.example');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      errors: [
        {
          message: 'cross-origin request from https://evil.example refused: add the origin to CORS_ORIGINS',
          extensions: { code: 'FORBIDDEN' },
        },
      ],
    });
    const fromDashboard = await post(DASHBOARD);
    expect(fromDashboard.status).toBe(200);
    expect(fromDashboard.headers.get('access-control-allow-origin')).toBe(DASHBOARD);
    // Same origin (GraphiQL served by this server) and clients that send no Origin are not cross-origin.
    expect((await post(p.url)).status).toBe(200);
    expect((await postGraphQL(p.graphqlUrl, '{ __typename }', {}, key)).status).toBe(200);
  });

  it('with AUTH=off a web page cannot drive the API: no CORS, no cross-origin form posts, no WebSocket', async () => {
    const form = await fetch(open.graphqlUrl, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent('mutation { checkDrift { skipped } }')}`,
    });
    expect(form.status).toBe(403);
    const [row] = await open.database.sql`select count(*)::int as n from drift_checks`;
    expect(row?.n).toBe(0);
    const preflight = await fetch(open.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();

    const socket = new WebSocket(open.wsUrl, 'graphql-transport-ws', { origin: 'https://evil.example' });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
      socket.once('open', () => resolve('open'));
      socket.once('error', (e) => resolve(`error ${e.message}`));
    });
    expect(outcome).toBe('http 403');
    // Without an Origin (a program, not a page) the socket opens.
    const program = new WebSocket(open.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      program.once('open', resolve);
      program.once('error', reject);
    });
    program.close();
  });

  it('with AUTH=off refuses to listen beyond loopback unless AUTH_OFF_ALLOW_REMOTE=true', async () => {
    const db = await createTestDatabase(inject('postgresUrl'));
    try {
      const refused = spawnServer({
        databaseUrl: db.url,
        env: { AUTH: 'off', HOST: '0.0.0.0', WORKERS: 'false' },
        startTimeoutMs: 30_000,
      });
      await expect(refused).rejects.toThrow(
        /AUTH=off serves every request as admin: it listens only on loopback \(HOST=127\.0\.0\.1\)/,
      );
      const forced = await spawnServer({
        databaseUrl: db.url,
        env: { AUTH: 'off', HOST: '0.0.0.0', AUTH_OFF_ALLOW_REMOTE: 'true', WORKERS: 'false' },
      });
      expect((await fetch(`${forced.url}/health`)).status).toBe(200);
      expect(forced.output.join('')).toMatch(/AUTH_OFF_ALLOW_REMOTE/);
      expect((await forced.stop()).code).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('echoes a well-formed x-request-id and replaces any other (L13)', async () => {
    const echo = await fetch(`${p.url}/health`, { headers: { 'x-request-id': 'abc-123_DEF' } });
    expect(echo.headers.get('x-request-id')).toBe('abc-123_DEF');
    for (const bad of ['has space', 'x'.repeat(65), 'a"b;c', '../../etc/passwd', '<script>']) {
      const r = await fetch(`${p.url}/health`, { headers: { 'x-request-id': bad } });
      expect(r.headers.get('x-request-id'), bad).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    }
  });
});
