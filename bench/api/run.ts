/**
 * API benchmark over loopback HTTP, against the real server with a trained model loaded
 * (100 trees, depth 10, 10 features) and auth on (an admin key on every request):
 *
 * - single-row `predict` latency p50/p99 over GraphQL (sequential requests; each prediction is
 *   stored, with its commit, before the answer: "including storage"). Target: p50 < 2 ms.
 *   Measured interleaved with the storage floor: the same single-row insert + commit straight
 *   through postgres.js, and with REST `POST /predict`.
 * - `predict` throughput in rows/s, batches of 1,000 rows, CLIENTS concurrent clients.
 * - `ingest` throughput in rows/s, batches of 1,000 labelled rows (scored by the model before
 *   they are stored: test-then-train), CLIENTS concurrent clients.
 * - the reference: a bare multi-row insert of the same rows through postgres.js
 *   (`insert into rows ${sql(rows, ...)}`), batches of 1,000, CLIENTS concurrent connections, on
 *   the same database. Target: batch predict and ingest ≥ 50 % of its rate.
 *
 * Throughputs are measured in ROUNDS rounds of (bare insert, ingest, predict) back to back, so
 * each ratio compares runs made under the same machine load; the reported ratio is the median
 * of the per-round ratios.
 *
 *   node --import tsx bench/api/run.ts [--quick] [--profile]        (or: pnpm bench:api)
 *
 * Postgres: a fresh database on DATABASE_URL's server when set (dropped at the end), else an
 * embedded Postgres in a temporary folder. Server and clients share this one Node process, so
 * client work is counted against the server: the figures are conservative. Results go to
 * bench/api/out/results.json (gitignored); `--profile` also writes a CPU profile per phase there.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// As deployed (deploy/Dockerfile, k8s, docker-compose): graphql-js skips its development-only
// checks in production. Set before the server modules load; NODE_ENV=development to compare.
process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger } = await import('../../packages/core/src/index.ts');
const { createDb, runMigrations, startEmbeddedPostgres } = await import('../../packages/db/src/index.ts');
const { createTestDatabase } = await import('../../packages/db/src/testing.ts');
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
const TARGET_P50_MS = 2;
const TARGET_RATIO = 0.5;

// ---------------------------------------------------------------------------------------------
// Data: the rotating-hyperplane stream with its weights frozen (a fixed rule over 10 features
// that axis-aligned trees approximate only with many splits, so they grow to their full depth).
const runRows = CLIENTS * BATCHES_PER_CLIENT * BATCH;
const warmRows = CLIENTS * BATCH;
const total = TRAIN_ROWS + SINGLE_REQUESTS + 2 * warmRows + ROUNDS * 2 * runRows;
const data = createStream('hyperplane', { seed: 7, nFeatures: N_FEATURES, magChange: 0, noise: 0.05 }).take(
  total,
);
let cursor = 0;
type Rows = { features: number[][]; labels: number[] };
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
// HTTP over one keep-alive agent (node:http is leaner than fetch, so less client time is counted).
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });
let baseUrl = '';
let authorization = '';
function post(pathname: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${pathname}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await post('/graphql', JSON.stringify({ query, variables }));
  const parsed = JSON.parse(res.body) as { data?: T; errors?: { message: string }[] };
  if (res.status !== 200 || parsed.errors?.length || !parsed.data) {
    throw new Error(`GraphQL request failed (${res.status}): ${res.body.slice(0, 500)}`);
  }
  return parsed.data;
}

const PREDICT =
  'mutation P($input: PredictInput!) { predict(input: $input) { modelVersion predictions { id label probabilities } } }';
const INGEST = 'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored scoredRows } }';

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Runs the jobs on `CLIENTS` concurrent workers; returns rows/s over the wall time. */
async function throughput(jobs: (() => Promise<number>)[]): Promise<number> {
  let next = 0;
  let rows = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < jobs.length) rows += await jobs[next++]!();
    }),
  );
  return rows / ((performance.now() - started) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Phases: Node CPU share of each (server and clients share the process), and CPU profiles.
const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const inspector = PROFILE ? new Session() : null;
inspector?.connect();
const phaseCpu: Record<string, { wallMs: number; nodeCpuMs: number }> = {};
async function phase<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (inspector) {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const cpu = process.cpuUsage();
  const wall = performance.now();
  try {
    return await run();
  } finally {
    const used = process.cpuUsage(cpu);
    const entry = (phaseCpu[name] ??= { wallMs: 0, nodeCpuMs: 0 });
    entry.wallMs += performance.now() - wall;
    entry.nodeCpuMs += (used.user + used.system) / 1000;
    if (inspector) {
      const { profile } = await inspector.post('Profiler.stop');
      writeFileSync(path.join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
    }
  }
}

// ---------------------------------------------------------------------------------------------
const logger = createLogger('warn', { name: 'bench-api' });
const tempDir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), 'automl-bench-'));
const embedded = tempDir ? await startEmbeddedPostgres({ dataDir: tempDir }) : null;
const database = await createTestDatabase(process.env.DATABASE_URL ?? embedded!.url, {
  migrate: false,
  prefix: 'automl_bench',
});
await runMigrations(database.url);
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
  TRAIN_WINDOW: String(TRAIN_ROWS),
  MIN_TRAIN_ROWS: '500',
  CHECK_INTERVAL_SECONDS: '3600',
  DATABASE_URL: database.url,
});
const server = await startServer({ config, databaseUrl: database.url, logger, port: 0 });
const { platform } = server;
baseUrl = server.url;
authorization = `Bearer ${(await platform.apiKeys.create('bench', 'admin')).key}`;
const bare = createDb(database.url, { max: CLIENTS, applicationName: 'automl-stream:bench-bare' });

