/**
 * The soak benchmark's clients, on a worker thread (the server keeps the main thread, as in
 * production where clients are other processes). A steady mixed load until told to stop:
 * single-row `predict` at a fixed rate, labelled `ingest` batches, `submitFeedback` on a share of
 * the predictions, and a dashboard-like `stats` read. Every request's latency goes back to the
 * parent with its time, so the parent can compare the first and last minutes.
 */
import { Agent } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { createStream } from '../../packages/streams/src/index.ts';
import { postJson } from '../support/post.ts';

export interface LoadSetup {
  baseUrl: string;
  authorization: string;
  predictsPerSecond: number;
  ingestRowsPerSecond: number;
  feedbackShare: number;
}
/** One request: when it started (epoch ms), how long it took (ms), what it was, and whether it worked. */
export interface Sample {
  at: number;
  ms: number;
  kind: 'predict' | 'ingest' | 'feedback' | 'stats';
  ok: boolean;
  /** What went wrong, for a failed request: the first GraphQL error's message, or the HTTP status. */
  error?: string;
}

const PREDICT = 'mutation P($input: PredictInput!) { predict(input: $input) { predictions { id } } }';
const INGEST = 'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored } }';
const FEEDBACK = 'mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated } }';
const STATS = '{ stats { predictionsTotal rowsIngested driftChecks retrains modelVersions } }';

const setup = workerData as LoadSetup;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
// Gradual concept drift all along: drift checks find it, retrains follow.
const stream = createStream('hyperplane', { seed: 11, nFeatures: 10, magChange: 0.002, noise: 0.05 })[
  Symbol.iterator
]();
let samples: Sample[] = [];
let stopping = false;
const pendingFeedback: { id: string; label: number }[] = [];

async function post(body: string): Promise<{ status: number; text: string }> {
  const res = await postJson(`${setup.baseUrl}/graphql`, body, { agent, authorization: setup.authorization });
  return { status: res.status, text: res.body };
}

async function call(kind: Sample['kind'], query: string, variables: object): Promise<unknown> {
  const at = Date.now();
  const started = performance.now();
  let ok = false;
  let error: string | undefined = 'no answer';
  let data: unknown = null;
  try {
    const res = await post(JSON.stringify({ query, variables }));
    const parsed = JSON.parse(res.text) as { data?: unknown; errors?: { message: string }[] };
    ok = res.status === 200 && !parsed.errors;
    error = ok ? undefined : (parsed.errors?.[0]?.message ?? `HTTP ${res.status}`);
    data = parsed.data;
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
    throw thrown;
  } finally {
    samples.push({
      at,
      ms: performance.now() - started,
      kind,
      ok,
      ...(error ? { error: `${kind}: ${error}` } : {}),
    });
  }
  return data;
}

const next = () => stream.next().value as { features: number[]; label: number };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `step` every `periodMs` (from start to start) until stopped; a slow step delays the next. */
async function every(periodMs: number, step: () => Promise<unknown>): Promise<void> {
  let due = performance.now();
  while (!stopping) {
    await step().catch(() => {});
    due += periodMs;
    await sleep(Math.max(0, due - performance.now()));
  }
}

async function predictOne(): Promise<void> {
  const s = next();
  const data = (await call('predict', PREDICT, { input: { features: [s.features] } })) as {
    predict?: { predictions: { id: string }[] };
  } | null;
  const id = data?.predict?.predictions[0]?.id;
  if (id && Math.random() < setup.feedbackShare) pendingFeedback.push({ id, label: s.label });
}

async function ingestOne(): Promise<void> {
  const rows = Array.from({ length: setup.ingestRowsPerSecond }, next);
  await call('ingest', INGEST, {
    input: { features: rows.map((r) => r.features), labels: rows.map((r) => r.label) },
  });
}

async function feedbackAll(): Promise<void> {
  const batch = pendingFeedback.splice(0);
  if (batch.length === 0) return;
  await call('feedback', FEEDBACK, {
    input: { predictionIds: batch.map((b) => b.id), labels: batch.map((b) => b.label) },
  });
}

const loops = [
  every(1000 / setup.predictsPerSecond, predictOne),
  every(1000, ingestOne),
  every(2000, feedbackAll),
  every(5000, () => call('stats', STATS, {})),
];

parentPort!.on('message', async (message: 'flush' | 'stop') => {
  if (message === 'stop') {
    stopping = true;
    await Promise.all(loops);
    agent.destroy();
  }
  const out = samples;
  samples = [];
  parentPort!.postMessage(out);
});
