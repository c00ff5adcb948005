/**
 * Loads the scipy reference values of drift by column type (`typed-reference.json`, written by
 * scripts/typed_reference.py; its `conventions` key says how each value was computed). Test support only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface TypedCategoryCase {
  name: string;
  type: 'categorical' | 'boolean';
  labels: string[];
  reference: number[];
  current: number[];
  pooled: string[];
  chi2: number;
  pvalue: number;
  dof: number;
  psi: number;
  jensenshannon_base_2: number;
}

export interface TypedMissingCase {
  name: string;
  reference_missing: number;
  reference_rows: number;
  current_missing: number;
  current_rows: number;
  chi2: number;
  pvalue: number;
}

export interface TypedReference {
  versions: Record<string, string>;
  conventions: Record<string, string>;
  categories: TypedCategoryCase[];
  missing: TypedMissingCase[];
}

let cached: TypedReference | undefined;

export function loadTypedReference(): TypedReference {
  cached ??= JSON.parse(
    readFileSync(fileURLToPath(new URL('./typed-reference.json', import.meta.url)), 'utf8'),
  ) as TypedReference;
  return cached;
}
