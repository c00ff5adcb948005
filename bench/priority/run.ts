/**
 * A training in the background: a growth retrain's search grows forests on every core for
 * AUTOML_BUDGET_SECONDS, and the thread that serves predictions, ingests rows and runs drift
 * checks competes with it for those cores. The search's worker threads run at nice SEARCH_NICE
 * (10) so that they take only what the rest leaves. This benchmark measures what that changes,
 * in one process, alternating:
 *
 * - the foreground: a busy main thread, as during a replay (ingest, scoring, checks): requests
 *   of `--rows` single-row predictions of a 100-tree forest, back to back (the event loop turns
 *   between them; `--gap` milliseconds of rest between requests instead), each timed wall-clock;
 * - the background: forests of 100 trees grown back to back on every core, as a search does
 *   (`--train-rows` rows × 20 features), at nice 0 or at nice 10, or no training at all.
 *
 *   pnpm bench:priority                     # 3 rounds of the three phases, 5 s each
 *   pnpm bench:priority -- --rounds 5 --seconds 8 --gap 20
 *
 * Phases: the foreground alone, the training alone, both with the training at nice 0, both at
 * nice 10. Printed per phase: the foreground's requests per second (against alone), median and
 * 95th-percentile milliseconds, and the training's trees per second (against alone). PASS:
 * - the training beside the busy foreground (nice 0) keeps at least 0.5× its trees per second
 *   alone: its workers take trees from a shared counter, never waiting for the main thread (when
 *   they asked it for each tree, 0.22×);
 * - the foreground does at least 1.2× the requests per second beside the training at nice 10
 *   that it does beside the training at nice 0 (on a machine where a thread cannot lower its
 *   priority, not Linux, the two are alike and this fails);
 * - the main thread's longest stall in one training of 12,000 rows × 64 features and its
 *   out-of-bag predictions is at most half of the longer of binning those rows and predicting
 *   them out of bag in one block (both now give the event loop turns).
 * The training's trees per second at nice 10 against nice 0 are printed, not judged: a niced
 * training gives up the share of a core the foreground takes, which is the point.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { numberArg } from '../support/args.ts';

const { trainForest } = await import('../../packages/ml/src/index.ts');
const { binFeatures } = await import('../../packages/ml/src/binning.ts');
const { makeSyntheticDataset, toRowArrays } = await import('../../packages/ml/src/synthetic.ts');

const ROUNDS = numberArg('rounds', 3);
const SECONDS = numberArg('seconds', 5);
const ROWS = numberArg('rows', 4000);
const TRAIN_ROWS = numberArg('train-rows', 4000);
const GAP_MS = process.argv.includes('--gap') ? numberArg('gap', 0) : 0;
const THREADS = availableParallelism();

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

const data = makeSyntheticDataset({ nRows: TRAIN_ROWS, nFeatures: 20, seed: 7 });
const features = toRowArrays(data.features, data.nFeatures);
const labels = Array.from(data.labels);
const served = await trainForest(features, labels, { nEstimators: 100, seed: 1 });
const requestRows = features.slice(0, ROWS);

/** One request's work on the main thread: single-row predictions, wall milliseconds. */
function request(): number {
  const t0 = performance.now();
  let sum = 0;
  for (const row of requestRows) sum += served.predictOne(row);
  if (sum < 0) throw new Error('unreachable');
  return performance.now() - t0;
}

/** Forests grown back to back until `stop` aborts, counting finished trees in `count.trees`. */
async function background(nice: number, stop: AbortSignal, count: { trees: number }): Promise<void> {
  for (let seed = 0; !stop.aborted; seed++) {
    let grown = 0;
    try {
      await trainForest(features, labels, {
        nEstimators: 100,
        seed,
        threads: THREADS,
        nice,
        signal: stop,
        onProgress: (done) => {
          count.trees += done - grown;
          grown = done;
        },
      });
    } catch (error) {
      if (!stop.aborted) throw error;
    }
  }
}

interface Phase {
  name: string;
  foreground: boolean;
  nice: number | null;
  times: number[];
  /** Foreground requests per second, per round. */
  rates: number[];
  /** Trees per second, per round. */
  treesPerSecond: number[];
}
const phase = (name: string, foreground: boolean, nice: number | null): Phase => ({
  name,
  foreground,
  nice,
  times: [],
  rates: [],
  treesPerSecond: [],
});
const phases = [
  phase('foreground alone', true, null),
  phase('training alone', false, 0),
  phase('both, nice 0', true, 0),
  phase('both, nice 10', true, 10),
] as const;

const nextTurn = () =>
  GAP_MS > 0 ? sleep(GAP_MS) : new Promise<void>((resolve) => setImmediate(() => resolve()));

