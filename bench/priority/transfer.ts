/**
 * The feature-transfer check a drift retrain runs before its fit (features-left-out.ts), on a
 * wide covariate sweep: the held-out Fashion-MNIST table of the loop benchmark (10,000 images
 * pooled to 49 features, bench/loop/tables.py; digits' 64 features resampled when it is missing)
 * ordered by ink, the past the ROWS rows before a cut and the window the ROWS rows after it, as
 * a retrain that reached back over a long regime reads them. Measured in one process,
 * alternating: the check as the platform runs it (the newest MAX_TRANSFER_ROWS of each side) and
 * the same check on every row (before the cap).
 *
 *   pnpm bench:transfer                      # 3,000 rows each side, 5 pairs
 *   pnpm bench:transfer -- --rows 2000 --pairs 3
 *
 * Printed: the median wall time of each, the median of the per-pair ratios (PASS: capped ≤ 0.75×
 * every row), and the features each left out (the cap should not change what the check finds).
 */
import { cpus, loadavg } from 'node:os';
import { numberArg } from '../support/args.ts';
import { median } from '../support/stats.ts';

const { featuresToLeaveOut, MAX_TRANSFER_ROWS } = await import(
  '../../packages/core/src/features-left-out.ts'
);
const { TABLES_DIR, tableStream } = await import('../loop/streams.ts');
const { existsSync } = await import('node:fs');
const { loadConfig } = await import('../../packages/config/src/index.ts');

const ROWS = numberArg('rows', 3000);
const PAIRS = numberArg('pairs', 5);
const TARGET = 0.75;
const name = existsSync(`${TABLES_DIR}fashion.json`) ? 'fashion' : 'digits';
const stream = tableStream(name, { kind: 'sorted', by: 'ink' }, 1);
const n = stream.labels.length;
const cut = Math.min(n - Math.min(ROWS, n >> 1), Math.max(ROWS, n >> 1));
const side = (from: number, to: number) => ({
  features: stream.features.slice(from, to),
  labels: stream.labels.slice(from, to),
});
const input = {
  past: side(Math.max(0, cut - ROWS), cut),
  window: side(cut, Math.min(n, cut + ROWS)),
  nClasses: stream.nClasses,
  featureTypes: Array.from({ length: stream.nFeatures }, () => 'numeric' as const),
  // The platform's forest settings, as RetrainService.leaveOut passes them.
  forest: loadConfig({}).model,
};

async function timed(maxRows: number) {
  const start = performance.now();
  const leftOut = await featuresToLeaveOut(input, maxRows);
  return { ms: performance.now() - start, dropped: leftOut?.features ?? [] };
}

console.log(
  `Feature-transfer check: ${name} ordered by ink, ${input.past.labels.length} past and ${input.window.labels.length} window rows × ${stream.nFeatures} features, ${PAIRS} pairs; the platform reads ${MAX_TRANSFER_ROWS} of each`,
);
await timed(MAX_TRANSFER_ROWS); // warm-up: the first forest compiles the fit's paths
const capped: number[] = [];
const every: number[] = [];
const ratios: number[] = [];
let found = { capped: [] as number[], every: [] as number[] };
for (let i = 0; i < PAIRS; i++) {
  const a = await timed(MAX_TRANSFER_ROWS);
  const b = await timed(Number.POSITIVE_INFINITY);
  capped.push(a.ms);
  every.push(b.ms);
  ratios.push(a.ms / b.ms);
  found = { capped: a.dropped, every: b.dropped };
  console.log(`  pair ${i + 1}: capped ${a.ms.toFixed(0)} ms, every row ${b.ms.toFixed(0)} ms`);
}
const ratio = median(ratios);
console.log(
  `  median: capped ${median(capped).toFixed(0)} ms, every row ${median(every).toFixed(0)} ms; ratio ${ratio.toFixed(2)}× (target ≤ ${TARGET}×)`,
);
console.log(`  left out: capped [${found.capped.join(', ')}], every row [${found.every.join(', ')}]`);
console.log(`${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)}; ${ratio <= TARGET ? 'PASS' : 'FAIL'}`);
process.exitCode = ratio <= TARGET ? 0 : 1;
