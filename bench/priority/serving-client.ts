/**
 * The client of `bench:serving`, in a worker thread: single-row `predict` calls one after the
 * other, each timed into the phase the main thread last named. Its own event loop and heap, as
 * a client in another process would have: a stall it sees is the server's, not its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { graphqlCaller } from '../support/platform.ts';

const PREDICT = 'mutation P($input: PredictInput!) { predict(input: $input) { modelVersion } }';
const { url, key, rows } = workerData as { url: string; key: string; rows: number[][] };
const call = graphqlCaller(url, key);
const latencies: Record<string, number[]> = {};
let phase: string | null = null;

parentPort!.on('message', (message: { phase: string } | { stop: true }) => {
  if ('stop' in message) phase = null;
  else phase = message.phase;
});

let next = 0;
while (true) {
  if (phase === null && next > 0) break;
  if (phase === null) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    continue;
  }
  const into = (latencies[phase] ??= []);
  const t0 = performance.now();
  await call(PREDICT, { input: { features: [rows[next++ % rows.length]] } });
  into.push(performance.now() - t0);
}
parentPort!.postMessage(latencies);
