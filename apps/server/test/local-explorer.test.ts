// GraphiQL's page carries the key `start` printed only for the person at this machine
// (src/local-explorer.ts): a real server on a loopback port, requests over real sockets with the
// Host, Origin and Sec-Fetch-Dest a browser (or an attacker's page, or a DNS-rebound name) sends.
import { request } from 'node:http';
import { type Config, loadConfig } from '@automl-stream/config';
import { createLogger } from '@automl-stream/core';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isLoopbackAddress, isLoopbackHost, mayCarryLocalKey } from '../src/local-explorer.ts';
import { type RunningServer, startServer } from '../src/serve.ts';
import { gql } from '../src/testing.ts';

/** GET /graphql asking for HTML, with the given headers (Host included); the status and body. */
function getPage(port: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/graphql', headers: { accept: 'text/html', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('GraphiQL for the person who ran start', () => {
  let database: TestDatabase;
  const servers: RunningServer[] = [];
  let key: string;
  let port: number;
  let plainPort: number;

  async function serve(env: Record<string, string>, localKey?: () => string | null) {
    const config: Config = loadConfig({
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
      DATABASE_URL: database.url,
    });
    const server = await startServer({
      config,
      databaseUrl: database.url,
      logger: createLogger('silent', { name: 'local-explorer-test' }),
      workers: false,
      port: 0,
      ...(localKey ? { localExplorerKey: localKey } : {}),
    });
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false });
    let current: string | null = null;
    const started = await serve({}, () => current);
    key = (await started.platform.apiKeys.create('local (test)', 'admin')).key;
    current = key;
    port = started.port;
    plainPort = (await serve({})).port;
  });
  afterAll(async () => {
    for (const server of servers) await server.stop(5_000);
    await database?.drop();
  });

  it('opens with the key in its headers for a loopback peer naming a loopback host', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `127.0.0.2:${port}`]) {
      const page = await getPage(port, { host, 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none' });
      expect(page.status, host).toBe(200);
      expect(page.body, host).toContain(`"headers":"{\\n  \\"Authorization\\": \\"Bearer ${key}\\"\\n}"`);
      expect(page.body, host).toContain(`"connectionParams":{"authorization":"Bearer ${key}"}`);
      expect(page.body, host).toContain('"shouldPersistHeaders":false');
    }
  });

  it('leaves the key out for another host name, another site, a frame, or a server start did not run', async () => {
    const refused: Record<string, string>[] = [
      // A DNS-rebound name that resolves to 127.0.0.1 still names itself in Host.
      { host: `attacker.example:${port}` },
      { host: `192.168.1.20:${port}` },
      // Another site's script reading the page sends its Origin (CORS).
      { host: `127.0.0.1:${port}`, origin: 'http://attacker.example' },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      { host: `127.0.0.1:${port}`, 'sec-fetch-dest': 'iframe' },
    ];
    for (const headers of refused) {
      const page = await getPage(port, headers);
      expect(page.body, JSON.stringify(headers)).not.toContain(key);
      // Another site's origin is refused outright (CORS_ORIGINS); the others get the page, keyless.
      if (headers.origin === 'http://attacker.example') {
        expect(page.status).toBe(403);
        continue;
      }
      expect(page.status, JSON.stringify(headers)).toBe(200);
      expect(page.body, JSON.stringify(headers)).toContain('<title>automl-stream</title>');
      expect(page.body, JSON.stringify(headers)).toContain('Every request needs an API key');
    }
    const plain = await getPage(plainPort, { host: `127.0.0.1:${plainPort}` });
    expect(plain.status).toBe(200);
    expect(plain.body).not.toContain('Bearer ams_');
  });

  it('opens nothing up: the API still refuses a request without a key, from this machine too', async () => {
    const anonymous = await gql(`http://127.0.0.1:${port}/graphql`, '{ stats { rowsIngested } }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const withKey = await gql(`http://127.0.0.1:${port}/graphql`, '{ stats { rowsIngested } }', {}, key);
    expect(withKey.data).toEqual({ stats: { rowsIngested: 0 } });
  });

  it('has no GraphiQL in production, key or not', async () => {
    const production = await serve({ NODE_ENV: 'production' }, () => key);
    const page = await getPage(production.port, { host: `127.0.0.1:${production.port}` });
    expect(page.body).not.toContain('<title>automl-stream</title>');
    expect(page.body).not.toContain(key);
  });

  it('counts only loopback peers and loopback host names', () => {
    const ok = { remoteAddress: '127.0.0.1', host: '127.0.0.1:4000', origin: null, fetchDest: null };
    expect(mayCarryLocalKey(ok)).toBe(true);
    for (const remoteAddress of [
      '10.0.0.5',
      '192.168.1.20',
      '203.0.113.9',
      '::ffff:192.168.1.2',
      'fe80::1',
      undefined,
    ])
      expect(mayCarryLocalKey({ ...ok, remoteAddress }), String(remoteAddress)).toBe(false);
    expect(isLoopbackAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('127.300.0.1x')).toBe(false);
    expect(isLoopbackHost('[::1]:4000')).toBe(true);
    for (const host of [
      '127.0.0.1.attacker.example',
      'localhost.attacker.example:4000',
      'attacker.example',
      '0.0.0.0:4000',
      null,
    ])
      expect(isLoopbackHost(host), String(host)).toBe(false);
  });
});
