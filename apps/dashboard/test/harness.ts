/**
 * What the dashboard's browser tests share: building the dashboard when its sources changed,
 * running the built server (`node build/index.js`) as a child process, Debian's Chromium through
 * playwright-core, and a polling helper.
 *
 * Imports of the server's test harness and the db package are relative: the dashboard depends
 * on the platform only through the SDK, so those packages are not its dependencies.
 */
/// <reference path="../../../packages/db/src/testing-global-setup.ts" />
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { findFreePort } from '../../../packages/db/src/index.ts';
import { CHROMIUM_FLAGS, provideChromium } from '../../../test/support/chromium.ts';
import { gql, startTestPlatform, type TestPlatform } from '../../server/src/testing.ts';
import { dashboardBuildIsCurrent } from '../build-freshness.js';
import { withDashboardLock } from './build-lock.ts';

export const dashboardDir = fileURLToPath(new URL('..', import.meta.url));
export const entry = path.join(dashboardDir, 'build', 'index.js');
export const artifacts = path.join(dashboardDir, 'test-results');

let building: Promise<void> | null = null;

/** Builds the dashboard when build/index.js is missing or older than any of its sources. */
export function ensureBuilt(): Promise<void> {
  building ??= build();
  return building;
}

async function build(): Promise<void> {
  await withDashboardLock(
    () => dashboardBuildIsCurrent(dashboardDir),
    async () => {
      if (!dashboardBuildIsCurrent(dashboardDir)) await viteBuild();
    },
  );
}

async function viteBuild(): Promise<void> {
  const vite = path.join(dashboardDir, 'node_modules', '.bin', 'vite');
  await new Promise<void>((resolve, reject) => {
    // vitest sets NODE_ENV=test, which vite.config.ts leaves alone and which would give a build
    // with Svelte's and SvelteKit's development checks (and their console warnings).
    const child = spawn(vite, ['build'], {
      cwd: dashboardDir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build failed (exit ${code}):\n${stderr.slice(-3000)}`)),
    );
  });
}

export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface RunningDashboard {
  /** http://127.0.0.1:<port> */
  url: string;
  process: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  log(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts the built dashboard (`node build/index.js`) on a free port of 127.0.0.1 with `env` on
 * top of ours. With `waitUntilUp` (the default) it resolves once the server answers.
 */
export async function startDashboard(
  env: Record<string, string>,
  options: { waitUntilUp?: boolean } = {},
): Promise<RunningDashboard> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [entry], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: url, ...env },
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running: RunningDashboard = {
    url,
    process: child,
    log: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
  if (options.waitUntilUp === false) return running;
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  await until(
    'the dashboard to answer',
    () =>
      ended
        ? Promise.resolve(-1)
        : fetch(`${url}/health`).then(
            (r) => r.status,
            () => 0,
          ),
    // Any answer: the server listens (a dashboard that refuses to start exits instead).
    (status) => status !== 0,
    30_000,
  );
  if (ended) throw new Error(`the dashboard exited at start:\n${output}`);
  return running;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Page errors, and console errors and warnings, in order. */
  problems: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile (no cookies), one page open. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'automl-dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    // CHROMIUM_PATH, a Chromium or Chrome on this machine, or one installed now; else the file
    // fails with the one line to run (see test/support/chromium.ts).
    executablePath: await provideChromium(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('pageerror', (error) => {
    problems.push(`[pageerror] ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`[console ${message.type()}] ${message.text()}`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in page with `key` and waits for the overview. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.getByTestId('signin-key').fill(key);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL(`${baseUrl}/`);
  await page.getByTestId('link-status').waitFor();
}

/** A signed-in browser on a dashboard in front of a fresh platform, for one `describe`. */
export interface BrowserSuite {
  platform: TestPlatform;
  dashboard: RunningDashboard;
  browser: Browser;
  /** A GraphQL call with the admin key; errors throw, naming the query. */
  api<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/**
 * Starts the platform (with `env`), the built dashboard and Chromium before the suite's tests and
 * signs in; afterwards writes the dashboard's log and the browser's problems to
 * test-results/`logName` and stops all three. Fields are set once `beforeAll` has run.
 */
export function browserSuite(env: Record<string, string>, logName: string): BrowserSuite {
  const suite = {
    api: async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const r = await gql<T>(suite.platform.graphqlUrl, query, variables, suite.platform.adminKey);
      if (r.errors?.length)
        throw new Error(`${query.slice(0, 60)}…: ${r.errors.map((e) => e.message).join('; ')}`);
      return r.data!;
    },
  } as BrowserSuite;
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [suite.platform] = await Promise.all([startTestPlatform(inject('postgresUrl'), env), ensureBuilt()]);
    suite.dashboard = await startDashboard({ GRAPHQL_URL: suite.platform.graphqlUrl });
    suite.browser = await launchBrowser();
    await signIn(suite.browser.page, suite.dashboard.url, suite.platform.adminKey!);
  }, 240_000);
  afterAll(async () => {
    writeFileSync(
      path.join(artifacts, logName),
      `${suite.dashboard?.log() ?? ''}\n${suite.browser?.problems.join('\n') ?? ''}`,
    );
    await suite.browser?.close();
    await suite.dashboard?.stop();
    await suite.platform?.stop().catch(() => {});
  }, 60_000);
  return suite;
}
