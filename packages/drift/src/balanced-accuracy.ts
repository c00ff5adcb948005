import { DriftInputError } from './errors.ts';

/** Recall of every class present in `labels` (sklearn's recall_score(average=None) over y_true's classes). */
export function perClassRecall(labels: ArrayLike<number>, predicted: ArrayLike<number>): Map<number, number> {
  if (labels.length !== predicted.length || labels.length === 0) {
    throw new DriftInputError(
      `perClassRecall: labels and predictions must have one equal, non-zero length (got ${labels.length} and ${predicted.length})`,
    );
  }
  const total = new Map<number, number>();
  const right = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    total.set(c, (total.get(c) ?? 0) + 1);
    if (predicted[i] === c) right.set(c, (right.get(c) ?? 0) + 1);
  }
  const recall = new Map<number, number>();
  for (const c of [...total.keys()].sort((x, y) => x - y)) recall.set(c, (right.get(c) ?? 0) / total.get(c)!);
  return recall;
}

/**
 * Balanced accuracy: the mean recall over the classes that occur in `labels`
 * (sklearn.metrics.balanced_accuracy_score). A model that always answers the majority class
 * scores 1/K, however rare the other classes are. With `minClassRows`, only the classes with at
 * least that many rows weigh (a class of one row has a recall of 0 or 1, by chance); NaN when
 * none has.
 */
export function balancedAccuracy(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  options: { minClassRows?: number } = {},
): number {
  const recall = perClassRecall(labels, predicted);
  const counts = classCounts(labels);
  const min = options.minClassRows ?? 1;
  let sum = 0;
  let classes = 0;
  for (const [c, r] of recall) {
    if (counts.get(c)! < min) continue;
    sum += r;
    classes++;
  }
  return classes === 0 ? Number.NaN : sum / classes;
}

/** Rows per class of `labels`. */
export function classCounts(labels: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  return counts;
}

/**
 * Share of the rarest class among `labels` (1 when there is a single class), counting only the
 * classes with at least `minClassRows` rows (default 1: all of them).
 */
export function minorityShare(labels: ArrayLike<number>, options: { minClassRows?: number } = {}): number {
  if (labels.length === 0) return 1;
  const min = options.minClassRows ?? 1;
  const counted = [...classCounts(labels).values()].filter((n) => n >= min);
  if (counted.length < 2) return 1;
  return Math.min(...counted) / labels.length;
}
