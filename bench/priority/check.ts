/**
 * A drift check's measurement against a version's kept reference: the platform checks every
 * version against the same reference sample (REFERENCE_SAMPLE_SIZE rows, 5,000 by default), and
 * the sorted forms of it that the per-feature report, the histograms and the chunk test read are
 * kept with it (drift-check.ts). Measured here in one process, alternating: `measureDrift` of a
 * window of WINDOW_SIZE (1,000) rows × 64 features against the kept reference, and against a fresh
 * copy of the same rows (every check's cost when the sorted forms were rebuilt each time).
 *
 *   pnpm bench:check                       # 64 features, 5,000 reference rows, 15 pairs
 *   pnpm bench:check -- --features 16 --reference 2000 --pairs 21
 *
 * Printed: the median CPU time of each and the median of the per-pair ratios (PASS: kept ≤ 0.75×
 * fresh), and the longest block of the event loop in `measureDriftInTurns` (the form the platform
 * runs on the thread that answers predictions) against the whole measurement done at once.
 */
import { cpus, loadavg } from 'node:os';
import { numberArg } from '../support/args.ts';
import { median } from '../support/stats.ts';

const { loadConfig } = await import('../../packages/config/src/index.ts');
const { measureDrift, measureDriftInTurns } = await import('../../packages/core/src/drift-check.ts');
const { mulberry32 } = await import('../../packages/drift/src/random.ts');

const FEATURES = numberArg('features', 64);
const REFERENCE = numberArg('reference', 5000);
const PAIRS = numberArg('pairs', 15);
const TARGET = 0.75;
const settings = loadConfig({}).drift;
const random = mulberry32(11);

/** Rows of `m` features of several shapes; the window's first quarter of features has moved a little. */
function rows(n: number, m: number, moved: number): number[][] {
  return Array.from({ length: n }, () =>
    Array.from({ length: m }, (_, j) => {
      const u = random();
      const shift = j < m / 4 ? moved : 0;
      if (j % 3 === 0) return Math.round(u * 10) + shift;
      if (j % 3 === 1) return -Math.log(1 - u) + shift;
      return u * 100 + shift * 10;
    }),
  );
}

const reference = rows(REFERENCE, FEATURES, 0);
const window = rows(settings.windowSize, FEATURES, 0.05);
const inputs = (ref: number[][]) => ({
  model: {
    nFeatures: FEATURES,
    nClasses: 2,
    featureImportances: Array.from({ length: FEATURES }, () => 1 / FEATURES),
    referencePredictions: [REFERENCE / 2, REFERENCE / 2],
  },
  reference: ref,
  window: { features: window, predicted: window.map((_, i) => i % 2) },
  errors: { wrong: [], at: [], rowId: [] },
});
const cpuMs = (f: () => unknown) => {
  const start = process.cpuUsage();
  f();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

// Warm-up: both paths compiled and the kept form built.
measureDrift(inputs(reference), settings);
measureDrift(inputs(reference.map((r) => [...r])), settings);
const kept: number[] = [];
const fresh: number[] = [];
for (let i = 0; i < PAIRS; i++) {
  kept.push(cpuMs(() => measureDrift(inputs(reference), settings)));
  const copy = reference.map((r) => [...r]);
  fresh.push(cpuMs(() => measureDrift(inputs(copy), settings)));
}
const ratio = median(kept.map((k, i) => k / fresh[i]!));

/** The longest stretch between two turns of the event loop while `run` goes on. */
async function longestBlock(run: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  let going = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (going) setImmediate(tick);
  };
  setImmediate(tick);
  await run();
  going = false;
  tick();
  return longest;
}
const blocks = { turns: [] as number[], once: [] as number[] };
for (let i = 0; i < 5; i++) {
  blocks.turns.push(await longestBlock(() => measureDriftInTurns(inputs(reference), settings)));
  blocks.once.push(await longestBlock(async () => measureDrift(inputs(reference), settings)));
}

console.log(
  `measureDrift, ${settings.windowSize} rows × ${FEATURES} features against ${REFERENCE} reference rows (${PAIRS} pairs):`,
);
console.log(`  kept reference   median ${median(kept).toFixed(1)} ms CPU`);
console.log(`  fresh reference  median ${median(fresh).toFixed(1)} ms CPU`);
const verdict = ratio <= TARGET ? 'PASS' : 'FAIL';
console.log(`  kept / fresh ${ratio.toFixed(2)}×  ${verdict} (≤ ${TARGET}×)`);
console.log(
  `  longest event-loop block: in turns ${median(blocks.turns).toFixed(1)} ms, at once ${median(blocks.once).toFixed(1)} ms (medians of 5)`,
);
console.log(`${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`);
if (verdict === 'FAIL') process.exitCode = 1;
