/**
 * Who may use the dashboard, in a real browser against a real platform: the browser never gets
 * an API key (sign-in keeps it in the dashboard's server, behind an http-only session cookie, and
 * the server proxies GraphQL and the WebSocket for the session), requests from other origins and
 * for other host names are refused, sign-out ends the session, the one-time link of
 * `automl-stream start` works once, the pages carry CSP and frame protection, and the optional
 * read-only display key must be a reader key.
 *
 * The tests run in order and share one platform, one dashboard and one browser.
 */
/// <reference path="../../../packages/db/src/testing-global-setup.ts" />
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../../../packages/db/src/testing.ts';
import { gql, startTestPlatform, type TestPlatform } from '../../server/src/testing.ts';
import {
  artifacts,
  type Browser,
  ensureBuilt,
  launchBrowser,
  type RunningDashboard,
  signIn,
  startDashboard,
  until,
} from './harness.ts';

const PLATFORM_ENV = { MIN_TRAIN_ROWS: '200', WINDOW_SIZE: '200', STATS_INTERVAL_MS: '300', WORKERS: 'true' };
const KEY_PATTERN = /ams_[a-z0-9]{8}_[A-Za-z0-9_-]{32}/;
const STATS = `{ stats { activeModelVersion modelVersions } }`;
const OPEN_JOBS = `{ queued: trainingJobs(status: QUEUED, limit: 1) { total } running: trainingJobs(status: RUNNING, limit: 1) { total } }`;

/** Rows over 3 features in [0, 1); class = x0 + x1 > 1. */
function rows(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  return { features, labels: features.map((f) => (f[0]! + f[1]! > 1 ? 1 : 0)) };
}

/** The `name=value` part of a Set-Cookie header. */
function cookieOf(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  return header.split(';')[0] ?? '';
}

/** A raw HTTP request, for headers fetch will not send (a foreign Host). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/**
 * A page of another origin on the same site (another port of 127.0.0.1): what a malicious page or
 * another local app looks like to the dashboard. The browser sends SameSite=Strict cookies to
 * the dashboard from it (same site), so only the dashboard's Origin check stands in the way.
 */
async function startOtherSite(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another site</title><p>another site</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** Opens a graphql-ws socket to the dashboard; resolves with how the handshake and init ended. */
function openSocket(
  url: string,
  headers: Record<string, string>,
): Promise<{ socket: WebSocket | null; outcome: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, 'graphql-transport-ws', { headers });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ socket: null, outcome: `http ${res.statusCode}: ${body}` }));
    });
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') resolve({ socket, outcome: 'ack' });
    });
    socket.on('close', (code, reason) => resolve({ socket: null, outcome: `closed ${code}: ${reason}` }));
    socket.on('error', () => {});
  });
}

