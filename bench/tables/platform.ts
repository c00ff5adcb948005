/**
 * Tables as people have them, through the platform as a person would use it, against a careful
 * scikit-learn pipeline on the same rows.
 *
 * bench/tables/make_tables.py (run with /usr/bin/python3) writes four tables from scikit-learn's
 * bundled data with seeded, documented damage: "NA" gaps and malignant/benign classes (medical),
 * y/n answers with empty cells (survey), words and "?" among pixel counts with letter classes
 * (letters), and iris with its species names (flowers); a 70/30 stratified split; and the test
 * accuracy of scikit-learn's RandomForest after median imputation with a missing indicator and
 * one-hot encoding, its depth and max_features chosen by 3-fold cross-validation.
 *
 * For each table: a fresh database and server; `automl-stream ingest <table>.train.csv
 * --label-column class` (the CLI, as a child process: the schema is inferred from the file); one
 * training run with the platform's settings (100 trees, depth 10, sqrt features, the newest
 * HOLDOUT_FRACTION of the rows held out to score it); `automl-stream predict <table>.test.csv -o`
 * and its accuracy against the class column. Target: no worse than the reference by more than
 * 1 point, per table.
 *
 *   node --import tsx bench/tables/platform.ts        (or: pnpm bench:tables)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger } = await import('../../packages/core/src/index.ts');
const { benchPostgres } = await import('../support/postgres.ts');
const { startServer } = await import('../../apps/server/src/index.ts');

const TABLES = ['medical', 'survey', 'letters', 'flowers'];
const TARGET_POINTS = 1;
const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const repoRoot = here('../../');
const outDir = here('./out/');
mkdirSync(outDir, { recursive: true });

console.log('writing the tables and scoring the scikit-learn reference (3-fold CV) ...');
execFileSync('/usr/bin/python3', [here('./make_tables.py'), outDir], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const reference = JSON.parse(readFileSync(path.join(outDir, 'reference.json'), 'utf8')) as Record<
  string,
  { accuracy: number; rows: number; classes: number; params: Record<string, unknown> }
>;

/** The CLI as a child process (asynchronously: the server it talks to runs in this process). */
async function cli(args: string[], env: Record<string, string>): Promise<string> {
  try {
    const run = await execFileAsync(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return run.stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    throw new Error(`automl-stream ${args.join(' ')}: ${stderr.trim().split('\n').at(-1)}`);
  }
}

const logger = createLogger('warn', { name: 'bench-tables' });
const postgres = await benchPostgres();

/** One table on a fresh platform: ingest with the CLI, train once, predict the test file. */
async function runTable(name: string) {
  const database = await postgres.freshDatabase();
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    MIN_TRAIN_ROWS: '50',
    DATABASE_URL: database.url,
  });
  const server = await startServer({ config, databaseUrl: database.url, logger, port: 0 });
  try {
    const key = (await server.platform.apiKeys.create('bench', 'admin')).key;
    const env = { AUTOML_URL: server.url, AUTOML_API_KEY: key };
    await cli(['ingest', path.join(outDir, `${name}.train.csv`), '--label-column', 'class'], env);
    const { job } = await server.platform.drift.requestRetrain('bench');
    const trained = await server.platform.retrain.run(job.id);
    if (!trained.promoted) throw new Error(`${name}: the model was not promoted`);
    await server.platform.holder.refresh();
    const out = path.join(outDir, `${name}.predicted.csv`);
    const said = await cli(
      ['predict', path.join(outDir, `${name}.test.csv`), '-o', out, '--label-column', 'class'],
      env,
    );
    const accuracy = Number(/accuracy against column "class": ([\d.]+)/.exec(said)?.[1]);
    const schema = await server.platform.schemas.current();
    const kinds: Record<string, number> = {};
    for (const c of schema!.columns) kinds[c.type] = (kinds[c.type] ?? 0) + 1;
    return { accuracy, columns: kinds, classes: schema!.label.classes.length };
  } finally {
    await server.stop(5_000);
    await database.drop();
  }
}

const rows: { table: string; ours: number; ref: number; columns: Record<string, number> }[] = [];
try {
  for (const name of TABLES) {
    const r = await runTable(name);
    rows.push({ table: name, ours: r.accuracy, ref: reference[name]!.accuracy, columns: r.columns });
  }
} finally {
  await postgres.stop();
}

console.log(
  `\ntables through the platform (CLI ingest + predict) vs scikit-learn with 3-fold CV; ${cpus().length} CPUs\n`,
);
console.log(
  'table     rows  classes  columns (as inferred)                 platform  scikit-learn  gap (points)  target',
);
for (const r of rows) {
  const ref = reference[r.table]!;
  const gap = (r.ref - r.ours) * 100;
  const cols = Object.entries(r.columns)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  console.log(
    `${r.table.padEnd(9)} ${String(ref.rows).padStart(4)}  ${String(ref.classes).padStart(7)}  ${cols.padEnd(36)}  ${r.ours.toFixed(3).padStart(8)}  ${r.ref.toFixed(3).padStart(12)}  ${gap.toFixed(1).padStart(12)}  ${gap <= TARGET_POINTS ? 'PASS' : 'FAIL'}`,
  );
}
writeFileSync(
  path.join(outDir, 'platform-results.json'),
  `${JSON.stringify({ rows, reference }, null, 1)}\n`,
);
