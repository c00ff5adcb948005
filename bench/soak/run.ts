/**
 * Soak benchmark: the platform (server with its in-process worker: drift checks on a timer and
 * every WINDOW_SIZE rows, retrains, promotions, partition maintenance) under a steady mixed load
 * for a long time, then the first and last windows compared.
 *
 *   pnpm bench:soak                    # 30 minutes
 *   pnpm bench:soak -- --minutes 5
 *
 * Load (bench/soak/load.ts, on a worker thread): 25 single-row predicts/s, 100 labelled rows/s
 * ingested, feedback for 30 % of the predictions every 2 s, a stats read every 5 s; the stream
 * (rotating hyperplane) drifts all along, and an admin retrain is asked for every few minutes
 * besides the ones drift triggers. Printed every window (1 minute, or a fifth of a short run):
 * RSS, V8 heap after a full GC, event-loop lag p99 of the server's thread, Postgres table and
 * index sizes, predict p50/p99, checks and retrains so far. At the end, PASS/FAIL on the bounds
 * below, comparing the last window with the second (the first holds start-up and JIT warm-up).
 *
 * Postgres: a fresh database on DATABASE_URL's server when set, else an embedded Postgres.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { LoadSetup, Sample } from './load.ts';

process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger } = await import('../../packages/core/src/index.ts');
// The bench measures the database itself: it reads sizes through core's storage module.
const { readTableSizes } = await import('../../packages/core/src/storage/retention-storage.ts');
const { startEmbeddedPostgres } = await import('../../packages/db/src/index.ts');
const { createTestDatabase } = await import('../../packages/db/src/testing.ts');
const { startServer } = await import('../../apps/server/src/index.ts');
const { createStream } = await import('../../packages/streams/src/index.ts');

const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 30;
if (!(MINUTES >= 1)) throw new Error('--minutes takes a number of minutes, at least 1');
const WINDOW_MS = Math.min(60_000, (MINUTES * 60_000) / 5);
const RETRAIN_EVERY_MS = Math.max(60_000, (MINUTES * 60_000) / 6);
const MB = 1024 * 1024;
/** The lag histogram samples every 10 ms; its values include that interval, taken off below. */
const LAG_RESOLUTION_MS = 10;

/** The bounds: the last window against the second. */
const BOUNDS = {
  heapGrowthMb: 64,
  rssGrowthMb: 200,
  p99Ratio: 1.5,
  p99SlackMs: 5,
  lagRatio: 2,
  lagSlackMs: 20,
  maxFailedShare: 0.001,
};

interface Window {
  minute: number;
  rssMb: number;
  heapMb: number;
  lagP99Ms: number;
  predictP50: number;
  predictP99: number;
  requests: number;
  failed: number;
  errors: string[];
  dbMb: { rows: number; predictions: number; other: number };
  checks: number;
  retrains: number;
  versions: number;
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]! : Number.NaN;
};
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

const tempDir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), 'automl-soak-'));
const embedded = tempDir ? await startEmbeddedPostgres({ dataDir: tempDir }) : null;
const database = await createTestDatabase(process.env.DATABASE_URL ?? embedded!.url, {
  prefix: 'automl_soak',
});
const config = loadConfig({
  LOG_LEVEL: 'error',
  HOST: '127.0.0.1',
  PORT: '0',
  WORKERS: 'true',
  RATE_LIMIT_PER_MINUTE: '0',
  N_ESTIMATORS: '30',
  MAX_DEPTH: '8',
  TRAIN_WINDOW: '5000',
  MIN_TRAIN_ROWS: '500',
  CHECK_INTERVAL_SECONDS: '30',
  RETRAIN_MIN_INTERVAL_SECONDS: '60',
  DATABASE_URL: database.url,
});
const logger = createLogger('error', { name: 'bench-soak' });
const server = await startServer({ config, databaseUrl: database.url, logger, port: 0 });
const { platform } = server;

async function waitForModel(): Promise<void> {
  const seed = createStream('hyperplane', { seed: 11, nFeatures: 10, magChange: 0.002, noise: 0.05 }).take(
    2000,
  );
  await platform.data.ingest({ features: seed.features, labels: seed.labels, source: 'cli' });
  const deadline = Date.now() + 180_000;
  let asked = false;
  while (!platform.holder.current) {
    if (Date.now() > deadline) throw new Error('no model was trained within 3 minutes');
    if (!asked && Date.now() > deadline - 170_000) {
      await platform.drift.requestRetrain('soak: first model').catch(() => {});
      asked = true;
    }
    await new Promise((r) => setTimeout(r, 250));
    await platform.holder.refresh().catch(() => {});
  }
}