async function runPhase(p: Phase): Promise<void> {
  const stop = new AbortController();
  const count = { trees: 0 };
  const training = p.nice === null ? Promise.resolve() : background(p.nice, stop.signal, count);
  await sleep(300); // the workers start and warm up
  const from = performance.now();
  const treesBefore = count.trees;
  const until = from + SECONDS * 1000;
  const before = p.times.length;
  while (performance.now() < until) {
    if (p.foreground) p.times.push(request());
    await (p.foreground ? nextTurn() : sleep(50));
  }
  const seconds = (performance.now() - from) / 1000;
  if (p.foreground) p.rates.push((p.times.length - before) / seconds);
  if (p.nice !== null) p.treesPerSecond.push((count.trees - treesBefore) / seconds);
  stop.abort();
  await training;
}

for (let i = 0; i < 20; i++) request(); // warm the foreground's code
console.log(
  `A search in the background: ${THREADS} training threads, ${TRAIN_ROWS} rows × 20 features; the foreground predicts ${ROWS} rows one by one per request, ${GAP_MS ? `every ${GAP_MS} ms` : 'back to back'}`,
);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? phases : [...phases].reverse();
  for (const p of order) await runPhase(p);
  process.stdout.write(`  round ${round + 1}/${ROUNDS} done\n`);
}

const median = (xs: number[]) => quantile(xs, 0.5);
const [alone, trainingAlone, normal, niced] = phases;
const rate = (p: Phase) => median(p.rates);
const trees = (p: Phase) => median(p.treesPerSecond);
for (const p of phases) {
  const parts = [p.name.padEnd(18)];
  if (p.foreground)
    parts.push(
      `foreground ${rate(p).toFixed(0)} requests/s (${(rate(p) / rate(alone)).toFixed(2)}× alone), p50 ${median(p.times).toFixed(1)} ms, p95 ${quantile(p.times, 0.95).toFixed(1)} ms`,
    );
  if (p.nice !== null)
    parts.push(
      `training ${trees(p).toFixed(0)} trees/s (${(trees(p) / trees(trainingAlone)).toFixed(2)}× alone)`,
    );
  console.log(parts.join('  '));
}
let failures = 0;
/** Prints a judged ratio; `atLeast` false: the ratio must be at most `bound`. */
function judge(what: string, value: number, bound: number, atLeast = true): void {
  const pass = atLeast ? value >= bound : value <= bound;
  if (!pass) failures++;
  console.log(`${what}: ${value.toFixed(2)}×  ${pass ? 'PASS' : 'FAIL'} (${atLeast ? '≥' : '≤'} ${bound}×)`);
}
judge(
  'training trees/s beside the busy foreground / alone (nice 0)',
  trees(normal) / trees(trainingAlone),
  0.5,
);
judge('foreground requests/s beside nice 10 / beside nice 0', rate(niced) / rate(normal), 1.2);
console.log(
  `foreground requests/s beside nice 10 / alone: ${(rate(niced) / rate(alone)).toFixed(2)}×; training trees/s at nice 10 / at nice 0: ${(trees(niced) / trees(normal)).toFixed(2)}× (the share of a core the foreground took back)`,
);

/**
 * The main thread's longest stall in one training of a wide window (12,000 rows × 64 features)
 * and its out-of-bag predictions (the gate's honest scores): both run on the calling thread, and
 * before they gave the event loop turns each was one block, binning about 140 ms, out of bag
 * about 170 ms. The reference is the longer of those two blocks, timed here on the same rows.
 */
async function longestStall(): Promise<{ stall: number; block: number }> {
  const wide = makeSyntheticDataset({ nRows: 12_000, nFeatures: 64, seed: 11 });
  const matrix = { data: wide.features, nRows: wide.nRows, nFeatures: wide.nFeatures };
  let last = performance.now();
  let stall = 0;
  const watch = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  const forest = await trainForest(wide.features, wide.labels, {
    nFeatures: 64,
    nEstimators: 50,
    threads: THREADS,
    nice: 10,
  });
  await forest.outOfBagProbaInTurns(wide.features);
  clearInterval(watch);
  const timed = (fn: () => unknown) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  const block = Math.max(
    timed(() => binFeatures(matrix, 255)),
    timed(() => forest.outOfBagProba(wide.features)),
  );
  return { stall, block };
}
const stalls = [];
for (let i = 0; i < 3; i++) stalls.push(await longestStall());
const stall = median(stalls.map((x) => x.stall));
const block = median(stalls.map((x) => x.block));
judge(
  `longest main-thread stall in a training of 12,000 × 64 and its out-of-bag scores (${stall.toFixed(0)} ms) / the longer of binning and out of bag in one block (${block.toFixed(0)} ms)`,
  stall / block,
  0.5,
  false,
);
console.log(
  `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${failures ? `FAIL: ${failures}` : 'all PASS'}`,
);
process.exitCode = failures ? 1 : 0;
