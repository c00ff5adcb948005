/**
 * API benchmark over loopback HTTP, against the real server with a trained model loaded
 * (100 trees, depth 10, 10 features) and auth on (an admin key on every request):
 *
 * - single-row `predict` latency p50/p99 over GraphQL (sequential requests; each prediction is
 *   stored, with its commit, before the answer: "including storage"). Target: p50 < 1 ms.
 *   Measured interleaved with the storage floor: the same single-row insert + commit straight
 *   through postgres.js, committed as the server commits predictions (asynchronously unless
 *   PREDICTION_SYNC_COMMIT), so the difference is the API's own cost; and with REST
 *   `POST /predict` and the durable floor (synchronous commit) every third request.
 * - `predict` throughput in rows/s, batches of 1,000 rows, CLIENTS concurrent clients.
 * - `ingest` throughput in rows/s, batches of 1,000 labelled rows (scored by the model before
 *   they are stored: test-then-train), CLIENTS concurrent clients.
 * - the same batches as records keyed by column name (`records: [{f0: ..., f1: ...}]`), ingest and
 *   predict. Target: ≥ 80 % of the positional rows/s.
 * - the reference: a bare multi-row insert of the same rows through postgres.js
 *   (`insert into rows ${sql(rows, ...)}`), batches of 1,000, CLIENTS concurrent connections, on
 *   the same database. Target: batch predict and ingest ≥ 0.8× its rate (issue #18).
 *
 * Throughputs are measured in ROUNDS rounds of (bare insert, ingest, predict) back to back, so
 * each ratio compares runs made under the same machine load; the reported ratio is the median
 * of the per-round ratios.
 *
 *   node --import tsx bench/api/run.ts [--quick] [--profile]        (or: pnpm bench:api)
 *
 * Postgres: a fresh database on DATABASE_URL's server when set (dropped at the end), else an
 * embedded Postgres in a temporary folder. The server runs on this process's main thread; all
 * clients (HTTP and the bare postgres.js client) on one worker thread (clients.ts), so the
 * server's thread does only server work, as in production, while the machine's cores are shared.
 * Results go to bench/api/out/results.json (gitignored); `--profile` also writes a CPU profile
 * of the server thread per phase there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ClientSetup, ClientTask, Rows, SingleResult, ThroughputMode } from './clients.ts';

// As deployed (deploy/Dockerfile, k8s, docker-compose): graphql-js skips its development-only
// checks in production. Set before the server modules load; NODE_ENV=development to compare.
process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger } = await import('../../packages/core/src/index.ts');
const { benchPostgres } = await import('../support/postgres.ts');
const { startServer } = await import('../../apps/server/src/index.ts');
const { createStream } = await import('../../packages/streams/src/index.ts');

const QUICK = process.argv.includes('--quick');
const PROFILE = process.argv.includes('--profile');
const N_FEATURES = 10;
const N_ESTIMATORS = 100;
const MAX_DEPTH = 10;
const BATCH = 1_000;
const CLIENTS = 4;
const TRAIN_ROWS = QUICK ? 5_000 : 20_000;
const SINGLE_REQUESTS = QUICK ? 800 : 3_000;
const ROUNDS = QUICK ? 2 : 3;
/** Batches per client per measured run. */
const BATCHES_PER_CLIENT = QUICK ? 3 : 6;
const TARGET_P50_MS = 1;
const TARGET_RATIO = 0.8;
/** Rows keyed by column name against the same rows sent positionally. */
const TARGET_RECORDS_RATIO = 0.8;