describe('dashboard access', () => {
  let database: TestDatabase;
  let platform: TestPlatform;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let otherSite: { url: string; close(): Promise<void> };
  let readerKey: string;
  let writerKey: string;
  const linkToken = randomBytes(32).toString('base64url');
  const keys: string[] = [];

  const api = async <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => {
    const r = await gql<T>(platform.graphqlUrl, query, variables, platform.adminKey);
    if (r.errors?.length)
      throw new Error(`${query.slice(0, 60)}…: ${r.errors.map((e) => e.message).join('; ')}`);
    return r.data!;
  };
  const stats = async () =>
    (await api<{ stats: { activeModelVersion: number | null; modelVersions: number } }>(STATS)).stats;
  /** The serving version as the registry has it now (`stats` is read at most once a second). */
  const servingVersion = async () =>
    (await api<{ activeModel: { version: number } | null }>('{ activeModel { version } }')).activeModel
      ?.version ?? null;
  /** Signs in over HTTP (as a script would); returns the session cookie. */
  const signInOverHttp = async (key: string) => {
    const response = await fetch(`${dashboard.url}/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dashboard.url },
      body: JSON.stringify({ key }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return cookieOf(response);
  };
  /** Every key this platform knows must stay out of what the browser got. */
  const expectNoKey = (text: string) => {
    expect(text).not.toMatch(KEY_PATTERN);
    for (const key of keys) expect(text).not.toContain(key);
  };

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const postgresUrl = inject('postgresUrl');
    [database] = await Promise.all([createTestDatabase(postgresUrl, { migrate: false }), ensureBuilt()]);
    platform = await startTestPlatform(postgresUrl, PLATFORM_ENV, { database });
    readerKey = (await platform.server.platform.apiKeys.create('dashboard reader', 'reader')).key;
    writerKey = (await platform.server.platform.apiKeys.create('dashboard writer', 'writer')).key;
    keys.push(platform.adminKey!, readerKey, writerKey);
    // Two model versions, so the models page has something to promote.
    const { features, labels } = rows(300, 7);
    await api(`mutation($i: IngestInput!) { ingest(input: $i) { rowsStored } }`, { i: { features, labels } });
    await until('the first model', stats, (s) => s.activeModelVersion !== null, 60_000);
    await api(`mutation { retrain(reason: "access test") { job { id } } }`);
    await until(
      'a second version and no open training job',
      async () => {
        const open = await api<{ queued: { total: number }; running: { total: number } }>(OPEN_JOBS);
        return { versions: (await stats()).modelVersions, open: open.queued.total + open.running.total };
      },
      (s) => s.versions >= 2 && s.open === 0,
      60_000,
    );
    dashboard = await startDashboard({
      GRAPHQL_URL: platform.graphqlUrl,
      DASHBOARD_SIGNIN_TOKEN: linkToken,
      DASHBOARD_SIGNIN_KEY: platform.adminKey!,
    });
    browser = await launchBrowser();
    otherSite = await startOtherSite();
  }, 240_000);

  afterAll(async () => {
    writeFileSync(
      path.join(artifacts, 'access.log'),
      `${dashboard?.log() ?? ''}\n${browser?.problems.join('\n') ?? ''}`,
    );
    await browser?.close();
    await otherSite?.close();
    await dashboard?.stop();
    await platform?.stop().catch(() => {});
    await database?.drop().catch(() => {});
  }, 60_000);

  it('gives no key and no data without a session: /__data.json and every page', async () => {
    for (const target of ['/__data.json', '/models/__data.json', '/drift/1/__data.json']) {
      const response = await fetch(`${dashboard.url}${target}`, { redirect: 'manual' });
      const body = await response.text();
      expectNoKey(body);
      expect(response.status, `${target}: ${body}`).toBe(401);
      expect(body).toContain('sign in');
    }
    for (const target of ['/', '/models', '/drift/1']) {
      const response = await fetch(`${dashboard.url}${target}`, { redirect: 'manual' });
      expect(response.status, target).toBe(303);
      expect(response.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(target)}`);
      expectNoKey(await response.text());
    }
    // GraphQL through the dashboard without a session: refused, nothing forwarded.
    const proxied = await fetch(`${dashboard.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dashboard.url },
      body: JSON.stringify({ query: '{ stats { rowsIngested } }' }),
    });
    expect(proxied.status).toBe(401);
    const refused = (await proxied.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    expect(refused.data).toBeUndefined();
    expect(refused.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');

    // In the browser: every page lands on the sign-in page, and nothing the page holds is a key.
    const { page } = browser;
    await page.goto(`${dashboard.url}/models`);
    await page.waitForURL(`${dashboard.url}/signin?next=%2Fmodels`);
    await page.getByTestId('signin-key').waitFor();
    expectNoKey(await page.content());
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('refuses a wrong key with the platform’s reason', async () => {
    const { page } = browser;
    await page.goto(`${dashboard.url}/signin`);
    await page.getByTestId('signin-key').fill(`ams_00000000_${'x'.repeat(32)}`);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('signin-error').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('signin-error').textContent()).toContain(
      'The platform refused this key: unknown or revoked API key',
    );
    expect(new URL(page.url()).pathname).toBe('/signin');
    expect((await browser.context.cookies()).length).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'signin-refused-1280.png') });
  });

  it('signs in with a reader key: the overview shows, promote and rollback answer FORBIDDEN', async () => {
    const { page } = browser;
    await signIn(page, dashboard.url, readerKey);
    await page.locator('[data-testid="link-status"][data-status="live"]').waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="card-rows-value"]')?.textContent?.trim() === '300',
      null,
      { timeout: 10_000 },
    );
    // The cookie is http-only: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const [cookie] = await browser.context.cookies();
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expectNoKey(await page.content());
    expectNoKey(JSON.stringify(await page.evaluate(() => ({ ...localStorage, ...sessionStorage }))));

    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByTestId('models-table').waitFor();
    const serving = (await servingVersion())!;
    const other = (
      await page
        .getByTestId('model-row')
        .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-version'))))
    ).find((v) => v !== serving)!;
    await page.getByTestId(`promote-${other}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-error').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('confirm-error').textContent()).toBe(
      'FORBIDDEN: this operation needs the admin role; your key "dashboard reader" has reader',
    );
    await page.getByTestId('confirm-close').click();
    await page.getByTestId('rollback').click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-error').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('confirm-error').textContent()).toBe(
      'FORBIDDEN: this operation needs the admin role; your key "dashboard reader" has reader',
    );
    await page.getByTestId('confirm-close').click();
    expect(await servingVersion()).toBe(serving);
  });

  it('signs out: back to the sign-in page, and the old cookie and its socket stop working', async () => {
    const { page } = browser;
    const [before] = await browser.context.cookies();
    await page.getByTestId('sign-out').click();
    await page.waitForURL(`${dashboard.url}/signin?reason=signed-out`);
    expect(await page.getByTestId('signin-notice').textContent()).toContain('You signed out');
    expect((await browser.context.cookies()).length).toBe(0);
    // The old cookie, replayed by hand, no longer opens anything.
    const replayed = await fetch(`${dashboard.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: dashboard.url,
        cookie: `${before!.name}=${before!.value}`,
      },
      body: JSON.stringify({ query: '{ stats { rowsIngested } }' }),
    });
    expect(replayed.status).toBe(401);
    await page.goto(`${dashboard.url}/`);
    await page.waitForURL(`${dashboard.url}/signin?next=%2F`);

    // A socket that was open when its session signed out is closed with 4403.
    const cookie = await signInOverHttp(readerKey);
    const wsUrl = `${dashboard.url.replace('http', 'ws')}/graphql`;
    const opened = await openSocket(wsUrl, { cookie, origin: dashboard.url });
    expect(opened.outcome).toBe('ack');
    const closed = new Promise<string>((resolve) =>
      opened.socket!.on('close', (code, reason) => resolve(`${code}: ${reason}`)),
    );
    const out = await fetch(`${dashboard.url}/auth/signout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dashboard.url, cookie },
    });
    expect(out.status).toBe(200);
    expect(await closed).toBe('4403: signed out');
  });

  it('refuses the WebSocket and POSTs from another origin, and requests for a foreign host name', async () => {
    const cookie = await signInOverHttp(platform.adminKey!);
    const wsUrl = `${dashboard.url.replace('http', 'ws')}/graphql`;
    const foreign = await openSocket(wsUrl, { cookie, origin: 'http://attacker.example' });
    expect(foreign.outcome).toMatch(/^http 403: .*another origin/);
    const rebound = await openSocket(wsUrl, {
      cookie,
      origin: dashboard.url,
      host: 'rebind.attacker.example',
    });
    expect(rebound.outcome).toMatch(/^http 403: .*host name/);
    // A promotion would change what serves: the proof that nothing got through.
    const serving = (await stats()).activeModelVersion!;
    const target = (await stats()).modelVersions === serving ? serving - 1 : serving + 1;
    const mutation = JSON.stringify({ query: `mutation { promoteModel(version: ${target}) { version } }` });
    const forged = await fetch(`${dashboard.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://attacker.example', cookie },
      body: mutation,
    });
    expect(forged.status).toBe(403);
    const viaRebind = await rawRequest(`${dashboard.url}/graphql`, {
      method: 'POST',
      headers: { host: 'rebind.attacker.example', 'content-type': 'application/json', cookie },
      body: mutation,
    });
    expect(viaRebind.status).toBe(403);
    expect(viaRebind.body).toContain('host name');

    // The same from a real page on another origin of the same site, with the browser signed in.
    const { page } = browser;
    await signIn(page, dashboard.url, platform.adminKey!);
    await page.goto(otherSite.url);
    const attempts = await page.evaluate(
      async ({ target, body }) => {
        const ws = await new Promise<string>((resolve) => {
          // `window.`: the test module imports `ws` under the same name.
          const socket = new window.WebSocket(
            `${target.replace('http', 'ws')}/graphql`,
            'graphql-transport-ws',
          );
          socket.onopen = () => resolve('open');
          socket.onclose = (event) => resolve(`closed ${event.code}`);
        });
        // A "simple" cross-site POST goes out without a preflight, cookie included. Its answer
        // is unreadable either way (Cross-Origin-Resource-Policy): the proof is in what it did.
        await fetch(`${target}/graphql`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body,
        }).catch(() => {});
        return { ws };
      },
      { target: dashboard.url, body: mutation },
    );
    expect(attempts.ws).toBe('closed 1006');
    expect(await servingVersion()).toBe(serving);
  });

  it('forwards the dashboard’s own operations only, over HTTP and over the WebSocket', async () => {
    const cookie = await signInOverHttp(platform.adminKey!);
    const post = (query: string) =>
      fetch(`${dashboard.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: dashboard.url, cookie },
        body: JSON.stringify({ query }),
      });
    const jobsBefore = (await api<{ trainingJobs: { total: number } }>('{ trainingJobs { total } }'))
      .trainingJobs.total;
    for (const query of [
      '{ __schema { types { name } } }',
      'mutation { retrain(reason: "through the dashboard") { job { id } } }',
    ]) {
      const response = await post(query);
      expect(response.status, query).toBe(403);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]).toEqual({
        message:
          "the dashboard forwards its own operations only; use the platform's API with your API key for others",
        extensions: { code: 'FORBIDDEN' },
      });
    }
    expect(
      (await api<{ trainingJobs: { total: number } }>('{ trainingJobs { total } }')).trainingJobs.total,
    ).toBe(jobsBefore);
    // (The dashboard's own operations, as Apollo sends them, pass: every page of these tests uses them.)
    const socket = await openSocket(`${dashboard.url.replace('http', 'ws')}/graphql`, {
      cookie,
      origin: dashboard.url,
    });
    expect(socket.outcome).toBe('ack');
    const answer = await new Promise<unknown>((resolve) => {
      socket.socket!.once('message', (data) => resolve(JSON.parse(String(data))));
      socket.socket!.send(
        JSON.stringify({
          id: 'x',
          type: 'subscribe',
          payload: { query: 'subscription { platformEvents { id type } }' },
        }),
      );
    });
    expect(answer).toEqual({
      id: 'x',
      type: 'error',
      payload: [
        { message: expect.stringContaining('its own operations only'), extensions: { code: 'FORBIDDEN' } },
      ],
    });
    socket.socket!.close();
  });

  it('an admin key promotes', async () => {
    const { page } = browser;
    await page.goto(`${dashboard.url}/models`);
    await page.getByTestId('models-table').waitFor();
    const serving = (await servingVersion())!;
    const other = (
      await page
        .getByTestId('model-row')
        .evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-version'))))
    ).find((v) => v !== serving)!;
    await page.getByTestId(`promote-${other}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('confirm-answer').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('confirm-answer').textContent()).toBe(
      `v${other} is now serving (status production).`,
    );
    expect(await servingVersion()).toBe(other);
    await page.getByTestId('confirm-close').click();
  });

  it('sends CSP with frame-ancestors none, X-Frame-Options DENY and no-store, and cannot be framed', async () => {
    const cookie = await signInOverHttp(readerKey);
    for (const target of ['/', '/models', '/signin']) {
      const response = await fetch(`${dashboard.url}${target}`, { headers: { cookie } });
      expect(response.status, target).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, target).toContain("frame-ancestors 'none'");
      expect(csp, target).toContain("default-src 'self'");
      expect(csp, target).toMatch(/script-src 'self' 'sha256-/);
      expect(csp, target).toContain("connect-src 'self'");
      expect(response.headers.get('x-frame-options'), target).toBe('DENY');
      expect(response.headers.get('cache-control'), target).toBe('no-store');
      expect(response.headers.get('x-content-type-options'), target).toBe('nosniff');
    }
    // Every page visited so far ran under that policy without a violation.
    expect(browser.problems.join('\n')).not.toMatch(/Content Security Policy|Refused to/);
    // A real attempt: another origin frames the dashboard; Chromium refuses to render it.
    const { page } = browser;
    await page.goto(otherSite.url);
    await page.evaluate((target) => {
      const frame = document.createElement('iframe');
      frame.src = target;
      document.body.append(frame);
    }, `${dashboard.url}/signin`);
    await until(
      'the frame to settle',
      async () => page.frames().map((f) => f.url()),
      (urls) => urls.length === 2 && urls[1] !== 'about:blank',
      10_000,
    );
    const framed = page.frames()[1]!;
    expect(await framed.locator('[data-testid="signin-key"]').count()).toBe(0);
  });

  it('the one-time link of `automl-stream start` signs in once and leaves no token in the address bar', async () => {
    const fresh = await launchBrowser();
    try {
      await fresh.page.goto(`${dashboard.url}/auth/link?token=${linkToken}`);
      await fresh.page.waitForURL(`${dashboard.url}/`);
      await fresh.page
        .locator('[data-testid="link-status"][data-status="live"]')
        .waitFor({ timeout: 15_000 });
      expect(fresh.page.url()).not.toContain(linkToken);
      expectNoKey(await fresh.page.content());
    } finally {
      await fresh.close();
    }
    // Used once: a second browser (or the same link again) lands on the sign-in page.
    const second = await launchBrowser();
    try {
      await second.page.goto(`${dashboard.url}/auth/link?token=${linkToken}`);
      await second.page.waitForURL(`${dashboard.url}/signin?reason=link-used`);
      expect(await second.page.getByTestId('signin-notice').textContent()).toContain(
        'This sign-in link was already used',
      );
      expect((await second.context.cookies()).length).toBe(0);
    } finally {
      await second.close();
    }
  });

  describe('read-only display (DASHBOARD_API_KEY)', () => {
    it('refuses to start with a writer or an admin key, naming the variable', async () => {
      for (const [role, key] of [
        ['writer', writerKey],
        ['admin', platform.adminKey!],
      ] as const) {
        const refused = await startDashboard(
          { GRAPHQL_URL: platform.graphqlUrl, DASHBOARD_API_KEY: key },
          { waitUntilUp: false },
        );
        expect(await refused.exited, role).toBe(1);
        expect(refused.log(), role).toContain('DASHBOARD_API_KEY');
        expect(refused.log(), role).toContain('reader');
        expect(refused.log(), role).not.toContain(key);
      }
      const unknown = await startDashboard(
        { GRAPHQL_URL: platform.graphqlUrl, DASHBOARD_API_KEY: `ams_00000000_${'y'.repeat(32)}` },
        { waitUntilUp: false },
      );
      expect(await unknown.exited).toBe(1);
      expect(unknown.log()).toContain('DASHBOARD_API_KEY was refused by the platform');
    });

    it('with a reader key shows the overview without sign-in, and the key stays on the server', async () => {
      const display = await startDashboard({
        GRAPHQL_URL: platform.graphqlUrl,
        DASHBOARD_API_KEY: readerKey,
      });
      const wall = await launchBrowser();
      try {
        const data = await fetch(`${display.url}/__data.json`);
        expectNoKey(await data.text());
        await wall.page.goto(display.url);
        await wall.page
          .locator('[data-testid="link-status"][data-status="live"]')
          .waitFor({ timeout: 15_000 });
        expect(await wall.page.getByTestId('access').textContent()).toContain('read-only display');
        await wall.page.screenshot({ path: path.join(artifacts, 'display-1280.png') });
        expectNoKey(await wall.page.content());
        await wall.page.goto(`${display.url}/models`);
        await wall.page.getByTestId('models-table').waitFor();
        await wall.page.getByTestId('rollback').click();
        await wall.page.getByTestId('confirm-button').click();
        await wall.page.getByTestId('confirm-error').waitFor({ timeout: 10_000 });
        expect(await wall.page.getByTestId('confirm-error').textContent()).toContain('FORBIDDEN');
      } finally {
        await wall.close();
        await display.stop();
      }
    });
  });
});
