/**
 * The streams of the loop benchmark, each fully determined by its seed: the project's generators
 * (packages/streams) configured as the acceptance scenarios say, two small recipes built on the
 * project's seeded generator (createRng) where no generator fits (an imbalanced stream, a row
 * counter), and scikit-learn's bundled tables turned into streams (see tables.py).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  covariateShift,
  createRng,
  type Rng,
  rotatingHyperplane,
  type SyntheticStream,
  seaConcepts,
} from '../../packages/streams/src/index.ts';

export interface LoopStream {
  description: string;
  features: number[][];
  labels: number[];
  nClasses: number;
  nFeatures: number;
  /** Where the data-generating process changes: the oracle retrains there, delays count from there. */
  changes: number[];
}

function materialize(stream: SyntheticStream, n: number, description: string, changes: number[]): LoopStream {
  const features: number[][] = [];
  const labels: number[] = [];
  for (const sample of stream) {
    if (features.length >= n) break;
    features.push(sample.features);
    labels.push(sample.label);
  }
  return { description, features, labels, nClasses: stream.nClasses, nFeatures: stream.nFeatures, changes };
}

/** SEA with θ by variant (0: 8, 1: 9, 2: 7, 3: 9.5), 5 % label noise unless said otherwise. */
export function sea(
  seed: number,
  n: number,
  concepts: number[],
  positions: number[],
  options: { noise?: number; x2Shift?: number } = {},
): LoopStream {
  const stream = seaConcepts({
    seed,
    concepts,
    driftPositions: positions,
    noise: options.noise ?? 0.05,
    covariateShift: options.x2Shift ?? 0,
    length: n,
  });
  const thetas = concepts.map((c) => [8, 9, 7, 9.5][c]).join(' → ');
  const shift = options.x2Shift ? `, x2 + ${options.x2Shift} at each change` : '';
  const changes = positions.filter((_p, i) => concepts[i] !== concepts[i + 1] || options.x2Shift);
  return materialize(
    stream,
    n,
    `SEA θ ${thetas}${positions.length ? ` at ${positions.join(', ')}` : ''}${shift}`,
    changes,
  );
}

/** Gradual drift: the hyperplane of x0, x1 turns over [start, end), features unchanged. */
export function hyperplane(seed: number, n: number, start: number, end: number): LoopStream {
  const stream = rotatingHyperplane({
    seed,
    nFeatures: 4,
    nDriftFeatures: 2,
    magChange: 0.01,
    sigma: 0.05,
    noise: 0.05,
    driftWindows: [{ start, end }],
    length: n,
  });
  return materialize(stream, n, `rotating hyperplane, 4 features, x0 x1 turn over ${start}–${end}`, [
    start,
    end,
  ]);
}

/** Covariate shift of x0 and x1 by +3 sd at `at` (0 = none); `keep` drops the other features. */
export function covariate(seed: number, n: number, at: number, nFeatures: number, keep?: number): LoopStream {
  const stream = covariateShift({
    seed,
    nFeatures,
    shifts: at > 0 ? [{ position: at, features: [0, 1], magnitude: 3 }] : [],
    length: n,
  });
  const s = materialize(stream, n, '', at > 0 ? [at] : []);
  if (keep !== undefined) {
    s.features = s.features.map((row) => row.slice(0, keep));
    s.nFeatures = keep;
  }
  s.description =
    at > 0
      ? `covariate shift, ${nFeatures} features, x0 x1 + 3 sd at ${at}, rule unchanged`
      : `stationary covariate stream, ${keep ?? nFeatures} feature(s)${keep !== undefined ? ` of ${nFeatures} (x1 hidden: label noise)` : ''}`;
  return s;
}

/**
 * 2 % positives (recipe on createRng): negatives uniform on [0, 10]³; positives in a tight
 * cluster at (2, 2) (sd 0.15 in x0, x1; x2 uniform). From `change` on, 75 % of the positives come
 * from a cluster at (7, 7) instead, where a model trained before only ever saw negatives: its
 * minority recall falls to about a quarter of what it was while the overall error rises by ~1.5
 * points.
 */
export function imbalanced(seed: number, n: number, change: number | null): LoopStream {
  const rng = createRng(seed, 40);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.02) {
      const moved = change !== null && i >= change && rng.next() < 0.75;
      const c = moved ? 7 : 2;
      features.push([c + 0.15 * rng.normal(), c + 0.15 * rng.normal(), rng.uniform(0, 10)]);
      labels.push(1);
    } else {
      features.push([rng.uniform(0, 10), rng.uniform(0, 10), rng.uniform(0, 10)]);
      labels.push(0);
    }
  }
  return {
    description: `2 % positives${change !== null ? `, 75 % of them move to another cluster at ${change}` : ', stationary'}`,
    features,
    labels,
    nClasses: 2,
    nFeatures: 3,
    changes: change !== null ? [change] : [],
  };
}

