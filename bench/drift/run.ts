/**
 * Drift-check benchmark: our full check of 10 features (KS, PSI, Wasserstein — plus the
 * Jensen-Shannon distance, the multiple-testing correction and the verdict) of 1,000 current rows
 * against 10,000 reference rows, against scipy/numpy doing KS + Wasserstein + PSI on the same arrays
 * in the same run. Target (issue 18): our time <= 0.25 × scipy's, for each KS method ('auto' is the
 * exact distribution at these sizes, on both sides: max(n1, n2) = 10,000 <= scipy's MAX_AUTO_N).
 * Figures before and after the issue-18 work are in bench/drift/README.md.
 *
 *   node --import tsx bench/drift/run.ts [--reps N]
 *
 * The arrays are written once to bench/drift/out/ (gitignored) and read by scipy_ref.py, which runs
 * under /usr/bin/python3 (python3-scipy from apt) in serve mode: its checks and ours alternate, one
 * call each, N times after a warm-up; times are medians and the ratio is the median of the N
 * per-pair ratios, so background load on a shared machine hits both sides alike.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  compareDistributions,
  type KsMethod,
  type PreparedReference,
  prepareReference,
} from '../../packages/drift/src/index.ts';
import { SeededRandom } from '../../packages/drift/src/testing/seeded-random.ts';

const TARGET_RATIO = 0.25;
const REFERENCE_ROWS = 10_000;
const CURRENT_ROWS = 1_000;
const METHODS: KsMethod[] = ['auto', 'asymp'];
const repsArg = process.argv.indexOf('--reps');
const REPS = repsArg > 0 ? Number(process.argv[repsArg + 1]) : 21;
const PYTHON = process.env.SCIPY_PYTHON ?? '/usr/bin/python3';

/**
 * Ten features of the kinds a tabular model sees; three of them drift in the current window
 * (a mean shift, a scale change and a change of a discrete distribution), the rest do not.
 */
const FEATURES: { name: string; draw: (r: SeededRandom, current: boolean) => number }[] = [
  { name: 'normal', draw: (r) => r.normal() },
  { name: 'lognormal', draw: (r) => Math.exp(r.normal(0, 0.5)) },
  { name: 'uniform', draw: (r) => r.uniform() * 10 },
  { name: 'integer 0-5 (ties)', draw: (r) => r.integer(6) },
  { name: 'normal, 2 decimals', draw: (r) => Math.round(r.normal(50, 10) * 100) / 100 },
  { name: 'normal, mean shift 0.2 sd (drift)', draw: (r, cur) => r.normal(cur ? 5.4 : 5, 2) },
  { name: 'exponential, scale x1.3 (drift)', draw: (r, cur) => r.exponential() * (cur ? 1.3 : 1) },
  { name: 'zero-inflated', draw: (r) => (r.uniform() < 0.3 ? 0 : r.normal(3, 1)) },
  { name: 'geometric counts (drift)', draw: (r, cur) => Math.floor(r.exponential() * (cur ? 3.6 : 3)) },
  { name: 'chi-square(1)', draw: (r) => r.normal() ** 2 },
];

function makeRows(rng: SeededRandom, rows: number, current: boolean): number[][] {
  return Array.from({ length: rows }, () => FEATURES.map((f) => f.draw(rng, current)));
}

const FEATURE_NAMES = FEATURES.map((f) => f.name);

