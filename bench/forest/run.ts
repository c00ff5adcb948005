/**
 * Random forest benchmark: our @automl-stream/ml against scikit-learn (and ml-random-forest),
 * on the same CSV, in the same run. Prints a table of figures, ratios and PASS/FAIL per target.
 *
 *   node --import tsx bench/forest/run.ts        (or: pnpm bench:forest)
 *
 * The CSVs are written once (seeded) under bench/forest/out/ and read by both sides.
 * See bench/forest/README.md.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { accuracy, type Forest, trainForest } from '../../packages/ml/src/index.ts';
import { makeSyntheticDataset } from '../../packages/ml/src/synthetic.ts';

const PYTHON = '/usr/bin/python3';
const N_FEATURES = 10;
const N_TRAIN = 20_000;
const N_HOLDOUT = 20_000;
const TREES = 100;
const DEPTH = 10;
const SKLEARN_JOBS = 2;
const THREADS = 2;
/**
 * Paired repetitions (sklearn fit, our fit), alternated so background load hits both alike; the
 * training ratio is the median of the per-pair ratios.
 */
const REPETITIONS = 5;
const SCALING_ROWS = [5_000, 20_000, 100_000];
const MLRF_ROWS = 2_000;
const MLRF_TREES = 5;

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const outDir = here('./out/');

interface Table {
  features: Float64Array;
  labels: Int32Array;
  holdout: Uint8Array;
  nRows: number;
}

