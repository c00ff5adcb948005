/**
 * The model search on a wide real table: Fashion-MNIST's first 10,000 training rows (784 pixel
 * columns, 10 classes), with the windows the platform offers a growth retrain of them
 * (searchWindows: newest-2000, newest-5000, all) and its default budget, scored on the first
 * 2,000 test rows next to scikit-learn's forest of 100 trees trained on the same rows.
 *
 *   node --import tsx bench/automl/wide.ts [--rows 10000] [--budget 8,30]
 *
 * Needs `apt install dataset-fashion-mnist python3-sklearn` (skipped, exit 0, without the data).
 * Before this benchmark, rung 0 scored the windows one after the other in the grid's order: on
 * these columns a fit of every feature per split takes seconds, the budget ended inside the first
 * window, and the refit of the winner got 30 trees (bench/automl/README.md, "A wide table").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { searchWindows } from '../../packages/core/src/automl-fit.ts';
import { AUTOML_BUDGET_SECONDS, accuracy, searchForest } from '../../packages/ml/src/index.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const ROWS = Number(option('--rows', '10000'));
const BUDGETS = option('--budget', `${AUTOML_BUDGET_SECONDS},30`).split(',').map(Number);
/** PASS: at the default budget, at most this many points under scikit-learn's default forest. */
const TOLERANCE_POINTS = 1;

interface Wide {
  x: number[][];
  y: number[];
  xTest: number[][];
  yTest: number[];
  sklearn: { sqrt: number; log2: number };
}

function load(): Wide | null {
  const out = fileURLToPath(new URL('out/wide.json', import.meta.url));
  mkdirSync(fileURLToPath(new URL('out', import.meta.url)), { recursive: true });
  try {
    execFileSync(
      '/usr/bin/python3',
      [fileURLToPath(new URL('wide_ref.py', import.meta.url)), String(ROWS), '2000', out],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  } catch (error) {
    if ((error as { status?: number }).status === 3) return null;
    throw error;
  }
  return JSON.parse(readFileSync(out, 'utf8')) as Wide;
}

async function searchOnce(data: Wide, budgetSeconds: number) {
  const nFeatures = data.x[0]!.length;
  const result = await searchForest(
    { features: data.x, labels: data.y, nFeatures, nClasses: 10 },
    { windows: searchWindows(data.x.length, null, 200), budgetSeconds, threads: 2 },
  );
  const predicted = result.winner.forest.predict(Float64Array.from(data.xTest.flat()));
  const scoredPerWindow = new Map<string, number>();
  for (const e of result.leaderboard)
    if (e.score !== null) scoredPerWindow.set(e.window.name, (scoredPerWindow.get(e.window.name) ?? 0) + 1);
  return { result, testAccuracy: accuracy(Int32Array.from(data.yTest), predicted), scoredPerWindow };
}

async function main() {
  const data = load();
  if (!data) {
    console.log('Fashion-MNIST is not installed (apt install dataset-fashion-mnist): skipped.');
    return;
  }
  const pct = (v: number) => (100 * v).toFixed(2);
  console.log(
    `Fashion-MNIST: ${data.x.length.toLocaleString('en-US')} training rows × ${data.x[0]!.length} columns, 10 classes; held out: the first 2,000 test rows.`,
  );
  console.log(
    `scikit-learn RandomForestClassifier(100), mean of 3 seeds: max_features sqrt ${pct(data.sklearn.sqrt)}, log2 ${pct(data.sklearn.log2)}`,
  );
  let failed = 0;
  for (const budget of BUDGETS) {
    const load1 = loadavg()[0]!.toFixed(1);
    const { result, testAccuracy, scoredPerWindow } = await searchOnce(data, budget);
    const w = result.winner;
    const windows = [...scoredPerWindow].map(([name, n]) => `${name} ${n}`).join(', ');
    const delta = 100 * (testAccuracy - data.sklearn.sqrt);
    console.log(
      `budget ${budget} s: test accuracy ${pct(testAccuracy)} (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} vs sklearn sqrt); ` +
        `${(result.elapsedMs / 1000).toFixed(1)} s, ${result.leaderboard.filter((e) => e.score !== null).length} of ${result.leaderboard.length} candidates scored (${windows}); ` +
        `winner window ${w.window.name}, max features ${w.params.maxFeatures}, refit ${w.refit.nTrees} trees on ${w.refit.rows.toLocaleString('en-US')} rows (load ${load1})`,
    );
    console.log(`  why: ${w.reason}`);
    if (budget !== AUTOML_BUDGET_SECONDS) continue;
    const checks = [
      [
        `every window scored (${scoredPerWindow.size} of ${new Set(result.leaderboard.map((e) => e.window.name)).size})`,
        scoredPerWindow.size === new Set(result.leaderboard.map((e) => e.window.name)).size,
      ],
      [`refit with its 100 trees (${w.refit.nTrees})`, w.refit.nTrees === 100],
      [
        `within ${TOLERANCE_POINTS} point of scikit-learn's default forest (${delta.toFixed(2)})`,
        delta >= -TOLERANCE_POINTS,
      ],
    ] as const;
    for (const [what, ok] of checks) {
      console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${what}`);
      if (!ok) failed++;
    }
  }
  if (failed > 0) process.exitCode = 1;
}

await main();
