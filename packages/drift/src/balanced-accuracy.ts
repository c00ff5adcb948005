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
 * scores 1/K, however rare the other classes are.
 */
export function balancedAccuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const recall = perClassRecall(labels, predicted);
  let sum = 0;
  for (const r of recall.values()) sum += r;
  return sum / recall.size;
}

/** Share of the rarest class among `labels` (1 when there is a single class). */
export function minorityShare(labels: ArrayLike<number>): number {
  if (labels.length === 0) return 1;
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  if (counts.size < 2) return 1;
  return Math.min(...counts.values()) / labels.length;
}
