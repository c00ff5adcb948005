/**
 * Predictions while the platform retrains: single-row `predict` latency over GraphQL on a real
 * port, first with nothing training, then while a retrain searches (AUTOML_BUDGET_SECONDS 6) on a
 * wide window (12,000 labelled rows × 64 features), in the same run on the same server. The
 * retrain runs in the server's own process, as `pnpm start` runs it: its search's worker threads
 * at SEARCH_NICE, its binning and out-of-bag scores on the thread that answers the predictions.
 * The client runs in a worker thread of its own (serving-client.ts): its event loop and heap are
 * not the server's, so the latencies are the server's stalls, not the client's own.
 *
 *   pnpm bench:serving                        # 3 rounds of (idle, retrain)
 *   pnpm bench:serving -- --rounds 2 --set SEARCH_NICE=0
 *
 * Printed per phase: requests, p50, p99 and the longest answer in milliseconds. PASS: p99 while
 * retraining at most 10× p99 idle. On the code before this benchmark (training workers that asked
 * the main thread for each tree, binning and out-of-bag predictions in one block, a search at
 * normal priority) the same run printed the figures in docs/architecture.md "Training".
 * Postgres: a fresh database on DATABASE_URL's server when set, else an embedded one.
 */
import { cpus, loadavg } from 'node:os';
import { numberArg, settingArgs } from '../support/args.ts';
import { tsWorker } from '../support/worker.ts';

process.env.NODE_ENV ??= 'production';
const { createLogger } = await import('../../packages/core/src/index.ts');
const { benchPostgres } = await import('../support/postgres.ts');
const { startBenchPlatform } = await import('../support/platform.ts');
const { makeSyntheticDataset, toRowArrays } = await import('../../packages/ml/src/synthetic.ts');

const ROUNDS = numberArg('rounds', 3);
const IDLE_SECONDS = numberArg('idle-seconds', 4);
const settings = settingArgs();

const ROWS = 12_000;
const FEATURES = 64;
const data = makeSyntheticDataset({ nRows: ROWS, nFeatures: FEATURES, seed: 21 });
const rows = toRowArrays(data.features, FEATURES);
const labels = Array.from(data.labels);

const INGEST = 'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored } }';
const PREDICT = 'mutation P($input: PredictInput!) { predict(input: $input) { modelVersion } }';
const RETRAIN = 'mutation { retrain(reason: "bench: serving while retraining") { job { id } } }';
const JOB = 'query J($id: ID!) { trainingJob(id: $id) { status } }';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const logger = createLogger('warn', { name: 'bench-serving' });
const pg = await benchPostgres();
const db = await pg.freshDatabase();
const platform = await startBenchPlatform(db.url, logger, {
  AUTOML_BUDGET_SECONDS: '6',
  MIN_TRAIN_ROWS: '1000',
  TRAIN_WINDOW: String(ROWS),
  GROWTH_RETRAIN_ROWS: '0',
  CHECK_INTERVAL_SECONDS: '3600',
  ...settings,
});
const { call } = platform;
let failures = 0;
try {
  for (let at = 0; at < ROWS; at += 1000) {
    await call(INGEST, {
      input: { features: rows.slice(at, at + 1000), labels: labels.slice(at, at + 1000) },
    });
  }
  // The bootstrap trains by itself; wait until a model answers.
  for (let waited = 0; ; waited += 0.5) {
    const answer = await call<{ predict: { modelVersion: number | null } }>(PREDICT, {
      input: { features: [rows[0]] },
    }).catch(() => null);
    if (answer?.predict.modelVersion) break;
    if (waited > 120) throw new Error('no model after 120 s');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const client = tsWorker(new URL('./serving-client.ts', import.meta.url), {
    workerData: { url: platform.server.url, key: platform.key, rows: rows.slice(0, 2000) },
  });
  const measured = new Promise<Record<string, number[]>>((resolve, reject) => {
    client.once('message', resolve);
    client.once('error', reject);
  });
  for (let round = 0; round < ROUNDS; round++) {
    client.postMessage({ phase: 'idle' });
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const { retrain } = await call<{ retrain: { job: { id: string } } }>(RETRAIN);
    client.postMessage({ phase: 'retraining' });
    let status = 'QUEUED';
    while (status === 'QUEUED' || status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await call<{ trainingJob: { status: string } }>(JOB, { id: retrain.job.id })).trainingJob
        .status;
    }
    process.stdout.write(`  round ${round + 1}/${ROUNDS}: retrain ${retrain.job.id} ${status}\n`);
  }
  client.postMessage({ stop: true });
  const latencies = await measured;
  await client.terminate();
  const phases = { idle: latencies.idle ?? [], retraining: latencies.retraining ?? [] };
  const print = (name: string, xs: number[]) =>
    console.log(
      `${name.padEnd(11)} ${xs.length} requests: p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, longest ${Math.max(...xs).toFixed(1)} ms, over 50 ms ${xs.filter((x) => x > 50).length} (${(xs.filter((x) => x > 50).reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s in all)`,
    );
  print('idle', phases.idle);
  print('retraining', phases.retraining);
  const ratio = quantile(phases.retraining, 0.99) / quantile(phases.idle, 0.99);
  const pass = ratio <= 10;
  if (!pass) failures++;
  console.log(`p99 while retraining / idle: ${ratio.toFixed(1)}×  ${pass ? 'PASS' : 'FAIL'} (≤ 10×)`);
} finally {
  await platform.server.stop(5_000);
  await db.drop();
  await pg.stop();
}
console.log(
  `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${failures ? `FAIL: ${failures}` : 'all PASS'}`,
);
process.exitCode = failures ? 1 : 0;
