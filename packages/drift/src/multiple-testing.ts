import { DriftInputError } from './errors.ts';

function checkPValues(pValues: readonly number[], what: string): void {
  for (let i = 0; i < pValues.length; i++) {
    const p = pValues[i]!;
    if (!(p >= 0 && p <= 1)) {
      throw new DriftInputError(`${what}: p-values must be numbers in [0, 1], got ${p} at index ${i}`);
    }
  }
}

/**
 * Benjamini-Hochberg adjusted p-values (step-up, controls the false discovery rate; R's
 * p.adjust(method = "BH")): adjusted_(i) = min_{k >= i} p_(k)·m/k, capped at 1, in input order.
 * Rejecting where adjusted < α also keeps the chance of any false alarm at α when nothing drifted.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  checkPValues(pValues, 'benjaminiHochberg');
  const m = pValues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => pValues[x]! - pValues[y]!);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const index = order[rank - 1]!;
    // (m / rank) · p, as R computes it: exact for rank = m and never below p.
    running = Math.min(running, (m / rank) * pValues[index]!);
    adjusted[index] = running;
  }
  return adjusted;
}

/** Bonferroni adjusted p-values min(1, p·m) (controls the family-wise error rate). */
export function bonferroni(pValues: readonly number[]): number[] {
  checkPValues(pValues, 'bonferroni');
  const m = pValues.length;
  return pValues.map((p) => Math.min(1, p * m));
}
