/**
 * Loads the scipy / scikit-learn reference values of the policy statistics
 * (`policy-reference.json`, written by scripts/policy_reference.py; its `conventions` key says
 * how each value was computed). Test support only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Alt = 'two-sided' | 'less' | 'greater';

export interface PolicyReference {
  normal_quantile: { p: number; z: number }[];
  beta_quantile: { p: number; a: number; b: number; x: number }[];
  binomial: { k: number; n: number; p: number; cdf: number; sf_at_least: number }[];
  intervals: {
    k: number;
    n: number;
    confidence: number;
    alternative: Alt;
    wilson: [number, number];
    clopper_pearson: [number, number];
  }[];
  mcnemar: ({
    challenger: number[];
    champion: number[];
    challenger_only: number;
    champion_only: number;
  } & Partial<Record<`p_${Alt}` | 'share_lower_0.8' | 'share_lower_0.9' | 'share_lower_0.95', number>>)[];
  balanced_accuracy: {
    y_true: number[];
    y_pred: number[];
    balanced_accuracy: number;
    recall: Record<string, number>;
  }[];
  categorical: { reference: number[]; current: number[]; p_value: number }[];
  missing_rate: {
    reference_missing: number;
    reference_rows: number;
    current_missing: number;
    current_rows: number;
    p_value: number;
  }[];
}

let cached: PolicyReference | undefined;

export function loadPolicyReference(): PolicyReference {
  cached ??= JSON.parse(
    readFileSync(fileURLToPath(new URL('./policy-reference.json', import.meta.url)), 'utf8'),
  ) as PolicyReference;
  return cached;
}