/** CSV columns: x0..x9, label, holdout (0 = training row, 1 = hold-out row). */
function writeCsv(path: string, nRows: number, nHoldout: number, seed: number): void {
  if (existsSync(path)) return; // seeded: an existing file already holds exactly these rows
  const data = makeSyntheticDataset({ nRows, nFeatures: N_FEATURES, rule: 'nonlinear', noise: 0.1, seed });
  const header = [...Array.from({ length: N_FEATURES }, (_, f) => `x${f}`), 'label', 'holdout'].join(',');
  const lines = [header];
  for (let r = 0; r < nRows; r++) {
    const values = Array.from(data.features.subarray(r * N_FEATURES, (r + 1) * N_FEATURES));
    // Number#toString is the shortest round-trip form: Python parses back the same doubles.
    lines.push([...values, data.labels[r], r >= nRows - nHoldout ? 1 : 0].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function readCsv(path: string): Table {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const nRows = lines.length;
  const features = new Float64Array(nRows * N_FEATURES);
  const labels = new Int32Array(nRows);
  const holdout = new Uint8Array(nRows);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    for (let f = 0; f < N_FEATURES; f++) features[r * N_FEATURES + f] = Number(cells[f]);
    labels[r] = Number(cells[N_FEATURES]);
    holdout[r] = Number(cells[N_FEATURES + 1]);
  });
  return { features, labels, holdout, nRows };
}

function rowsWhere(table: Table, holdout: 0 | 1): { features: Float64Array; labels: Int32Array } {
  const index = Array.from({ length: table.nRows }, (_, r) => r).filter((r) => table.holdout[r] === holdout);
  const features = new Float64Array(index.length * N_FEATURES);
  index.forEach((r, i) => {
    features.set(table.features.subarray(r * N_FEATURES, (r + 1) * N_FEATURES), i * N_FEATURES);
  });
  return { features, labels: Int32Array.from(index, (r) => table.labels[r]!) };
}

function firstRows(table: Table, n: number): { features: Float64Array; labels: Int32Array } {
  return { features: table.features.slice(0, n * N_FEATURES), labels: table.labels.slice(0, n) };
}

function sklearn<T>(csv: string, args: string[]): T {
  const stdout = execFileSync(PYTHON, [here('./sklearn_ref.py'), csv, ...args], { encoding: 'utf8' });
  return JSON.parse(stdout) as T;
}

/**
 * A scikit-learn process in `serve` mode: it fits on start, then times one predict_proba per
 * request, so its timings can alternate with ours under the same background load.
 */
class SklearnSession {
  readonly #child;
  readonly #lines: AsyncIterator<string>;
  constructor(csv: string, seed: number) {
    this.#child = spawn(
      PYTHON,
      [
        here('./sklearn_ref.py'),
        csv,
        '--mode',
        'serve',
        '--seed',
        String(seed),
        '--jobs',
        String(SKLEARN_JOBS),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async next<T>(): Promise<T> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('sklearn_ref.py ended early (see its error output above)');
    return JSON.parse(value) as T;
  }
  async predictSeconds(): Promise<number> {
    this.#child.stdin.write('predict\n');
    return (await this.next<{ predictProbaSeconds: number }>()).predictProbaSeconds;
  }
  quit(): void {
    this.#child.stdin.end('quit\n');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function timeMs(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

interface SklearnFit {
  sklearn: string;
  fitSeconds: number;
  singleRowP50Seconds: number;
  singleRowP99Seconds: number;
  accuracy: number;
  nodes: number;
  featureImportances: number[];
}

/** Minimal view of ml-random-forest's classifier (its bundled types reference ml-matrix). */
interface MlRandomForest {
  train(features: number[][], labels: number[]): void;
  predict(features: number[][]): number[];
}
type MlRandomForestClass = new (options: Record<string, unknown>) => MlRandomForest;

function toRows(features: Float64Array): number[][] {
  return Array.from({ length: features.length / N_FEATURES }, (_, r) =>
    Array.from(features.subarray(r * N_FEATURES, (r + 1) * N_FEATURES)),
  );
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const mainCsv = `${outDir}forest-main-v1-seed2024.csv`;
  const scalingCsv = `${outDir}forest-scaling-v1-seed2025.csv`;
  writeCsv(mainCsv, N_TRAIN + N_HOLDOUT, N_HOLDOUT, 2024);
  writeCsv(scalingCsv, Math.max(...SCALING_ROWS), 0, 2025);
  const table = readCsv(mainCsv);
  const train = rowsWhere(table, 0);
  const holdout = rowsWhere(table, 1);
  const holdoutRows = toRows(holdout.features);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Random forest benchmark: ${N_TRAIN} training × ${N_FEATURES} features, 3 classes, ${TREES} trees, max depth ${DEPTH}; ` +
      `hold-out ${N_HOLDOUT} rows.\nMachine: ${availableParallelism()} × ${cpu}, node ${process.version}, ` +
      `load average at start ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}. Ours: threads ${THREADS}; scikit-learn: n_jobs ${SKLEARN_JOBS}.\n`,
  );

  // --- Main comparison. Per repetition: scikit-learn fits, we fit, then predictions alternate
  // call by call (sklearn; ours on 2 threads; ours on the calling thread, Float64Array and
  // number[][]). ---
  const sk: SklearnFit[] = [];
  const skPredictS: number[] = [];
  const ourFitMs: number[] = [];
  const ourAccuracy: number[] = [];
  const ourFlatMs: number[] = [];
  const ourRowsMs: number[] = [];
  const ourParallelMs: number[] = [];
  /** Per adjacent pair: scikit-learn time ÷ ours, i.e. our throughput ÷ theirs. */
  const parallelRatios: number[] = [];
  const flatRatios: number[] = [];
  const rowsRatios: number[] = [];
  let forest: Forest | undefined;
  for (let rep = 1; rep <= REPETITIONS; rep++) {
    const session = new SklearnSession(mainCsv, rep);
    sk.push(await session.next<SklearnFit>());
    const start = performance.now();
    forest = await trainForest(train.features, train.labels, {
      nFeatures: N_FEATURES,
      nEstimators: TREES,
      maxDepth: DEPTH,
      threads: THREADS,
      seed: rep,
    });
    ourFitMs.push(performance.now() - start);
    const model = forest;
    ourAccuracy.push(accuracy(holdout.labels, model.predict(holdout.features)));
    // Warm-up: V8 compiles the loops on first use, the prediction workers start and compile too.
    for (let i = 0; i < 3; i++) model.predictProbaFlat(holdout.features);
    for (let i = 0; i < 2; i++) model.predictProba(holdoutRows);
    for (let i = 0; i < 5; i++) await model.predictProbaParallel(holdout.features, { threads: THREADS });
    await session.predictSeconds();
    for (let i = 0; i < 5; i++) {
      const skSeconds = await session.predictSeconds();
      const parallelStart = performance.now();
      await model.predictProbaParallel(holdout.features, { threads: THREADS });
      const parallelMs = performance.now() - parallelStart;
      const flatMs = timeMs(() => model.predictProbaFlat(holdout.features));
      const rowsMs = timeMs(() => model.predictProba(holdoutRows));
      skPredictS.push(skSeconds);
      ourRowsMs.push(rowsMs);
      rowsRatios.push((skSeconds * 1000) / rowsMs);
      ourParallelMs.push(parallelMs);
      ourFlatMs.push(flatMs);
      parallelRatios.push((skSeconds * 1000) / parallelMs);
      flatRatios.push((skSeconds * 1000) / flatMs);
    }
    session.quit();
    console.log(
      `  repetition ${rep}: scikit-learn fit ${sk[rep - 1]!.fitSeconds.toFixed(2)} s, ours ${(ourFitMs[rep - 1]! / 1000).toFixed(2)} s`,
    );
  }
  const model = forest!;

  // Single-row latency, the serving path: one number[] row at a time.
  const latencies: number[] = [];
  for (const row of holdoutRows) model.predictProba([row]); // warm-up
  for (const row of holdoutRows) {
    const start = process.hrtime.bigint();
    model.predictProba([row]);
    latencies.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  latencies.sort((a, b) => a - b);
  const artifactBytes = model.serialize().length;

  // --- ml-random-forest on 2,000 rows: a few trees only (seconds per tree), scaled per tree. ---
  const small = firstRows(readCsv(mainCsv), MLRF_ROWS);
  const requireFromMl = createRequire(here('../../packages/ml/package.json'));
  const { RandomForestClassifier } = requireFromMl('ml-random-forest') as {
    RandomForestClassifier: MlRandomForestClass;
  };
  const mlrf = new RandomForestClassifier({
    nEstimators: MLRF_TREES,
    maxFeatures: 1.0,
    replacement: false,
    seed: 1,
    noOOB: true,
    treeOptions: { maxDepth: DEPTH },
  });
  const smallRows = toRows(small.features);
  const mlrfMs = timeMs(() => mlrf.train(smallRows, Array.from(small.labels)));
  const mlrfAccuracy = accuracy(holdout.labels, mlrf.predict(holdoutRows));
  const ourSmallStart = performance.now();
  const ourSmall = await trainForest(small.features, small.labels, {
    nFeatures: N_FEATURES,
    nEstimators: TREES,
    maxDepth: DEPTH,
    maxFeatures: 'all',
    threads: THREADS,
    seed: 1,
  });
  const ourSmallMs = performance.now() - ourSmallStart;
  const ourSmallAccuracy = accuracy(holdout.labels, ourSmall.predict(holdout.features));

  // --- Scaling: training time at 5k / 20k / 100k rows; per size scikit-learn then us. ---
  const scaling = readCsv(scalingCsv);
  const skScaling: number[] = [];
  const ourScaling: number[] = [];
  for (const n of SCALING_ROWS) {
    const sk = sklearn<{ fitSeconds: Record<string, number> }>(scalingCsv, [
      '--mode',
      'scaling',
      '--jobs',
      String(SKLEARN_JOBS),
      '--rows',
      String(n),
    ]);
    skScaling.push(sk.fitSeconds[String(n)]!);
    const rows = firstRows(scaling, n);
    const start = performance.now();
    await trainForest(rows.features, rows.labels, {
      nFeatures: N_FEATURES,
      nEstimators: TREES,
      maxDepth: DEPTH,
      threads: THREADS,
    });
    ourScaling.push((performance.now() - start) / 1000);
  }

  // --- Report. ---
  const skFit = median(sk.map((s) => s.fitSeconds));
  const ourFit = median(ourFitMs) / 1000;
  const fitRatio = median(ourFitMs.map((ms, i) => ms / 1000 / sk[i]!.fitSeconds));
  const skPredict = median(skPredictS);
  const parallelRatio = median(parallelRatios);
  const flatRatio = median(flatRatios);
  const rowsRatio = median(rowsRatios);
  const ourFlat = median(ourFlatMs) / 1000;
  const ourRows = median(ourRowsMs) / 1000;
  const ourParallel = median(ourParallelMs) / 1000;
  const skAccuracy = sk.reduce((a, s) => a + s.accuracy, 0) / sk.length;
  const ourMeanAccuracy = ourAccuracy.reduce((a, b) => a + b, 0) / ourAccuracy.length;
  const accuracyGap = (ourMeanAccuracy - skAccuracy) * 100;
  const p50 = percentile(latencies, 0.5);
  const p99 = percentile(latencies, 0.99);
  const throughput = (seconds: number) => Math.round(N_HOLDOUT / seconds).toLocaleString('en-US');
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const results = {
    training: fitRatio <= 0.25,
    predict: rowsRatio >= 4,
    latency: p50 < 10,
    accuracy: Math.abs(accuracyGap) <= 0.5,
  };
  const line = (cells: string[]) =>
    console.log(
      cells
        .map((c, i) => c.padEnd([46, 22, 30, 10, 14, 5][i] ?? 10))
        .join('')
        .trimEnd(),
    );
  console.log('');
  line(['figure', 'ours', `scikit-learn ${sk[0]!.sklearn}`, 'ratio', 'target', '']);
  line([
    `training time, median of ${REPETITIONS} (s)`,
    ourFit.toFixed(2),
    skFit.toFixed(2),
    `${fitRatio.toFixed(2)}×`,
    '<= 0.25×',
    verdict(results.training),
  ]);
  line([
    'batch predictProba(rows), number[][] (rows/s)',
    throughput(ourRows),
    throughput(skPredict),
    `${rowsRatio.toFixed(2)}×`,
    '>= 4×',
    verdict(results.predict),
  ]);
  line([
    `  predictProbaParallel, ${THREADS} threads`,
    throughput(ourParallel),
    throughput(skPredict),
    `${parallelRatio.toFixed(2)}×`,
    '(info)',
  ]);
  line([
    '  predictProbaFlat, Float64Array in and out',
    throughput(ourFlat),
    throughput(skPredict),
    `${flatRatio.toFixed(2)}×`,
    '(info)',
  ]);
  line([
    'single-row predictProba([row]) p50 (µs)',
    p50.toFixed(1),
    (sk[0]!.singleRowP50Seconds * 1e6).toFixed(0),
    '',
    '< 10 µs',
    verdict(results.latency),
  ]);
  line([
    'single-row latency p99 (µs)',
    p99.toFixed(1),
    (sk[0]!.singleRowP99Seconds * 1e6).toFixed(0),
    '',
    '(info)',
  ]);
  line([
    `hold-out accuracy, mean of ${REPETITIONS} seeds (%)`,
    (ourMeanAccuracy * 100).toFixed(2),
    (skAccuracy * 100).toFixed(2),
    `${accuracyGap >= 0 ? '+' : ''}${accuracyGap.toFixed(2)} pt`,
    '|gap| <= 0.5',
    verdict(results.accuracy),
  ]);
  console.log(
    `\nper-seed accuracy: ours ${ourAccuracy.map((a) => (a * 100).toFixed(2)).join(', ')}; ` +
      `scikit-learn ${sk.map((s) => (s.accuracy * 100).toFixed(2)).join(', ')}` +
      `\nper-repetition fit (s): ours ${ourFitMs.map((m) => (m / 1000).toFixed(2)).join(', ')}; ` +
      `scikit-learn ${sk.map((s) => s.fitSeconds.toFixed(2)).join(', ')}; the training ratio is the median of the ` +
      `${REPETITIONS} per-repetition ratios (our first fit also starts the training workers; later fits reuse them, warm)` +
      `\nthroughput: ours with ${THREADS} threads is predictProbaParallel (Float64Array in and out; like-for-like with ` +
      `n_jobs=${SKLEARN_JOBS}); predictProba and predictProbaFlat are synchronous: a batch this size is shared by the calling ` +
      `thread and the prediction workers (min(cores, 4) threads: ${Math.min(availableParallelism(), 4)} here), still bit-identical; all on the ${N_HOLDOUT} hold-out rows. ` +
      `Throughput ratios are medians of ${parallelRatios.length} adjacent (scikit-learn, ours) timing pairs.` +
      `\nscikit-learn single-row figures are predict_proba on one row with n_jobs=${SKLEARN_JOBS} (joblib dispatch included).` +
      `\nnodes: ours ${(model.nodeCounts.splits + model.nodeCounts.leaves).toLocaleString('en-US')}, scikit-learn ${sk[sk.length - 1]!.nodes.toLocaleString('en-US')}; ` +
      `our artifact: ${artifactBytes.toLocaleString('en-US')} bytes (${(artifactBytes / 1024).toFixed(0)} KiB).`,
  );

  const skImportances = sk[sk.length - 1]!.featureImportances;
  const importanceGap = Math.max(...model.featureImportances.map((v, f) => Math.abs(v - skImportances[f]!)));
  console.log(
    `feature importances (x0..x9; the rule reads x0..x4): ours ${model.featureImportances.map((v) => v.toFixed(3)).join(' ')}` +
      `\n                                                scikit-learn ${skImportances.map((v) => v.toFixed(3)).join(' ')}` +
      ` (largest difference ${importanceGap.toFixed(3)})`,
  );

  const mlrfPerTree = mlrfMs / MLRF_TREES;
  const ourPerTree = ourSmallMs / TREES;
  console.log(
    `\nml-random-forest on ${MLRF_ROWS} rows (all 10 features per tree/split, depth ${DEPTH}): it fitted ${MLRF_TREES} trees in ` +
      `${(mlrfMs / 1000).toFixed(1)} s (${(mlrfPerTree / 1000).toFixed(2)} s per tree; a 100-tree forest would take ` +
      `${((mlrfPerTree * TREES) / 1000).toFixed(0)} s). Ours fitted ${TREES} trees in ${(ourSmallMs / 1000).toFixed(2)} s ` +
      `(${ourPerTree.toFixed(1)} ms per tree, wall time on ${THREADS} threads): per-tree time ratio ours ÷ theirs = ` +
      `${(ourPerTree / mlrfPerTree).toExponential(2)} (${(mlrfPerTree / ourPerTree).toFixed(0)}× faster). ` +
      `Hold-out accuracy: ours ${(ourSmallAccuracy * 100).toFixed(2)} % (${TREES} trees), ml-random-forest ` +
      `${(mlrfAccuracy * 100).toFixed(2)} % (${MLRF_TREES} trees).`,
  );

  console.log('\ntraining time scaling (100 trees, depth 10; one fit each):');
  line(['rows', 'ours (s)', 'scikit-learn (s)', 'ratio', 'ours per 1k rows']);
  SCALING_ROWS.forEach((n, i) => {
    const sks = skScaling[i]!;
    line([
      n.toLocaleString('en-US'),
      ourScaling[i]!.toFixed(2),
      sks.toFixed(2),
      `${(ourScaling[i]! / sks).toFixed(2)}×`,
      `${((ourScaling[i]! / n) * 1000).toFixed(3)} s`,
    ]);
  });

  const failed = Object.entries(results).filter(([, ok]) => !ok);
  console.log(`\n${failed.length === 0 ? 'all targets PASS' : `FAIL: ${failed.map(([k]) => k).join(', ')}`}`);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
