import { DriftInputError } from './errors.ts';
import { checkFeatureTypes, extractTypedColumn, type FeatureType } from './feature-types.ts';
import { meanAndStd, sortFloat64 } from './sample.ts';

/** A table of rows × features (row-major), the shape the platform stores feature vectors in. */
export type FeatureRows = readonly (readonly number[])[];

/**
 * A reference sample prepared for repeated drift checks: every column sorted once, with its standard
 * deviation. Checking the same reference every few seconds then costs only the current window's sort.
 */
export interface PreparedReference {
  readonly kind: 'prepared-reference';
  readonly nRows: number;
  readonly featureNames: readonly string[];
  /** Sorted ascending, one per feature (with `featureTypes`: the present, non-NaN values only). */
  readonly columns: readonly Float64Array[];
  /** Population standard deviation (ddof = 0) of each column (of its present values). */
  readonly stds: readonly number[];
  /** The column types it was prepared with; absent for an untyped (all numeric, no NaN) reference. */
  readonly featureTypes?: readonly FeatureType[];
  /** With `featureTypes`: the number of missing (NaN) values of each column. */
  readonly missing?: readonly number[];
}

export interface PrepareOptions {
  /** Names for the columns, in order. @default ['feature_0', 'feature_1', ...] */
  featureNames?: readonly string[];
  /** Column types (see `CompareOptions.featureTypes`); with them NaN marks a missing value. */
  featureTypes?: readonly FeatureType[];
}

export function isPreparedReference(value: unknown): value is PreparedReference {
  return (
    typeof value === 'object' && value !== null && (value as PreparedReference).kind === 'prepared-reference'
  );
}

export function defaultFeatureNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `feature_${i}`);
}

/** Number of features of a row table, or `fallback` when it has no rows. */
export function featureCount(rows: FeatureRows, what: string, fallback: number | undefined): number {
  if (!Array.isArray(rows)) throw new DriftInputError(`${what} must be an array of rows (number[][])`);
  if (rows.length === 0) return fallback ?? 0;
  const first = rows[0];
  if (!Array.isArray(first)) throw new DriftInputError(`${what} row 0 must be an array of numbers`);
  return first.length;
}

/**
 * Extracts column `feature` of a row table into a Float64Array, checking shape and finiteness with
 * messages that name the feature and row.
 */
export function extractColumn(
  rows: FeatureRows,
  feature: number,
  width: number,
  name: string,
  what: string,
): Float64Array {
  const n = rows.length;
  const column = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const row = rows[r]!;
    if (!Array.isArray(row) || row.length !== width) {
      throw new DriftInputError(
        `${what} row ${r} has ${Array.isArray(row) ? row.length : 'no'} values but ${width} features are expected; every row needs one value per feature`,
      );
    }
    const v = row[feature]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new DriftInputError(
        `${what} has a non-finite value (${String(v)}) for feature '${name}' at row ${r}; drop or impute missing values before checking drift`,
      );
    }
    column[r] = v;
  }
  return column;
}

export function resolveFeatureNames(count: number, featureNames: readonly string[] | undefined): string[] {
  if (featureNames === undefined) return defaultFeatureNames(count);
  if (featureNames.length !== count) {
    throw new DriftInputError(
      `featureNames has ${featureNames.length} names but the data has ${count} features`,
    );
  }
  return [...featureNames];
}

/**
 * Sorts every column of a reference table once so that many drift checks can reuse it.
 *
 * @param options.featureNames names for the columns, in order. @default ['feature_0', 'feature_1', ...]
 * @param options.featureTypes column types; with them NaN is a missing value, counted per column.
 * @throws DriftInputError for ragged rows, non-finite values (NaN is allowed with featureTypes),
 *   values that do not suit their column type, or a name or type list of the wrong length.
 */
export function prepareReference(reference: FeatureRows, options: PrepareOptions = {}): PreparedReference {
  const width = featureCount(
    reference,
    'reference',
    options.featureNames?.length ?? options.featureTypes?.length,
  );
  const featureNames = resolveFeatureNames(width, options.featureNames);
  if (options.featureTypes !== undefined) {
    return prepareTyped(
      reference,
      featureNames,
      checkFeatureTypes(options.featureTypes, width, 'prepareReference'),
    );
  }
  const columns: Float64Array[] = [];
  const stds: number[] = [];
  for (let f = 0; f < width; f++) {
    const column = extractColumn(reference, f, width, featureNames[f]!, 'reference');
    stds.push(column.length > 0 ? meanAndStd(column).std : 0);
    columns.push(sortFloat64(column));
  }
  return { kind: 'prepared-reference', nRows: reference.length, featureNames, columns, stds };
}

function prepareTyped(
  reference: FeatureRows,
  featureNames: string[],
  featureTypes: FeatureType[],
): PreparedReference {
  const columns: Float64Array[] = [];
  const stds: number[] = [];
  const missing: number[] = [];
  featureTypes.forEach((type, f) => {
    const name = featureNames[f]!;
    const column = extractTypedColumn(reference, f, featureTypes.length, name, 'reference', type);
    stds.push(type === 'numeric' && column.present.length > 0 ? meanAndStd(column.present).std : 0);
    columns.push(sortFloat64(column.present));
    missing.push(column.missing);
  });
  return {
    kind: 'prepared-reference',
    nRows: reference.length,
    featureNames,
    columns,
    stds,
    featureTypes,
    missing,
  };
}

/**
 * Wasserstein distance in units of the reference's standard deviation. A constant reference column
 * has no spread to divide by, so the pooled standard deviation of both samples is used instead; if
 * that is 0 as well the samples are identical constants and the distance is 0. Never NaN or infinite.
 */
export function normalizedWasserstein(
  distance: number,
  referenceStd: number,
  reference: Float64Array,
  current: Float64Array,
): number {
  if (distance === 0) return 0;
  if (referenceStd > 0) return distance / referenceStd;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) sum += reference[i]!;
  for (let i = 0; i < current.length; i++) sum += current[i]!;
  const n = reference.length + current.length;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < reference.length; i++) squares += (reference[i]! - mean) ** 2;
  for (let i = 0; i < current.length; i++) squares += (current[i]! - mean) ** 2;
  const pooled = Math.sqrt(squares / n);
  return pooled > 0 ? distance / pooled : 0;
}
