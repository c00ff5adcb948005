import { describe, expect, it } from 'vitest';
import { balancedAccuracy, minorityShare, perClassRecall } from './balanced-accuracy.ts';
import { loadPolicyReference } from './testing/policy-reference.ts';

describe('balanced accuracy against scikit-learn 1.2 (policy-reference.json)', () => {
  it.each(loadPolicyReference().balanced_accuracy.map((c, i) => ({ ...c, i })))('case $i', ({
    y_true,
    y_pred,
    balanced_accuracy,
    recall,
  }) => {
    expect(balancedAccuracy(y_true, y_pred)).toBeCloseTo(balanced_accuracy, 14);
    const ours = perClassRecall(y_true, y_pred);
    expect([...ours.keys()].map(String)).toEqual(Object.keys(recall));
    for (const [c, r] of ours) expect(r).toBeCloseTo(recall[String(c)]!, 14);
  });

  it('scores a majority-only model at 1/K whatever the imbalance', () => {
    const labels = Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? 1 : 0));
    expect(balancedAccuracy(labels, new Array(1000).fill(0))).toBe(0.5);
    expect(minorityShare(labels)).toBe(0.02);
    expect(minorityShare([1, 1, 1])).toBe(1);
  });

  it('weighs only the classes with minClassRows rows when asked', () => {
    // One row of class 2, right: a third of the plain balanced accuracy.
    const labels = [2, ...Array<number>(10).fill(0), ...Array<number>(10).fill(1)];
    const predicted = [2, ...Array<number>(10).fill(0), ...Array<number>(10).fill(0)];
    expect(balancedAccuracy(labels, predicted)).toBeCloseTo(2 / 3, 14);
    expect(balancedAccuracy(labels, predicted, { minClassRows: 5 })).toBe(0.5);
    expect(balancedAccuracy([2], [2], { minClassRows: 5 })).toBeNaN();
    expect(minorityShare(labels)).toBeCloseTo(1 / 21, 14);
    expect(minorityShare(labels, { minClassRows: 5 })).toBeCloseTo(10 / 21, 14);
    expect(minorityShare([2, 0, 0, 0, 0, 0], { minClassRows: 5 })).toBe(1);
  });
});
