/**
 * The benchmark's clients, on a worker thread of their own: HTTP clients of the API and the bare
 * postgres.js client of the reference insert. The server keeps the main thread to itself, as it
 * would in production where clients are other processes; building request JSON and parsing
 * answers is not counted against it. (The machine's cores are still shared.)
 *
 * Protocol: the parent posts a {@link ClientTask}; the worker answers with its result.
 */
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { createDb } from '../../packages/db/src/index.ts';
import { postJson } from '../support/post.ts';

export interface ClientSetup {
  baseUrl: string;
  authorization: string;
  databaseUrl: string;
  clients: number;
  modelVersion: number;
  /** The server's PREDICTION_SYNC_COMMIT: the storage floor commits the way its prediction inserts do. */
  predictionSyncCommit: boolean;
}
export type Rows = { features: number[][]; labels: number[] };
export type ThroughputMode = 'bare' | 'ingest' | 'predict' | 'ingest-records' | 'predict-records';

export type ClientTask =
  | { kind: 'single'; rows: number[][]; restEvery: number }
  | { kind: 'throughput'; mode: ThroughputMode; batches: Rows[]; batchPk: number }
  | { kind: 'close' };
export interface SingleResult {
  graphql: number[];
  rest: number[];
  /** The storage floor, committed as the server commits predictions (see ClientSetup). */
  floor: number[];
  /** The same insert with a durable (synchronous) commit, every third request. */
  floorDurable: number[];
}

const PREDICT =
  'mutation P($input: PredictInput!) { predict(input: $input) { modelVersion predictions { id label probabilities } } }';
const INGEST = 'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored scoredRows } }';

const setup = workerData as ClientSetup;
const agent = new Agent({ keepAlive: true, maxSockets: setup.clients * 2 });
const bare = createDb(setup.databaseUrl, { max: setup.clients, applicationName: 'automl-stream:bench-bare' });
/** The floor's connection: asynchronous commit unless the server's prediction inserts commit synchronously. */
const floorDb = createDb(setup.databaseUrl, {
  max: 1,
  applicationName: 'automl-stream:bench-floor',
  synchronousCommit: setup.predictionSyncCommit ? 'on' : 'off',
});

const post = (pathname: string, body: string) =>
  postJson(`${setup.baseUrl}${pathname}`, body, { agent, authorization: setup.authorization });

async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await post('/graphql', JSON.stringify({ query, variables }));
  const parsed = JSON.parse(res.body) as { data?: T; errors?: { message: string }[] };
  if (res.status !== 200 || parsed.errors?.length || !parsed.data) {
    throw new Error(`GraphQL request failed (${res.status}): ${res.body.slice(0, 500)}`);
  }
  return parsed.data;
}

const predictRows = async (features: number[][]) =>
  (await graphql<{ predict: { predictions: unknown[] } }>(PREDICT, { input: { features } })).predict
    .predictions.length;

/** The same rows keyed by column name (the positional schema names them f0, f1, ...). */
const toRecords = (features: number[][]) =>
  features.map((row) => Object.fromEntries(row.map((v, j) => [`f${j}`, v])));

async function ingestRecords(records: Record<string, number>[], labels: number[]) {
  const r = await graphql<{ ingest: { rowsStored: number } }>(INGEST, { input: { records, labels } });
  return r.ingest.rowsStored;
}

const predictRecords = async (records: Record<string, number>[]) =>
  (await graphql<{ predict: { predictions: unknown[] } }>(PREDICT, { input: { records } })).predict
    .predictions.length;

async function ingestRows(rows: Rows) {
  const r = await graphql<{ ingest: { rowsStored: number; scoredRows: number } }>(INGEST, { input: rows });
  if (r.ingest.scoredRows !== rows.labels.length) throw new Error('ingest did not score the labelled rows');
  return r.ingest.rowsStored;
}

async function bareInsert(rows: Rows, batchPk: number) {
  const records = rows.features.map((features, i) => ({
    batch_pk: batchPk,
    features,
    label: rows.labels[i]!,
  }));
  await bare.sql`insert into rows ${bare.sql(records, 'batch_pk', 'features', 'label')}`;
  return records.length;
}

/**
 * The storage floor: one prediction row inserted and committed, as predict does per request, on
 * `db` (the floor's pool commits as the server's prediction inserts do; `bare` durably).
 */
function floorInsert(db: typeof bare, row: number[]) {
  const record = { features: row, label: 1, probabilities: [0.25, 0.75], model_version: setup.modelVersion };
  return db.sql`insert into predictions ${db.sql([record], 'features', 'label', 'probabilities', 'model_version')} returning id`;
}

async function restPredict(row: number[]) {
  const res = await post('/predict', JSON.stringify({ features: [row] }));
  if (res.status !== 200) throw new Error(`REST predict failed: ${res.body}`);
}

async function timed(into: number[], run: () => Promise<unknown>) {
  const t = performance.now();
  await run();
  into.push(performance.now() - t);
}

/**
 * Sequential single-row requests: GraphQL predict and the storage floor interleaved; REST and the
 * durable floor every `restEvery`.
 */
async function single(rows: number[][], restEvery: number): Promise<SingleResult> {
  const result: SingleResult = { graphql: [], rest: [], floor: [], floorDurable: [] };
  for (const [i, row] of rows.entries()) {
    await timed(result.graphql, () => predictRows([row]));
    await timed(result.floor, () => floorInsert(floorDb, row));
    if (i % restEvery === 0) {
      await timed(result.rest, () => restPredict(row));
      await timed(result.floorDurable, () => floorInsert(bare, row));
    }
  }
  return result;
}

/** The batches on `clients` concurrent clients; rows/s over the wall time. */
async function throughput(jobs: (() => Promise<number>)[]): Promise<number> {
  let next = 0;
  let rows = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: setup.clients }, async () => {
      while (next < jobs.length) {
        // Not `rows += await job()`: that reads `rows` before awaiting and loses the other
        // clients' additions made meanwhile.
        const stored = await jobs[next++]!();
        rows += stored;
      }
    }),
  );
  return rows / ((performance.now() - started) / 1000);
}

/** One batch of a throughput run; records are built before the clock starts. */
function job(mode: ThroughputMode, rows: Rows, batchPk: number): () => Promise<number> {
  if (mode === 'bare') return () => bareInsert(rows, batchPk);
  if (mode === 'ingest') return () => ingestRows(rows);
  if (mode === 'predict') return () => predictRows(rows.features);
  const records = toRecords(rows.features);
  return mode === 'ingest-records'
    ? () => ingestRecords(records, rows.labels)
    : () => predictRecords(records);
}

parentPort!.on('message', async (task: ClientTask) => {
  try {
    if (task.kind === 'close') {
      agent.destroy();
      await bare.close();
      await floorDb.close();
      parentPort!.postMessage({ ok: true });
      return;
    }
    if (task.kind === 'single') {
      parentPort!.postMessage({ ok: true, value: await single(task.rows, task.restEvery) });
      return;
    }
    const jobs = task.batches.map((rows) => job(task.mode, rows, task.batchPk));
    parentPort!.postMessage({ ok: true, value: await throughput(jobs) });
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.stack : String(error) });
  }
});
