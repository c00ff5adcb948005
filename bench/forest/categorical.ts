/**
 * Fit time of a table with categorical columns against an all-numeric table of the same size:
 * 20,000 rows, 20 features, of which 5 are categorical (12 categories each, codes in a seeded
 * shuffled order, so no threshold on the codes is meaningful) in the first table and numeric in the
 * second. Same trees (100, depth 10, sqrt features), same threads; the fits alternate, REPETITIONS
 * times, and the ratio of the medians is reported. Target: ≤ 1.5×. Also the hold-out accuracy of
 * both, and of the categorical table with 20 % of its cells missing (NaN).
 *
 *   node --import tsx bench/forest/categorical.ts        (or: pnpm bench:categorical)
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { accuracy, type FeatureType, trainForest } from '../../packages/ml/src/index.ts';
import { median } from '../support/stats.ts';

const ROWS = 20_000;
const HOLDOUT = 5_000;
const FEATURES = 20;
const CATEGORICAL = 5;
const CATEGORIES = 12;
const REPETITIONS = 3;
const TARGET = 1.5;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * One table: features uniform in [0, 1); columns 0..4 either numeric or categorical (the value's
 * bin among CATEGORIES, given a shuffled code). The class depends on the first 8 columns, through
 * the bins for the categorical ones, so both tables carry the same signal.
 */
function table(categorical: boolean, missing: number, seed: number) {
  const r = rng(seed);
  const codes = Array.from({ length: CATEGORIES }, (_, i) => i).sort(() => r() - 0.5);
  const n = ROWS + HOLDOUT;
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: FEATURES }, () => r());
    const bins = row.slice(0, CATEGORICAL).map((v) => Math.floor(v * CATEGORIES));
    const score = bins.reduce((a, b, j) => a + (b % (j + 2) === 0 ? 1 : 0), 0) + row[5]! + row[6]! - row[7]!;
    y.push(score > 1.6 ? (score > 2.6 ? 2 : 1) : 0);
    if (categorical) for (let j = 0; j < CATEGORICAL; j++) row[j] = codes[bins[j]!]!;
    for (let j = 0; j < FEATURES; j++) if (r() < missing) row[j] = Number.NaN;
    x.push(row);
  }
  return { x, y };
}

const featureTypes = (categorical: boolean): FeatureType[] =>
  Array.from({ length: FEATURES }, (_, j) => (categorical && j < CATEGORICAL ? 'categorical' : 'numeric'));

async function fit(categorical: boolean, data: { x: number[][]; y: number[] }) {
  const started = performance.now();
  const forest = await trainForest(data.x.slice(0, ROWS), data.y.slice(0, ROWS), {
    nEstimators: 100,
    maxDepth: 10,
    seed: 1,
    featureTypes: featureTypes(categorical),
  });
  const seconds = (performance.now() - started) / 1000;
  const predicted = Array.from(forest.predict(data.x.slice(ROWS)));
  return { seconds, accuracy: accuracy(data.y.slice(ROWS), predicted) };
}

const numericTable = table(false, 0, 7);
const categoricalTable = table(true, 0, 7);
const numeric: { seconds: number; accuracy: number }[] = [];
const withCategories: { seconds: number; accuracy: number }[] = [];
for (let k = 0; k < REPETITIONS; k++) {
  numeric.push(await fit(false, numericTable));
  withCategories.push(await fit(true, categoricalTable));
}
const gappy = await fit(true, table(true, 0.2, 7));
const ratio = median(withCategories.map((r) => r.seconds)) / median(numeric.map((r) => r.seconds));
console.log(
  `forest fit, ${ROWS.toLocaleString('en-US')} rows × ${FEATURES} features, 100 trees depth 10; ${cpus().length} CPUs (${availableParallelism()} threads), load ${loadavg()[0]!.toFixed(2)}\n`,
);
console.log(
  `all numeric                         median ${median(numeric.map((r) => r.seconds)).toFixed(2)} s  accuracy ${numeric[0]!.accuracy.toFixed(3)}`,
);
console.log(
  `${CATEGORICAL} categorical (${CATEGORIES} categories)     median ${median(withCategories.map((r) => r.seconds)).toFixed(2)} s  accuracy ${withCategories[0]!.accuracy.toFixed(3)}`,
);
console.log(
  `${CATEGORICAL} categorical, 20 % cells missing   ${gappy.seconds.toFixed(2)} s  accuracy ${gappy.accuracy.toFixed(3)}`,
);
console.log(
  `\nfit time with categorical columns: ${ratio.toFixed(2)}× all-numeric (target ≤ ${TARGET}×)  ${ratio <= TARGET ? 'PASS' : 'FAIL'}`,
);
