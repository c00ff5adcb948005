/**
 * The scale-out benchmark's load generator, a process of its own (run by bench/scale/run.ts).
 * A fixed number of closed-loop clients, spread round-robin over the server replicas' URLs; each
 * repeats a fixed mix: three `predict` calls of 10 rows, then one labelled `ingest` of 100 rows.
 * After the warm-up it prints `measuring`, and at the end one JSON line with what it counted in
 * the measured span (requests, rows, failures, latency percentiles).
 *
 * Input: the environment variable SCALE_LOAD (JSON of {@link LoadSetup}).
 */
import { Agent } from 'node:http';
import { createStream } from '../../packages/streams/src/index.ts';
import { postJson } from '../support/post.ts';

export interface LoadSetup {
  urls: string[];
  authorization: string;
  clients: number;
  warmupMs: number;
  measureMs: number;
}
export interface LoadResult {
  seconds: number;
  requests: number;
  predicts: number;
  ingests: number;
  rows: number;
  failed: number;
  firstError: string | null;
  p50Ms: number;
  p99Ms: number;
}

const PREDICT = 'mutation P($input: PredictInput!) { predict(input: $input) { predictions { id } } }';
const INGEST = 'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored } }';
const PREDICT_ROWS = 10;
const INGEST_ROWS = 100;

const setup = JSON.parse(process.env.SCALE_LOAD ?? '') as LoadSetup;
const agent = new Agent({ keepAlive: true, maxSockets: setup.clients });
const stream = createStream('hyperplane', { seed: 7, nFeatures: 10, magChange: 0.001, noise: 0.05 });
// A pool of rows made up front: building them is not part of the load.
const pool = stream.take(20_000);
let cursor = 0;
const take = (n: number) => {
  const start = (cursor += n) % (pool.features.length - n);
  return { features: pool.features.slice(start, start + n), labels: pool.labels.slice(start, start + n) };
};

let measuring = false;
let stopping = false;
const latencies: number[] = [];
const counts = { predicts: 0, ingests: 0, rows: 0, failed: 0 };
let firstError: string | null = null;

async function call(url: string, kind: 'predict' | 'ingest', rows: number): Promise<void> {
  const batch = take(rows);
  const body =
    kind === 'predict'
      ? JSON.stringify({ query: PREDICT, variables: { input: { features: batch.features } } })
      : JSON.stringify({ query: INGEST, variables: { input: batch } });
  const started = performance.now();
  let ok = false;
  try {
    const res = await postJson(`${url}/graphql`, body, { agent, authorization: setup.authorization });
    ok = res.status === 200 && !res.body.includes('"errors"');
    if (!ok) firstError ??= `${kind}: HTTP ${res.status} ${res.body.slice(0, 300)}`;
  } catch (error) {
    firstError ??= `${kind}: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!measuring) return;
  latencies.push(performance.now() - started);
  if (!ok) counts.failed++;
  else if (kind === 'predict') {
    counts.predicts++;
    counts.rows += rows;
  } else {
    counts.ingests++;
    counts.rows += rows;
  }
}

async function client(index: number): Promise<void> {
  const url = setup.urls[index % setup.urls.length]!;
  while (!stopping) {
    for (let i = 0; i < 3 && !stopping; i++) await call(url, 'predict', PREDICT_ROWS);
    if (!stopping) await call(url, 'ingest', INGEST_ROWS);
  }
}

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]! : Number.NaN;
};

const clients = Array.from({ length: setup.clients }, (_, i) => client(i));
await new Promise((r) => setTimeout(r, setup.warmupMs));
measuring = true;
const started = performance.now();
process.stdout.write('measuring\n');
await new Promise((r) => setTimeout(r, setup.measureMs));
measuring = false;
const seconds = (performance.now() - started) / 1000;
process.stdout.write('measured\n');
stopping = true;
await Promise.all(clients);
agent.destroy();
const result: LoadResult = {
  seconds,
  requests: counts.predicts + counts.ingests + counts.failed,
  ...counts,
  firstError,
  p50Ms: percentile(latencies, 0.5),
  p99Ms: percentile(latencies, 0.99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