/** x0 uniform on [0, 10] decides the label (5 % noise); x1 is the row counter (recipe on createRng). */
export function rowCounter(seed: number, n: number): LoopStream {
  const rng = createRng(seed, 41);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const x0 = rng.uniform(0, 10);
    features.push([x0, i]);
    labels.push((x0 > 5 ? 1 : 0) ^ (rng.next() < 0.05 ? 1 : 0));
  }
  return {
    description: 'x0 decides the label, x1 is a row counter (drifts forever)',
    features,
    labels,
    nClasses: 2,
    nFeatures: 2,
    changes: [],
  };
}

// ---- scikit-learn's bundled tables ---------------------------------------------------------------

export const TABLES_DIR = fileURLToPath(new URL('./out/tables/', import.meta.url));

interface Table {
  name: string;
  feature_names: string[];
  features: number[][];
  labels: number[];
}

export function loadTable(name: string): Table {
  const path = `${TABLES_DIR}${name}.json`;
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run /usr/bin/python3 bench/loop/tables.py first (pnpm bench:loop does)`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Table;
}

function shuffled(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** A permutation of the classes that moves every class (a derangement), seeded. */
function derangement(k: number, rng: Rng): number[] {
  for (;;) {
    const p = shuffled(k, rng);
    if (p.every((c, i) => c !== i)) return p;
  }
}

export type TableRecipe =
  | { kind: 'as-recorded' }
  | { kind: 'sorted'; by: string | 'ink' }
  | { kind: 'relabel'; at: number; until?: number }
  | { kind: 'gradual'; from: number; to: number };

/**
 * A table as a stream, seeded:
 * - as-recorded: the rows in the order the table holds them (a real stream: its dates);
 * - sorted: rows in increasing order of one feature (`ink` = the sum of all features), ties in a
 *   seeded random order: a real covariate shift;
 * - relabel: rows in seeded random order; in [at, until) every class c is labelled perm[c] (a
 *   seeded derangement): an abrupt concept change (and a recurring one when `until` is set);
 * - gradual: as relabel, the share of relabelled rows rising linearly from 0 at `from` to 1 at `to`.
 * Positions given as fractions of the table's length.
 */
export function tableStream(name: string, recipe: TableRecipe, seed: number): LoopStream {
  const table = loadTable(name);
  const n = table.labels.length;
  const k = Math.max(...table.labels) + 1;
  const rng = createRng(seed, 50);
  let order = shuffled(n, rng);
  const labels = table.labels.slice();
  let changes: number[] = [];
  let description: string;
  if (recipe.kind === 'as-recorded') {
    order = Array.from({ length: n }, (_, i) => i);
    description = `${name} (${n} rows) in its recorded order`;
  } else if (recipe.kind === 'sorted') {
    const column = recipe.by === 'ink' ? -1 : table.feature_names.indexOf(recipe.by);
    if (recipe.by !== 'ink' && column < 0) throw new Error(`${name} has no feature '${recipe.by}'`);
    const key = (r: number) =>
      column < 0 ? table.features[r]!.reduce((s, v) => s + v, 0) : table.features[r]![column]!;
    const rank = new Map(order.map((r, i) => [r, i]));
    order = [...order].sort((a, b) => key(a) - key(b) || rank.get(a)! - rank.get(b)!);
    description = `${name} (${n} rows) ordered by ${recipe.by}`;
  } else {
    const perm = derangement(k, rng);
    const from = Math.round((recipe.kind === 'relabel' ? recipe.at : recipe.from) * n);
    const to = recipe.kind === 'gradual' ? Math.round(recipe.to * n) : from;
    const until = recipe.kind === 'relabel' && recipe.until !== undefined ? Math.round(recipe.until * n) : n;
    for (let i = from; i < until; i++) {
      const share = i >= to ? 1 : (i - from) / Math.max(1, to - from);
      if (rng.next() < share) labels[order[i]!] = perm[table.labels[order[i]!]!]!;
    }
    changes = recipe.kind === 'gradual' ? [from, to] : until < n ? [from, until] : [from];
    description =
      recipe.kind === 'gradual'
        ? `${name} (${n} rows), classes permuted gradually over ${from}–${to}`
        : `${name} (${n} rows), classes permuted at ${from}${until < n ? ` until ${until}` : ''}`;
  }
  return {
    description,
    features: order.map((r) => table.features[r]!),
    labels: order.map((r) => labels[r]!),
    nClasses: k,
    nFeatures: table.features[0]!.length,
    changes,
  };
}