const single = { graphql: [] as number[], rest: [] as number[], floor: [] as number[] };
const rounds: { bare: number; ingest: number; predict: number }[] = [];
let modelLine = '';
try {
  // The training set goes in through the API; then version 1 trains in-process.
  for (const rows of batches(TRAIN_ROWS)) await graphql(INGEST, { input: rows });
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

  // 1. Single-row latency: GraphQL predict, the storage floor and REST predict, interleaved.
  const singles = nextRows(SINGLE_REQUESTS).features;
  const timed = async (into: number[], run: () => Promise<unknown>) => {
    const t = performance.now();
    await run();
    into.push(performance.now() - t);
  };
  const graphqlOne = (row: number[]) => graphql(PREDICT, { input: { features: [row] } });
  const restOne = async (row: number[]) => {
    const res = await post('/predict', JSON.stringify({ features: [row] }));
    if (res.status !== 200) throw new Error(`REST predict failed: ${res.body}`);
  };
  const floorOne = (row: number[]) => {
    const record = { features: row, label: 1, probabilities: [0.25, 0.75], model_version: model.version };
    return bare.sql`insert into predictions ${bare.sql([record], 'features', 'label', 'probabilities', 'model_version')} returning id`;
  };
  for (const row of singles.slice(0, 200)) await Promise.all([graphqlOne(row), restOne(row), floorOne(row)]);
  await phase('single-predict', async () => {
    for (const [i, row] of singles.entries()) {
      await timed(single.graphql, () => graphqlOne(row));
      await timed(single.floor, () => floorOne(row));
      if (i % 3 === 0) await timed(single.rest, () => restOne(row));
    }
  });
  for (const xs of Object.values(single)) xs.sort((a, b) => a - b);

  // 2-4. Throughput rounds: bare insert, ingest (of the same rows) and batch predict.
  const [header] = await bare.sql<{ id: string }[]>`
    insert into batches (batch_id, row_count, labelled_count, source) values ('bench-bare', 0, 0, 'cli') returning id`;
  const batchPk = Number(header!.id);
  const bareJob = (rows: Rows) => async () => {
    const records = rows.features.map((features, i) => ({
      batch_pk: batchPk,
      features,
      label: rows.labels[i]!,
    }));
    await bare.sql`insert into rows ${bare.sql(records, 'batch_pk', 'features', 'label')}`;
    return records.length;
  };
  const ingestJob = (rows: Rows) => async () => {
    const r = await graphql<{ ingest: { rowsStored: number; scoredRows: number } }>(INGEST, { input: rows });
    if (r.ingest.scoredRows !== rows.labels.length) throw new Error('ingest did not score the labelled rows');
    return r.ingest.rowsStored;
  };
  const predictJob = (rows: Rows) => async () => {
    const r = await graphql<{ predict: { predictions: unknown[] } }>(PREDICT, {
      input: { features: rows.features },
    });
    return r.predict.predictions.length;
  };
  const warm = batches(warmRows);
  await throughput(warm.map(bareJob));
  await throughput(warm.map(ingestJob));
  await throughput(batches(warmRows).map(predictJob));
  for (let r = 0; r < ROUNDS; r++) {
    const ingestRows = batches(runRows);
    const predictRows = batches(runRows);
    const bareRate = await phase('bare-insert', () => throughput(ingestRows.map(bareJob)));
    const ingestRate = await phase('ingest', () => throughput(ingestRows.map(ingestJob)));
    const predictRate = await phase('batch-predict', () => throughput(predictRows.map(predictJob)));
    rounds.push({ bare: bareRate, ingest: ingestRate, predict: predictRate });
  }
} finally {
  await bare.close();
  await server.stop(5_000);
  await database.drop();
  agent.destroy();
  await embedded?.stop();
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
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
const perRound = (k: 'bare' | 'ingest' | 'predict') => rounds.map((r) => fmt(r[k])).join(' / ');
const table: [string, string, string, string][] = [
  ['measure', 'result', 'target', ''],
  [
    'single-row predict p50 (GraphQL)',
    `${fmt(p50, 3)} ms`,
    `< ${TARGET_P50_MS} ms`,
    verdict(p50 < TARGET_P50_MS),
  ],
  ['single-row predict p99 (GraphQL)', `${fmt(percentile(single.graphql, 0.99), 3)} ms`, '', ''],
  ['single-row predict p50 (REST /predict)', `${fmt(percentile(single.rest, 0.5), 3)} ms`, '', ''],
  [
    'storage floor: bare 1-row insert + commit, p50',
    `${fmt(floorP50, 3)} ms (GraphQL predict p50 = floor + ${fmt(p50 - floorP50, 3)} ms)`,
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
  `\nNode CPU (server and clients, one process) as a share of each phase's wall time: ${Object.entries(
    phaseCpu,
  )
    .map(([name, p]) => `${name} ${fmt((100 * p.nodeCpuMs) / p.wallMs)} %`)
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
      },
      rounds,
      ratios: { predict: predictRatio, ingest: ingestRatio },
      phaseCpu,
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
