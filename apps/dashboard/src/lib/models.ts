/** How the models page writes a version's parameters and data window. Pure. */
import { formatCount } from './format.ts';

/**
 * Training parameters as "key value" pairs, sorted by key, nested values as compact JSON;
 * anything that is not an object (the column is free-form JSON) is written as it is.
 */
export function summarizeParams(params: unknown): string[] {
  if (params === null || params === undefined) return [];
  if (typeof params !== 'object' || Array.isArray(params)) return [JSON.stringify(params)];
  return Object.entries(params as Record<string, unknown>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([key, value]) =>
        `${key} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    );
}

/** The ingested rows a version learnt from: "rows #1,201–#2,400". */
export function formatRowWindow(start: number | null | undefined, end: number | null | undefined): string {
  if (start == null || end == null) return 'row window unknown';
  return `rows #${formatCount(start)}–#${formatCount(end)}`;
}

/** The parameters that tell random forests apart at a glance, in this order, when present. */
const KEY_PARAMS = ['nEstimators', 'maxDepth', 'maxFeatures', 'minSamplesLeaf'] as const;

/** The few parameters worth a glance ("nEstimators 20"); the rest stay one click away. */
export function keyParams(params: unknown): string[] {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return [];
  const record = params as Record<string, unknown>;
  return KEY_PARAMS.filter((key) => key in record).map((key) => `${key} ${String(record[key])}`);
}