// ---------------------------------------------------------------------------------------------
// Data: the rotating-hyperplane stream with its weights frozen (a fixed rule over 10 features
// that axis-aligned trees approximate only with many splits, so they grow to their full depth).
const runRows = CLIENTS * BATCHES_PER_CLIENT * BATCH;
const warmRows = CLIENTS * BATCH;
const total = TRAIN_ROWS + SINGLE_REQUESTS + 3 * warmRows + ROUNDS * 2 * runRows;
const data = createStream('hyperplane', { seed: 7, nFeatures: N_FEATURES, magChange: 0, noise: 0.05 }).take(
  total,
);
let cursor = 0;
function nextRows(n: number): Rows {
  const rows = {
    features: data.features.slice(cursor, cursor + n),
    labels: data.labels.slice(cursor, cursor + n),
  };
  cursor += n;
  if (rows.features.length < n) throw new Error('bench data ran out: raise `total`');
  return rows;
}
function batches(n: number): Rows[] {
  return Array.from({ length: n / BATCH }, () => nextRows(BATCH));
}

// ---------------------------------------------------------------------------------------------
// The clients run on a worker thread (bench/api/clients.ts); `client` sends it one task.
let worker: Worker | null = null;
function client<T>(task: ClientTask): Promise<T> {
  return new Promise((resolve, reject) => {
    worker!.once('message', (answer: { ok: boolean; value?: T; error?: string }) =>
      answer.ok ? resolve(answer.value as T) : reject(new Error(`client worker: ${answer.error}`)),
    );
    worker!.postMessage(task);
  });
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

// ---------------------------------------------------------------------------------------------
// Phases: how busy the server's thread was (event-loop utilisation), and CPU profiles of it.
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const inspector = PROFILE ? new Session() : null;
inspector?.connect();
const phaseBusy: Record<string, { wallMs: number; busyMs: number }> = {};
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (inspector) {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const elu = performance.eventLoopUtilization();
  const wall = performance.now();
  try {
    return await run();
  } finally {
    const used = performance.eventLoopUtilization(elu);
    const entry = (phaseBusy[name] ??= { wallMs: 0, busyMs: 0 });
    entry.wallMs += performance.now() - wall;
    entry.busyMs += used.active;
    if (inspector) {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(path.join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
    }
  }
}

// ---------------------------------------------------------------------------------------------
const logger = createLogger('warn', { name: 'bench-api' });
const postgres = await benchPostgres();
const database = await postgres.freshDatabase();
const config = loadConfig({
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  PORT: '0',
  AUTH: 'on',
  WORKERS: 'false',
  // A benchmark client sends far more than the default 6,000 requests a minute.
  RATE_LIMIT_PER_MINUTE: '0',
  N_ESTIMATORS: String(N_ESTIMATORS),
  MAX_DEPTH: String(MAX_DEPTH),
  // The model described above: the fixed forest. The model search (the default budget) would
  // choose its own depth (unlimited on this stream: leaves 14 deep on average).
  AUTOML_BUDGET_SECONDS: '0',
  TRAIN_WINDOW: String(TRAIN_ROWS),
  MIN_TRAIN_ROWS: '500',
  CHECK_INTERVAL_SECONDS: '3600',
  DATABASE_URL: database.url,
});
const server = await startServer({ config, databaseUrl: database.url, logger, port: 0 });
const { platform } = server;

const single: SingleResult = { graphql: [], rest: [], floor: [], floorDurable: [] };
const rounds: {
  bare: number;
  ingest: number;
  predict: number;
  ingestRecords: number;
  predictRecords: number;
}[] = [];
let modelLine = '';
try {
  // The training set goes in through the ingest service; then version 1 trains in-process.
  for (const rows of batches(TRAIN_ROWS)) await platform.data.ingest({ ...rows, source: 'cli' });
  const trainStarted = performance.now();
  const { job } = await platform.drift.requestRetrain('bench');
  const trained = await platform.retrain.run(job.id);
  await platform.holder.refresh();
  const model = platform.holder.current;
  if (!trained.promoted || !model) throw new Error('the benchmark model was not promoted');
  modelLine =
    `model: version ${model.version}, ${model.forest.nTrees} trees, depth ≤ ${MAX_DEPTH}, ${model.nFeatures} features, ` +
    `${model.forest.nodeCounts.leaves.toLocaleString('en-US')} leaves, hold-out accuracy ${trained.version!.metrics.accuracy.toFixed(3)}, ` +
    `trained on ${TRAIN_ROWS.toLocaleString('en-US')} rows in ${((performance.now() - trainStarted) / 1000).toFixed(1)} s`;
  console.log(modelLine);

  const setup: ClientSetup = {
    baseUrl: server.url,
    authorization: `Bearer ${(await platform.apiKeys.create('bench', 'admin')).key}`,
    databaseUrl: database.url,
    clients: CLIENTS,
    modelVersion: model.version,
    predictionSyncCommit: config.data.predictionSyncCommit,
  };
  // Workers do not inherit tsx's loader: register it in the worker, then load the clients.
  const bootstrap = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
register();
await import(${JSON.stringify(new URL('./clients.ts', import.meta.url).href)});`;
  worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), {
    workerData: setup,
  });
  worker.on('error', (error) => console.error('client worker failed:', error));

  // 1. Single-row latency: GraphQL predict and the storage floor interleaved; REST and the durable
  // floor every third.
  const singles = nextRows(SINGLE_REQUESTS).features;
  await client({ kind: 'single', rows: singles.slice(0, 200), restEvery: 1 }); // warm-up
  Object.assign(
    single,
    await phase('single-predict', () =>
      client<SingleResult>({ kind: 'single', rows: singles, restEvery: 3 }),
    ),
  );
  for (const xs of Object.values(single) as number[][]) xs.sort((a, b) => a - b);

  // 2-4. Throughput rounds: bare insert, ingest (of the same rows) and batch predict.
  const [header] = await platform.db.sql<{ id: string }[]>`
    insert into batches (batch_id, row_count, labelled_count, source) values ('bench-bare', 0, 0, 'cli') returning id`;
  const batchPk = Number(header!.id);
  const run = (mode: ThroughputMode, rows: Rows[]) =>
    client<number>({ kind: 'throughput', mode, batches: rows, batchPk });
  const warm = batches(warmRows);
  await run('bare', warm);
  await run('ingest', warm);
  await run('predict', batches(warmRows));
  await run('predict-records', batches(warmRows));
  for (let r = 0; r < ROUNDS; r++) {
    const ingestRows = batches(runRows);
    const predictRows = batches(runRows);
    const bareRate = await phase('bare-insert', () => run('bare', ingestRows));
    const ingestRate = await phase('ingest', () => run('ingest', ingestRows));
    const predictRate = await phase('batch-predict', () => run('predict', predictRows));
    // The same rows again as records keyed by column name (new batch ids: stored again).
    const ingestRecords = await phase('ingest-records', () => run('ingest-records', ingestRows));
    const predictRecords = await phase('predict-records', () => run('predict-records', predictRows));
    rounds.push({ bare: bareRate, ingest: ingestRate, predict: predictRate, ingestRecords, predictRecords });
  }
} finally {
  if (worker) {
    await client({ kind: 'close' }).catch(() => {});
    await worker.terminate();
  }
  await server.stop(5_000);
  await database.drop();
  await postgres.stop();
}

// ---------------------------------------------------------------------------------------------
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const p50 = percentile(single.graphql, 0.5);
const floorP50 = percentile(single.floor, 0.5);
const bareRate = median(rounds.map((r) => r.bare));
const predictRatio = median(rounds.map((r) => r.predict / r.bare));
const ingestRatio = median(rounds.map((r) => r.ingest / r.bare));
const perRound = (k: keyof (typeof rounds)[number]) => rounds.map((r) => fmt(r[k])).join(' / ');
const ingestRecordsRatio = median(rounds.map((r) => r.ingestRecords / r.ingest));
const predictRecordsRatio = median(rounds.map((r) => r.predictRecords / r.predict));
const table: [string, string, string, string][] = [
  ['measure', 'result', 'target', ''],
  [
    'single-row predict p50 (GraphQL)',
    `${fmt(p50, 3)} ms, ${fmt(p50 / TARGET_P50_MS, 2)}× the target`,
    `< ${TARGET_P50_MS} ms`,
    verdict(p50 < TARGET_P50_MS),
  ],
  ['single-row predict p99 (GraphQL)', `${fmt(percentile(single.graphql, 0.99), 3)} ms`, '', ''],
  ['single-row predict p50 (REST /predict)', `${fmt(percentile(single.rest, 0.5), 3)} ms`, '', ''],
  [
    `storage floor: bare 1-row insert + ${config.data.predictionSyncCommit ? 'synchronous' : 'asynchronous'} commit (as predict), p50`,
    `${fmt(floorP50, 3)} ms (GraphQL predict p50 = floor + ${fmt(p50 - floorP50, 3)} ms)`,
    '',
    '',
  ],
  [
    'durable floor: the same insert, synchronous commit, p50',
    `${fmt(percentile(single.floorDurable, 0.5), 3)} ms`,
    '',
    '',
  ],
  [
    `predict, batches of ${BATCH}`,
    `${fmt(median(rounds.map((r) => r.predict)))} rows/s, ${fmt(predictRatio, 2)}× bare (rounds: ${perRound('predict')})`,
    `≥ ${TARGET_RATIO}× bare`,
    verdict(predictRatio >= TARGET_RATIO),
  ],
  [
    `ingest, batches of ${BATCH} (labelled, scored)`,
    `${fmt(median(rounds.map((r) => r.ingest)))} rows/s, ${fmt(ingestRatio, 2)}× bare (rounds: ${perRound('ingest')})`,
    `≥ ${TARGET_RATIO}× bare`,
    verdict(ingestRatio >= TARGET_RATIO),
  ],
  [
    `ingest of named records, batches of ${BATCH}`,
    `${fmt(median(rounds.map((r) => r.ingestRecords)))} rows/s, ${fmt(ingestRecordsRatio, 2)}× positional (rounds: ${perRound('ingestRecords')})`,
    `≥ ${TARGET_RECORDS_RATIO}× positional`,
    verdict(ingestRecordsRatio >= TARGET_RECORDS_RATIO),
  ],
  [
    `predict of named records, batches of ${BATCH}`,
    `${fmt(median(rounds.map((r) => r.predictRecords)))} rows/s, ${fmt(predictRecordsRatio, 2)}× positional (rounds: ${perRound('predictRecords')})`,
    `≥ ${TARGET_RECORDS_RATIO}× positional`,
    verdict(predictRecordsRatio >= TARGET_RECORDS_RATIO),
  ],
  [
    'bare postgres.js multi-row insert',
    `${fmt(bareRate)} rows/s (rounds: ${perRound('bare')})`,
    'reference',
    '',
  ],
];
const widths = [0, 1, 2].map((c) => Math.max(...table.map((r) => r[c]!.length)));
console.log(
  `\nautoml-stream API benchmark: ${CLIENTS} concurrent clients for throughput, ${ROUNDS} rounds; ` +
    `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}; Postgres: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'}; ` +
    `NODE_ENV=${process.env.NODE_ENV}\n`,
);
for (const r of table)
  console.log(
    r
      .map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell))
      .join('  ')
      .trimEnd(),
  );
console.log(
  `\nServer thread busy (event-loop utilisation) in each phase: ${Object.entries(phaseBusy)
    .map(([name, p]) => `${name} ${fmt((100 * p.busyMs) / p.wallMs)} %`)
    .join(', ')}`,
);
writeFileSync(
  path.join(outDir, 'results.json'),
  `${JSON.stringify(
    {
      model: modelLine,
      singleMs: {
        graphqlP50: p50,
        graphqlP99: percentile(single.graphql, 0.99),
        restP50: percentile(single.rest, 0.5),
        floorP50,
        floorDurableP50: percentile(single.floorDurable, 0.5),
      },
      rounds,
      ratios: { predict: predictRatio, ingest: ingestRatio },
      phaseBusy,
      clients: CLIENTS,
      batch: BATCH,
      quick: QUICK,
      load: loadavg(),
    },
    null,
    2,
  )}\n`,
);
process.exitCode = table.some((r) => r[3] === 'FAIL') ? 1 : 0;