function startLoad(authorization: string): Worker {
  const setup: LoadSetup = {
    baseUrl: server.url,
    authorization,
    predictsPerSecond: 25,
    ingestRowsPerSecond: 100,
    feedbackShare: 0.3,
  };
  const bootstrap = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
await import(${JSON.stringify(new URL('./load.ts', import.meta.url).href)});`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), {
    workerData: setup,
  });
  worker.on('error', (error) => console.error('load worker failed:', error));
  return worker;
}

const ask = (worker: Worker, message: 'flush' | 'stop') =>
  new Promise<Sample[]>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(message);
  });

async function measure(minute: number, samples: Sample[], lag: ReturnType<typeof monitorEventLoopDelay>) {
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const sizes = await readTableSizes(platform.db.sql);
  const mbOf = (t: string) =>
    sizes.filter((s) => s.table === t).reduce((a, s) => a + s.tableBytes + s.indexBytes, 0) / MB;
  const totalMb = sizes.reduce((a, s) => a + s.tableBytes + s.indexBytes, 0) / MB;
  const stats = await platform.stats.read();
  const predicts = samples.filter((s) => s.kind === 'predict').map((s) => s.ms);
  const window: Window = {
    minute,
    rssMb: memory.rss / MB,
    heapMb: memory.heapUsed / MB,
    lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS),
    predictP50: percentile(predicts, 0.5),
    predictP99: percentile(predicts, 0.99),
    requests: samples.length,
    failed: samples.filter((s) => !s.ok).length,
    errors: samples.flatMap((s) => (s.error ? [s.error] : [])),
    dbMb: {
      rows: mbOf('rows'),
      predictions: mbOf('predictions'),
      other: totalMb - mbOf('rows') - mbOf('predictions'),
    },
    checks: stats.driftChecks,
    retrains: stats.retrains,
    versions: stats.modelVersions,
  };
  lag.reset();
  console.log(
    `${fmt(minute)} min  rss ${fmt(window.rssMb, 0)} MB  heap ${fmt(window.heapMb, 0)} MB  lag p99 ${fmt(window.lagP99Ms)} ms  ` +
      `predict p50/p99 ${fmt(window.predictP50, 2)}/${fmt(window.predictP99, 2)} ms  requests ${window.requests} (failed ${window.failed})  ` +
      `db rows ${fmt(window.dbMb.rows)} MB, predictions ${fmt(window.dbMb.predictions)} MB, other ${fmt(window.dbMb.other)} MB  ` +
      `checks ${window.checks}, retrains ${window.retrains}, versions ${window.versions}`,
  );
  return window;
}

const windows: Window[] = [];
let failure: unknown = null;
try {
  await waitForModel();
  const { key } = await platform.apiKeys.create('soak', 'admin');
  const load = startLoad(`Bearer ${key}`);
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const started = Date.now();
  let lastRetrain = started;
  console.log(
    `soak: ${MINUTES} min, windows of ${WINDOW_MS / 1000} s; ${cpus().length} CPUs, load ${fmt(loadavg()[0]!, 2)}`,
  );
  while (Date.now() - started < MINUTES * 60_000 - 1_000) {
    await new Promise((r) => setTimeout(r, Math.min(WINDOW_MS, started + MINUTES * 60_000 - Date.now())));
    if (Date.now() - lastRetrain >= RETRAIN_EVERY_MS) {
      lastRetrain = Date.now();
      await platform.drift.requestRetrain('soak: admin retrain').catch(() => {});
    }
    const last = Date.now() - started >= MINUTES * 60_000 - 1_000;
    const samples = await ask(load, last ? 'stop' : 'flush');
    windows.push(await measure((Date.now() - started) / 60_000, samples, lag));
  }
  await load.terminate();
} catch (error) {
  failure = error;
} finally {
  await server.stop(10_000);
  await database.drop();
  await embedded?.stop();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
if (failure) throw failure;
report(windows);

function report(all: Window[]): void {
  const start = all[Math.min(1, all.length - 1)]!;
  const end = all[all.length - 1]!;
  const requests = all.reduce((a, w) => a + w.requests, 0);
  const failed = all.reduce((a, w) => a + w.failed, 0);
  const checks: [string, string, boolean][] = [
    [
      'V8 heap after GC',
      `${fmt(start.heapMb)} → ${fmt(end.heapMb)} MB (bound: +${BOUNDS.heapGrowthMb} MB)`,
      end.heapMb - start.heapMb <= BOUNDS.heapGrowthMb,
    ],
    [
      'RSS',
      `${fmt(start.rssMb)} → ${fmt(end.rssMb)} MB (bound: +${BOUNDS.rssGrowthMb} MB)`,
      end.rssMb - start.rssMb <= BOUNDS.rssGrowthMb,
    ],
    [
      'predict p99',
      `${fmt(start.predictP99, 2)} → ${fmt(end.predictP99, 2)} ms (p50 ${fmt(start.predictP50, 2)} → ${fmt(end.predictP50, 2)}; bound: ≤ max(${BOUNDS.p99Ratio}×, +${BOUNDS.p99SlackMs} ms))`,
      end.predictP99 <= Math.max(BOUNDS.p99Ratio * start.predictP99, start.predictP99 + BOUNDS.p99SlackMs),
    ],
    [
      'event-loop lag p99',
      `${fmt(start.lagP99Ms)} → ${fmt(end.lagP99Ms)} ms (bound: ≤ max(${BOUNDS.lagRatio}×, +${BOUNDS.lagSlackMs} ms))`,
      end.lagP99Ms <= Math.max(BOUNDS.lagRatio * start.lagP99Ms, start.lagP99Ms + BOUNDS.lagSlackMs),
    ],
    [
      'failed requests',
      `${failed} of ${requests} (bound: ≤ ${BOUNDS.maxFailedShare * 100} %)`,
      failed <= BOUNDS.maxFailedShare * requests,
    ],
    [
      'drift checks and retrains ran',
      `${end.checks} checks, ${end.retrains} retrains`,
      end.checks > 0 && end.retrains > 1,
    ],
  ];
  console.log(
    `\nPostgres (table + indexes): rows ${fmt(start.dbMb.rows)} → ${fmt(end.dbMb.rows)} MB, predictions ${fmt(start.dbMb.predictions)} → ${fmt(end.dbMb.predictions)} MB, other ${fmt(start.dbMb.other)} → ${fmt(end.dbMb.other)} MB (grows with the data kept: RETAIN_DAYS drops whole days)\n`,
  );
  const errors = new Map<string, number>();
  for (const e of all.flatMap((w) => w.errors)) errors.set(e, (errors.get(e) ?? 0) + 1);
  for (const [e, n] of errors) console.log(`failed ${n}×: ${e.slice(0, 300)}`);
  for (const [what, figures, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}: ${figures}`);
  process.exitCode = checks.every((c) => c[2]) ? 0 : 1;
}
