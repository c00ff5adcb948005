import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoSummary } from '../src/demo/run.ts';
import { cli, spawnCli, waitForOutput } from './run-cli.ts';

// Small, fast settings: the demo's loop at a few hundred rows per second.
const LOOP = { WINDOW_SIZE: '200', MIN_TRAIN_ROWS: '200', N_ESTIMATORS: '20' };

describe('automl-stream demo', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    // A first model trained on 400 rows errs on about 8% of the old concept and a quarter of the new.
    p = await startTestPlatform(inject('postgresUrl'), { ...LOOP, MIN_TRAIN_ROWS: '400' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('streams SEA with a drift at row 1600: detected after it, retrained, promoted; the summary as JSON', async () => {
    const run = await cli(
      ['demo', '--stream', 'sea', '--rows', '3200', '--drift-at', '1600', '--rate', '400', '--json'],
      { AUTOML_URL: p.graphqlUrl, AUTOML_API_KEY: p.adminKey! },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DemoSummary;
    expect(summary).toMatchObject({ stream: 'sea', rowsSent: 3200, batches: 16, complete: true });
    expect(summary.driftPoints).toEqual([expect.objectContaining({ position: 1600, kind: 'abrupt' })]);
    expect(summary.predictions).toBeGreaterThan(0);
    expect(summary.liveAccuracy).toBeGreaterThan(0.75);
    expect(summary.driftChecks).toBeGreaterThan(0);
    // Detected after the drift point (at the latest by the demo's closing check).
    expect(summary.detection, JSON.stringify(summary, null, 1)).not.toBeNull();
    expect(summary.detection!.delayRows).toBeGreaterThanOrEqual(0);
    expect(summary.detection!.delayRows).toBeLessThanOrEqual(1600);
    expect(summary.detection!.kinds.length).toBeGreaterThan(0);
    // v1 from the bootstrap, then at least one retrained version.
    expect(summary.promotions.map((x) => x.version)).toContain(1);
    expect(Math.max(...summary.promotions.map((x) => x.version))).toBeGreaterThanOrEqual(2);
    // Accuracy from the platform's accuracy series: good before, worse on the changed concept.
    expect(summary.accuracy.beforeDrift).toBeGreaterThan(0.85);
    expect(summary.accuracy.afterDriftStaleModel).toBeLessThan(summary.accuracy.beforeDrift! - 0.05);
  });

  it('refuses a platform whose rows have another width, in one line', async () => {
    const run = await cli(['demo', '--stream', 'covariate', '--rows', '100', '--drift-at', '50'], {
      AUTOML_URL: p.graphqlUrl,
      AUTOML_API_KEY: p.adminKey!,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: this platform takes 3 features per row and the covariate stream has 4: run the demo against an empty platform (`automl-stream demo` without --url starts one)\n',
    );
    const usage = await cli(['demo', '--stream', 'nope'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error: --stream must be one of sea, hyperplane, covariate \(got "nope"\)/);
  });

  it('--pipeline: the same stream goes to a pipeline of its own, created first, with its own versions', async () => {
    const run = await cli(
      ['demo', '--stream', 'covariate', '--rows', '1000', '--drift-at', '600', '--rate', '400', '--json'],
      { AUTOML_URL: p.graphqlUrl, AUTOML_API_KEY: p.adminKey!, AUTOML_PIPELINE: 'wide' },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DemoSummary;
    expect(summary).toMatchObject({ stream: 'covariate', rowsSent: 1000, complete: true });
    // Its first version is its own v1, seen through the pipeline's subscriptions.
    expect(summary.promotions.map((x) => x.version)).toContain(1);
    const rows = await p.database.sql<{ name: string; n: number }[]>`
      select p.name, count(*)::int as n from rows r join pipelines p on p.id = r.pipeline_id group by p.name`;
    expect(Object.fromEntries(rows.map((r) => [r.name, r.n]))).toEqual({ default: 3200, wide: 1000 });
  });
});

describe('automl-stream start', () => {
  let database: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false });
    dataDir = mkdtempSync(path.join(tmpdir(), 'automl-start-'));
  });
  afterAll(async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves, runs the demo against itself, and stops cleanly on Ctrl-C', async () => {
    const run = spawnCli(
      ['start', '--no-dashboard', '--rows', '2800', '--drift-at', '1400', '--rate', '400'],
      {
        ...LOOP,
        MIN_TRAIN_ROWS: '400',
        DATABASE_URL: database.url,
        DATA_DIR: dataDir,
        PORT: '0',
        HOST: '127.0.0.1',
      },
    );
    try {
      const up = await waitForOutput(
        run,
        (o) => o.stdout.includes('Ctrl-C stops everything'),
        60_000,
        'the start-up lines',
      );
      // The person's WINDOW_SIZE is kept; only the unset demo setting is applied, and said so.
      expect(up.stdout).toContain(
        'demo settings (set the variables to override): CHECK_INTERVAL_SECONDS=20\n',
      );
      const graphqlUrl = /GraphQL {4}(http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(up.stdout)?.[1];
      expect(graphqlUrl).toBeDefined();
      expect(up.stdout).toContain(`GraphiQL   ${graphqlUrl}`);
      expect(up.stdout).toContain('dashboard  not running');
      const key = /API key {4}(ams_\S+)/.exec(up.stdout)?.[1];
      expect(key).toBeDefined();
      // The platform answers with the printed key while the demo runs.
      const health = await fetch(graphqlUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: '{ config { windowSize checkIntervalSeconds } }' }),
      });
      expect(await health.json()).toEqual({
        data: { config: { windowSize: 200, checkIntervalSeconds: 20 } },
      });

      const over = await waitForOutput(
        run,
        (o) => o.stdout.includes('the demo is over'),
        90_000,
        'the end of the demo',
      );
      expect(over.stdout).toMatch(/PROMOTED {2}v1 serves now/);
      expect(over.stdout).toMatch(/── the stream changes at row 1400: SEA concept 3 → 2/);
      expect(over.stdout).toMatch(/^ {2}detected {7}at row \d+, \d+ rows after the drift point/m);
      run.child.kill('SIGINT');
      const ended = await run.done;
      expect(ended.stdout).toMatch(/stopping \(finishing requests, then the database\)…\nstopped\.\n$/);
      expect(ended.code).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
