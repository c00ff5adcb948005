import { ForestInputError } from './errors.ts';

/**
 * Classification metrics with scikit-learn's definitions (sklearn.metrics), for class labels
 * 0..K-1. Bad input (different lengths, empty, non-integer labels) throws ForestInputError.
 */

type Labels = readonly number[] | Int32Array;

function checkPair(yTrue: Labels, yPred: Labels): void {
  if (yTrue.length !== yPred.length) {
    throw new ForestInputError(
      `yTrue has ${yTrue.length} labels but yPred has ${yPred.length}; they must match`,
    );
  }
  if (yTrue.length === 0)
    throw new ForestInputError('yTrue and yPred are empty; a metric needs at least one label');
  checkLabels(yTrue, 'yTrue');
  checkLabels(yPred, 'yPred');
}

function checkLabels(labels: Labels, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0) {
      throw new ForestInputError(`${name}[${i}] is ${String(y)}; labels must be class indices 0..K-1`);
    }
  }
}

function maxLabel(...arrays: Labels[]): number {
  let max = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!;
  return max;
}

/** Fraction of rows whose predicted class equals the true class. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  checkPair(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Mean over the classes present in yTrue of their recall (scikit-learn's
 * `balanced_accuracy_score`: a class that only occurs in yPred does not count). Equals accuracy
 * when the classes are balanced; a model that always answers the majority class of K scores 1/K.
 */
export function balancedAccuracy(yTrue: Labels, yPred: Labels): number {
  const matrix = confusionMatrix(yTrue, yPred);
  let sum = 0;
  let present = 0;
  for (let k = 0; k < matrix.length; k++) {
    let actual = 0;
    for (const count of matrix[k]!) actual += count;
    if (actual === 0) continue;
    present++;
    sum += matrix[k]![k]! / actual;
  }
  return sum / present;
}

/**
 * `matrix[t][p]` = number of rows of true class t predicted as p (scikit-learn's orientation).
 * @param nClasses size of the matrix; @default 1 + the largest label in either array
 */
export function confusionMatrix(yTrue: Labels, yPred: Labels, nClasses?: number): number[][] {
  checkPair(yTrue, yPred);
  const K = nClasses ?? maxLabel(yTrue, yPred) + 1;
  if (!Number.isInteger(K) || K < 1 || K <= maxLabel(yTrue, yPred)) {
    throw new ForestInputError(`nClasses is ${K} but the labels go up to ${maxLabel(yTrue, yPred)}`);
  }
  const matrix = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]!]![yPred[i]!]!++;
  return matrix;
}

/**
 * Macro-averaged F1: the unweighted mean over every class that occurs in yTrue or yPred of
 * 2·TP / (2·TP + FP + FN) (scikit-learn's `f1_score(average='macro')`, zero division → 0).
 */
export function f1Macro(yTrue: Labels, yPred: Labels): number {
  const matrix = confusionMatrix(yTrue, yPred);
  let sum = 0;
  let present = 0;
  for (let k = 0; k < matrix.length; k++) {
    const tp = matrix[k]![k]!;
    let actual = 0;
    let predicted = 0;
    for (let j = 0; j < matrix.length; j++) {
      actual += matrix[k]![j]!;
      predicted += matrix[j]![k]!;
    }
    if (actual === 0 && predicted === 0) continue;
    present++;
    const denominator = actual + predicted; // = 2·TP + FP + FN
    sum += denominator === 0 ? 0 : (2 * tp) / denominator;
  }
  return sum / present;
}

/** Alias of {@link f1Macro}: "f1" on the dashboard is macro F1. */
export const f1 = f1Macro;

/**
 * Mean cross-entropy −log p(true class), as scikit-learn's `log_loss` with `labels=0..K-1`:
 * probabilities are clipped to [ε, 1 − ε] (ε = 2^-52, float64 machine epsilon) and each row is
 * renormalised before the log.
 * @param proba per-row class probabilities, or one flat row-major Float64Array of `n × nClasses`
 * @param nClasses required with a flat Float64Array; @default proba[0].length
 */
export function logLoss(
  yTrue: Labels,
  proba: readonly (readonly number[])[] | Float64Array,
  nClasses?: number,
): number {
  const n = yTrue.length;
  if (n === 0) throw new ForestInputError('yTrue is empty; logLoss needs at least one row');
  checkLabels(yTrue, 'yTrue');
  const flat = proba instanceof Float64Array;
  const K = nClasses ?? (flat ? undefined : proba[0]?.length);
  if (K === undefined || !Number.isInteger(K) || K < 2) {
    throw new ForestInputError(
      'logLoss needs the number of classes (>= 2): pass nClasses with a flat Float64Array',
    );
  }
  if (proba.length !== (flat ? n * K : n)) {
    throw new ForestInputError(
      `proba has ${flat ? `${proba.length} values` : `${proba.length} rows`} but yTrue has ${n} rows of ${K} classes`,
    );
  }
  const eps = Number.EPSILON;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i]!;
    if (y >= K) throw new ForestInputError(`yTrue[${i}] is ${y} but proba has only ${K} classes`);
    const row: ArrayLike<number> = flat ? proba.subarray(i * K, i * K + K) : proba[i]!;
    if (row.length !== K) throw new ForestInputError(`proba[${i}] has ${row.length} values, expected ${K}`);
    let rowSum = 0;
    let pTrue = 0;
    for (let k = 0; k < K; k++) {
      const p = row[k]!;
      if (!Number.isFinite(p))
        throw new ForestInputError(`proba[${i}][${k}] is ${p}; probabilities must be finite`);
      const clipped = Math.min(Math.max(p, eps), 1 - eps);
      rowSum += clipped;
      if (k === y) pTrue = clipped;
    }
    total -= Math.log(pTrue / rowSum);
  }
  return total / n;
}
