import { accuracy, type Forest, f1Macro, logLoss } from '@automl-stream/ml';
import type { ModelMetrics } from './storage/models-storage.ts';

/**
 * The rows a challenger is judged on, and how (PROMOTION_GATE).
 *
 * - `out-of-bag` (the default): the challenger learns the whole window, the newest rows
 *   included, and is judged on the window's rows the serving champion never trained on (served
 *   after its training window), each
 *   predicted by the challenger's trees whose bootstrap sample left the row out: an honest,
 *   slightly pessimistic prediction. After a change that is every row since it (the champion
 *   learned none of them); for a growth, the rows added since the champion's
 *   window; without a champion, the whole window.
 * - `holdout`: the newest HOLDOUT_FRACTION of the window is held out, never learned. On a stream
 *   that keeps drifting those are the rows most like the ones the model will serve next, and the
 *   model never learns them (bench/loop/README: both gates on the platform's streams).
 *
 * The out-of-bag gate falls back to the hold-out when fewer rows than the hold-out would hold
 * follow the champion's training window (a retrain soon after the last one). When none follow it
 * (a retrain asked for with no new rows, e.g. after a change of settings), the champion learned
 * every row of the window and has none to be compared on: the challenger is judged out of bag on
 * the whole window and not against the champion (scored there, the champion would be judged on
 * rows it learned, and a challenger as good would lose).
 */
export interface GateSplit {
  trainX: number[][];
  trainY: number[];
  /** The gate's rows: held out, or (out-of-bag) the training rows from `outOfBagFrom` on. */
  testX: number[][];
  testY: number[];
  /** Out-of-bag gate: the index of the first gate row among the training rows; null: held out. */
  outOfBagFrom: number | null;
  /** The champion learned every row of the window: it is not scored (promoted on the challenger's own score). */
  championLearnedAll?: boolean;
  /** Out of bag: how many rows the hold-out would have held, the newest (a failing champion is also judged on them). */
  newestRows?: number;
}

/**
 * Where the out-of-bag gate's rows start: at the first row served after `trainedThrough` (0
 * without a champion) when at least `minRows` follow it; at 0, with the champion not compared,
 * when none does; null (hold out the newest instead) when some but fewer than `minRows` do.
 */
export function outOfBagFrom(
  servedAt: readonly Date[],
  trainedThrough: Date | null,
  minRows: number,
): { from: number; championLearnedAll: boolean } | null {
  let from = 0;
  if (trainedThrough) {
    const t = trainedThrough.getTime();
    from = servedAt.length;
    while (from > 0 && servedAt[from - 1]!.getTime() > t) from--;
  }
  const n = servedAt.length;
  const unseen = n - from;
  if (unseen === 0) return { from: 0, championLearnedAll: true };
  if (unseen < Math.max(1, minRows)) return null;
  return { from, championLearnedAll: false };
}

/** The whole window to learn, judged (out of bag) on its rows from `from` on. */
export function outOfBagSplit(
  data: { features: number[][]; labels: number[] },
  gate: { from: number; championLearnedAll: boolean },
): GateSplit {
  return {
    trainX: data.features,
    trainY: data.labels,
    testX: data.features.slice(gate.from),
    testY: data.labels.slice(gate.from),
    outOfBagFrom: gate.from,
    ...(gate.championLearnedAll ? { championLearnedAll: true } : {}),
  };
}

/** Rows [start, end) of the training rows the forest learned (a search refits its winner on a suffix). */
export interface LearnedRows {
  start: number;
  end: number;
}

/**
 * Honest class probabilities of every training row (n × nClasses, row-major): out of bag for the
 * rows the forest learned, plain predictions for the rows it never saw (before a search winner's
 * window), and for the rare row every tree drew.
 */
export async function honestProba(
  forest: Forest,
  rows: number[][],
  learned: LearnedRows,
  nClasses: number,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const K = nClasses;
  const out = new Float64Array(rows.length * K);
  // In turns of the event loop: on a wide window this is a few hundred milliseconds of the
  // thread that serves predictions.
  const oob = await forest.outOfBagProbaInTurns(rows.slice(learned.start, learned.end), signal);
  const unseen: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    const i = r - learned.start;
    if (i < 0 || r >= learned.end || oob.votes[i] === 0) {
      unseen.push(r);
      continue;
    }
    for (let k = 0; k < Math.min(K, forest.nClasses); k++)
      out[r * K + k] = oob.proba[i * forest.nClasses + k]!;
  }
  if (unseen.length === 0) return out;
  const plain = forest.predictProba(unseen.map((r) => rows[r]!));
  unseen.forEach((r, j) => {
    for (let k = 0; k < K; k++) out[r * K + k] = plain[j]![k] ?? 0;
  });
  return out;
}

/** Rows [from, n) of a row-major probability matrix, as arrays. */
export function probaRows(flat: Float64Array, nClasses: number, from: number): number[][] {
  const rows: number[][] = [];
  for (let r = from; r < flat.length / nClasses; r++)
    rows.push(Array.from(flat.subarray(r * nClasses, (r + 1) * nClasses)));
  return rows;
}

/** Metrics of class probabilities against the labels; a model that knows fewer classes gets zero-padded ones. */
export function scoreProba(
  raw: number[][],
  labels: number[],
  nClasses: number,
): { metrics: ModelMetrics; predicted: number[] } {
  const proba = raw.map((p) => Array.from({ length: Math.max(nClasses, p.length) }, (_, k) => p[k] ?? 0));
  const predicted = proba.map((p) => p.indexOf(Math.max(...p)));
  return {
    metrics: {
      accuracy: accuracy(labels, predicted),
      f1: f1Macro(labels, predicted),
      logLoss: logLoss(labels, proba),
      holdoutRows: labels.length,
      classes: classErrors(labels, predicted),
    },
    predicted,
  };
}

/** The gate's rows per true class: their number and the model's errors on them (a minority class's promise). */
function classErrors(labels: number[], predicted: number[]): { label: number; n: number; errors: number }[] {
  const byClass = new Map<number, { label: number; n: number; errors: number }>();
  labels.forEach((y, i) => {
    const c = byClass.get(y) ?? { label: y, n: 0, errors: 0 };
    c.n++;
    if (predicted[i] !== y) c.errors++;
    byClass.set(y, c);
  });
  return [...byClass.values()].sort((a, b) => a.label - b.label);
}