function writeRowMajor(path: string, rows: number[][]): void {
  const flat = new Float64Array(rows.length * FEATURES.length);
  for (const [r, row] of rows.entries()) flat.set(row, r * FEATURES.length);
  writeFileSync(path, new Uint8Array(flat.buffer));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type ScipyValues = { statistic: number; pvalue: number; wasserstein: number; psi: number }[];

const outDir = fileURLToPath(new URL('./out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const rng = new SeededRandom(20250101);
const reference = makeRows(rng, REFERENCE_ROWS, false);
/** Two current windows: one where three features drift, one drawn from the reference distributions. */
const SCENARIOS = [
  { name: '3 of 10 features drift', current: makeRows(rng, CURRENT_ROWS, true) },
  { name: 'no drift', current: makeRows(rng, CURRENT_ROWS, false) },
];
const rel = (a: number, b: number) =>
  a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);

console.log(
  `drift check: ${FEATURES.length} features, ${REFERENCE_ROWS.toLocaleString('en')} reference rows vs ${CURRENT_ROWS.toLocaleString('en')} current rows, median of ${REPS} runs each`,
);
let failed = false;
/** A scipy_ref.py process in serve mode: it times one scipy check per request. */
class ScipySession {
  readonly #child;
  readonly #lines: AsyncIterator<string>;
  constructor() {
    const script = fileURLToPath(new URL('./scipy_ref.py', import.meta.url));
    this.#child = spawn(PYTHON, [script, outDir, 'serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.#lines = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]();
  }
  async next<T>(): Promise<T> {
    const { value, done } = await this.#lines.next();
    if (done) throw new Error('scipy_ref.py ended early (see its error output above)');
    return JSON.parse(value) as T;
  }
  async time(method: KsMethod): Promise<number> {
    this.#child.stdin.write(`${method}\n`);
    return (await this.next<{ ms: number }>()).ms;
  }
  quit(): void {
    this.#child.stdin.end('quit\n');
  }
}

function timeOnce(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

/**
 * Alternates scipy's check and ours (from the rows, then with a prepared reference) REPS times
 * after a warm-up; the ratio is the median of the per-pair ratios, so a burst of background load
 * hits both sides of a pair alike.
 */
async function timeMethod(
  session: ScipySession,
  method: KsMethod,
  current: number[][],
  prepared: PreparedReference,
) {
  const options = { ksMethod: method, featureNames: FEATURE_NAMES };
  for (let i = 0; i < 3; i++) {
    await session.time(method);
    compareDistributions(reference, current, options);
    compareDistributions(prepared, current, { ksMethod: method });
  }
  const scipyMs: number[] = [];
  const oursMs: number[] = [];
  const preparedMs: number[] = [];
  const ratios: number[] = [];
  const preparedRatios: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const theirs = await session.time(method);
    const ours = timeOnce(() => compareDistributions(reference, current, options));
    const oursPrepared = timeOnce(() => compareDistributions(prepared, current, { ksMethod: method }));
    scipyMs.push(theirs);
    oursMs.push(ours);
    preparedMs.push(oursPrepared);
    ratios.push(ours / theirs);
    preparedRatios.push(oursPrepared / theirs);
  }
  return {
    scipy: median(scipyMs),
    ours: median(oursMs),
    prepared: median(preparedMs),
    ratio: median(ratios),
    preparedRatio: median(preparedRatios),
  };
}

for (const scenario of SCENARIOS) {
  writeRowMajor(`${outDir}reference.f64`, reference);
  writeRowMajor(`${outDir}current.f64`, scenario.current);
  writeFileSync(
    `${outDir}meta.json`,
    JSON.stringify({
      features: FEATURES.length,
      reference_rows: REFERENCE_ROWS,
      current_rows: CURRENT_ROWS,
      methods: METHODS,
    }),
  );
  const session = new ScipySession();
  const scipy = await session.next<{ scipy: string; numpy: string; values: Record<KsMethod, ScipyValues> }>();
  const current = scenario.current;
  const prepared = prepareReference(reference, { featureNames: FEATURE_NAMES });

  console.log('');
  console.log(
    `scenario: ${scenario.name}   (scipy ${scipy.scipy} / numpy ${scipy.numpy}: ks_2samp + wasserstein_distance + numpy PSI)`,
  );
  console.log(
    `  KS method   scipy ms   ours ms   ratio   target <= ${TARGET_RATIO}x  ours with a prepared reference (info)`,
  );
  for (const method of METHODS) {
    const t = await timeMethod(session, method, current, prepared);
    const pass = t.ratio <= TARGET_RATIO;
    failed ||= !pass;
    console.log(
      `  ${`'${method}'`.padEnd(10)}${t.scipy.toFixed(2).padStart(9)}${t.ours.toFixed(2).padStart(10)}${t.ratio.toFixed(3).padStart(8)}   ${(pass ? 'PASS' : 'FAIL').padEnd(15)}  ${t.prepared.toFixed(2)} ms (${t.preparedRatio.toFixed(3)}x)`,
    );
  }
  session.quit();
  // Same arrays, same answers: our numbers against scipy's.
  for (const method of METHODS) {
    const report = compareDistributions(reference, current, {
      ksMethod: method,
      featureNames: FEATURE_NAMES,
    });
    let maxStatDiff = 0;
    let maxPRel = 0;
    let maxWRel = 0;
    let maxPsiRel = 0;
    report.features.forEach((f, i) => {
      const s = scipy.values[method][i]!;
      maxStatDiff = Math.max(maxStatDiff, Math.abs(f.ks.statistic - s.statistic));
      maxPRel = Math.max(maxPRel, rel(f.ks.pValue, s.pvalue));
      maxWRel = Math.max(maxWRel, rel(f.wasserstein, s.wasserstein));
      maxPsiRel = Math.max(maxPsiRel, rel(f.psi, s.psi));
    });
    const flagged = report.features.filter((f) => f.drifted).map((f) => f.feature);
    const resolved = report.features.every((f) => f.ks.method === 'exact') ? 'exact' : 'not all exact';
    console.log(
      `  '${method}' (${method === 'auto' ? resolved : method}) vs scipy: max |ΔD| ${maxStatDiff}, max rel Δp ${maxPRel.toExponential(1)}, ΔW ${maxWRel.toExponential(1)}, ΔPSI ${maxPsiRel.toExponential(1)}; flagged: ${flagged.length ? flagged.join('; ') : 'none'}`,
    );
  }
}
console.log('');
console.log(
  failed
    ? `RESULT: FAIL (some ratio above ${TARGET_RATIO}x)`
    : `RESULT: PASS (every ratio at or below ${TARGET_RATIO}x)`,
);
if (failed) process.exitCode = 1;
