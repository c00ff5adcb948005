/**
 * The service side of batch predict and ingest, without HTTP or GraphQL: the data service called
 * in-process with batches of 1,000 rows by CLIENTS concurrent callers, against the bare
 * postgres.js multi-row insert of the same rows made from the same thread (the reference of
 * bench:api). Everything runs on this process's main thread, so the process's CPU time per batch
 * is the service's own cost (validation, scoring, encoding, storage), to be compared with what
 * postgres.js costs to send the same rows as text. The process's CPU time per batch is printed
 * beside the rates: on a shared machine it varies far less than they do.
 *
 *   node --import tsx bench/api/service.ts [--quick]
 *
 * Postgres as bench:api (a fresh database on DATABASE_URL's server, else an embedded one).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger, Platform } = await import('../../packages/core/src/index.ts');
const { createDb } = await import('../../packages/db/src/index.ts');
const { benchPostgres } = await import('../support/postgres.ts');
const { createStream } = await import('../../packages/streams/src/index.ts');

const QUICK = process.argv.includes('--quick');
const PROFILE = process.argv.includes('--profile');
const BATCH = 1_000;
const CLIENTS = 4;
const N_FEATURES = 10;
const TRAIN_ROWS = QUICK ? 5_000 : 20_000;
const ROUNDS = QUICK ? 3 : 5;
const BATCHES_PER_RUN = QUICK ? 16 : 32;

type Rows = { features: number[][]; labels: number[] };
const runRows = BATCHES_PER_RUN * BATCH;
const total = TRAIN_ROWS + (ROUNDS + 1) * 2 * runRows;
const data = createStream('hyperplane', { seed: 7, nFeatures: N_FEATURES, magChange: 0, noise: 0.05 }).take(
  total,
);
let cursor = 0;
function batches(n: number): Rows[] {
  return Array.from({ length: n / BATCH }, () => {
    const rows = {
      features: data.features.slice(cursor, cursor + BATCH),
      labels: data.labels.slice(cursor, cursor + BATCH),
    };
    cursor += BATCH;
    return rows;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const logger = createLogger('warn', { name: 'bench-service' });
const postgres = await benchPostgres();
const database = await postgres.freshDatabase();
const config = loadConfig({
  LOG_LEVEL: 'warn',
  WORKERS: 'false',
  N_ESTIMATORS: '100',
  MAX_DEPTH: '10',
  TRAIN_WINDOW: String(TRAIN_ROWS),
  MIN_TRAIN_ROWS: '500',
  CHECK_INTERVAL_SECONDS: '3600',
  DATABASE_URL: database.url,
});
const platform = new Platform({ config, databaseUrl: database.url, logger, workers: false });
await platform.start();
const bare = createDb(database.url, { max: CLIENTS, applicationName: 'automl-stream:bench-bare' });

const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const inspector = PROFILE ? new Session() : null;
inspector?.connect();
await inspector?.post('Profiler.enable');
await inspector?.post('Profiler.setSamplingInterval', { interval: 100 });

/**
 * Rows/s and this process's CPU milliseconds per batch of `jobs` run by CLIENTS callers; with
 * --profile, the CPU profile of the run goes to out/service-<name>.cpuprofile.
 */
async function measure(
  name: string,
  jobs: (() => Promise<unknown>)[],
): Promise<{ rate: number; cpuMs: number }> {
  let next = 0;
  await inspector?.post('Profiler.start');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  if (inspector) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(path.join(outDir, `service-${name}.cpuprofile`), JSON.stringify(profile));
  }
  return { rate: (jobs.length * BATCH) / seconds, cpuMs: cpuMs / jobs.length };
}

const results: Record<'bare' | 'ingest' | 'predict', { rate: number; cpuMs: number }[]> = {
  bare: [],
  ingest: [],
  predict: [],
};
try {
  for (const rows of batches(TRAIN_ROWS)) await platform.data.ingest({ ...rows, source: 'cli' });
  const { job } = await platform.drift.requestRetrain('bench');
  const trained = await platform.retrain.run(job.id);
  await platform.holder.refresh();
  if (!trained.promoted || !platform.holder.current) throw new Error('the benchmark model was not promoted');
  const [header] = await platform.db.sql<{ id: string }[]>`
    insert into batches (batch_id, row_count, labelled_count, source) values ('bench-bare', 0, 0, 'cli') returning id`;
  const batchPk = Number(header!.id);
  const bareInsert = (rows: Rows) => {
    const records = rows.features.map((features, i) => ({
      batch_pk: batchPk,
      features,
      label: rows.labels[i]!,
    }));
    return bare.sql`insert into rows ${bare.sql(records, 'batch_pk', 'features', 'label')}`;
  };
  const run = {
    bare: (all: Rows[]) =>
      measure(
        'bare',
        all.map((rows) => () => bareInsert(rows)),
      ),
    ingest: (all: Rows[]) =>
      measure(
        'ingest',
        all.map((rows) => () => platform.data.ingest({ ...rows, source: 'cli' })),
      ),
    predict: (all: Rows[]) =>
      measure(
        'predict',
        all.map((rows) => () => platform.data.predict({ features: rows.features })),
      ),
  };
  // Warm-up: every path compiled before the clock runs.
  const warm = batches(runRows);
  await run.bare(warm);
  await run.ingest(warm);
  await run.predict(batches(runRows));
  for (let r = 1; r < ROUNDS; r++) {
    const ingestRows = batches(runRows);
    results.bare.push(await run.bare(ingestRows));
    results.ingest.push(await run.ingest(ingestRows));
    results.predict.push(await run.predict(ingestRows));
  }
} finally {
  await bare.close();
  await platform.stop();
  await database.drop();
  await postgres.stop();
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(
  `\nservice-side batch benchmark: ${CLIENTS} concurrent callers, batches of ${BATCH}, ${results.bare.length} rounds; ` +
    `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}; Postgres: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'}\n`,
);
for (const mode of ['bare', 'ingest', 'predict'] as const) {
  const rs = results[mode];
  const ratio = median(rs.map((r, i) => r.rate / results.bare[i]!.rate));
  console.log(
    `${mode.padEnd(8)} ${fmt(median(rs.map((r) => r.rate))).padStart(8)} rows/s  ${fmt(ratio, 2)}× bare  ` +
      `CPU ${fmt(median(rs.map((r) => r.cpuMs)), 2)} ms per batch  (rounds: ${rs.map((r) => fmt(r.rate)).join(' / ')})`,
  );
}
