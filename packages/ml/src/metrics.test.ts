import { describe, expect, it } from 'vitest';
import { ForestInputError } from './errors.ts';
import { accuracy, balancedAccuracy, confusionMatrix, f1, f1Macro, logLoss } from './metrics.ts';

// Reference values computed with scikit-learn 1.2.1 (python3-sklearn from apt):
//   accuracy_score(yTrue, yPred), f1_score(yTrue, yPred, average='macro'),
//   log_loss(yTrue, proba, labels=[0, 1, 2]), confusion_matrix(yTrue, yPred).
const yTrue = [0, 1, 2, 2, 1, 0, 1, 2, 0, 0, 1, 2];
const yPred = [0, 2, 2, 2, 1, 0, 0, 2, 1, 0, 1, 1];
const proba = [
  [0.7, 0.2, 0.1],
  [0.1, 0.3, 0.6],
  [0.0, 0.1, 0.9],
  [0.2, 0.2, 0.6],
  [0.1, 0.8, 0.1],
  [1.0, 0.0, 0.0],
  [0.5, 0.4, 0.1],
  [0.3, 0.3, 0.4],
  [0.3, 0.6, 0.1],
  [0.9, 0.05, 0.05],
  [0.25, 0.5, 0.25],
  [0.0, 1.0, 0.0], // true class 2 has probability 0: clipped to machine epsilon
];

describe('metrics against scikit-learn', () => {
  it('accuracy', () => {
    expect(accuracy(yTrue, yPred)).toBe(0.6666666666666666);
    expect(accuracy(Int32Array.from(yTrue), Int32Array.from(yTrue))).toBe(1);
  });

  it('balanced accuracy: the mean recall over the classes of yTrue', () => {
    // balanced_accuracy_score on the arrays above, and on ones where yPred has a class yTrue lacks.
    expect(balancedAccuracy(yTrue, yPred)).toBeCloseTo(0.6666666666666666, 12);
    expect(balancedAccuracy([0, 0, 1, 1, 1], [0, 2, 1, 1, 0])).toBeCloseTo(0.5833333333333333, 12);
    // Always the majority class of an imbalanced pair: accuracy 0.9, balanced accuracy 0.5.
    const truth = [...new Array(90).fill(0), ...new Array(10).fill(1)];
    expect(balancedAccuracy(truth, new Array(100).fill(0))).toBe(0.5);
  });

  it('macro F1, also exported as f1', () => {
    expect(f1Macro(yTrue, yPred)).toBeCloseTo(0.6666666666666666, 14);
    expect(f1).toBe(f1Macro);
  });

  it('macro F1 averages only classes present in either array', () => {
    // f1_score([0,0,1,1,3,3], [0,1,1,1,3,0], average='macro'): class 2 appears nowhere.
    expect(f1Macro([0, 0, 1, 1, 3, 3], [0, 1, 1, 1, 3, 0])).toBeCloseTo(0.6555555555555556, 14);
  });

  it('log loss with clipping, from rows or a flat array', () => {
    expect(logLoss(yTrue, proba)).toBeCloseTo(3.5232243993676557, 12);
    expect(logLoss(yTrue, Float64Array.from(proba.flat()), 3)).toBeCloseTo(3.5232243993676557, 12);
  });

  it('confusion matrix: rows are true classes, columns predictions', () => {
    expect(confusionMatrix(yTrue, yPred)).toEqual([
      [3, 1, 0],
      [1, 2, 1],
      [0, 1, 3],
    ]);
    expect(confusionMatrix([0, 0, 1, 1, 3, 3], [0, 1, 1, 1, 3, 0], 4)).toEqual([
      [1, 1, 0, 0],
      [0, 2, 0, 0],
      [0, 0, 0, 0],
      [1, 0, 0, 1],
    ]);
  });

  it('rejects mismatched, empty or non-integer input with a ForestInputError', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/yTrue has 2 labels but yPred has 1/);
    expect(() => accuracy([], [])).toThrow(ForestInputError);
    expect(() => f1Macro([0, 1.5], [0, 1])).toThrow(/yTrue\[1\] is 1.5/);
    expect(() => confusionMatrix([0, 3], [0, 1], 2)).toThrow(/nClasses is 2 but the labels go up to 3/);
    expect(() => logLoss([0, 1], Float64Array.from([0.5, 0.5, 0.5, 0.5]))).toThrow(/pass nClasses/);
    expect(() =>
      logLoss(
        [0, 3],
        [
          [0.5, 0.5],
          [0.5, 0.5],
        ],
      ),
    ).toThrow(/yTrue\[1\] is 3 but proba has only 2 classes/);
    expect(() => logLoss([0], [[Number.NaN, 1]])).toThrow(/proba\[0\]\[0\] is NaN/);
  });
});
