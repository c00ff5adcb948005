import { badInput } from './errors.ts';

/**
 * The largest label a request may carry and why (MAX_CLASSES, or the serving model's classes plus
 * MAX_NEW_CLASSES for non-admin keys): a label far beyond the known classes makes the next model
 * that many classes wide, and its memory grows with them.
 */
export interface LabelLimit {
  max: number;
  /** Completes "labels[i] is v: ..." when a label is above `max`. */
  reason: string;
}

/** Labels within the platform's class cap (see MAX_CLASSES). */
export function classCap(maxClasses: number): LabelLimit {
  return {
    max: maxClasses - 1,
    reason: `labels are class indices, whole numbers from 0 to ${maxClasses - 1} (MAX_CLASSES ${maxClasses})`,
  };
}

/**
 * Checks a feature matrix: non-empty, rectangular, finite numbers within ±`maxMagnitude`, at most
 * `maxRows` rows, and `expectedFeatures` columns when known (else at most `maxWidth`). Messages
 * name the row and column at fault.
 */
export function validateFeatureMatrix(
  features: unknown,
  options: {
    maxRows: number;
    expectedFeatures: number | null;
    field?: string;
    /** Widest row accepted when `expectedFeatures` is null (MAX_FEATURES_PER_ROW). */
    maxWidth?: number;
    /** Largest |value| (MAX_FEATURE_MAGNITUDE): beyond it, sums of squares overflow to Infinity. */
    maxMagnitude?: number;
  },
): number[][] {
  const field = options.field ?? 'features';
  if (!Array.isArray(features)) throw badInput(`${field} must be a list of rows, each a list of numbers`);
  if (features.length === 0) throw badInput(`${field} is empty: send at least one row`);
  if (features.length > options.maxRows) {
    throw badInput(
      `${field} has ${features.length} rows; the limit is ${options.maxRows} per request: split the batch`,
      {
        rows: features.length,
        limit: options.maxRows,
      },
    );
  }
  const first = features[0];
  const width = Array.isArray(first) ? first.length : -1;
  const expected = options.expectedFeatures ?? width;
  if (options.expectedFeatures === null && options.maxWidth !== undefined && width > options.maxWidth) {
    throw badInput(
      `${field}[0] has ${width} values; the first batch fixes the platform's feature count, and at most ${options.maxWidth} features per row are accepted (MAX_FEATURES_PER_ROW): set N_FEATURES to the width you mean`,
      { row: 0, got: width, limit: options.maxWidth },
    );
  }
  const maxMagnitude = options.maxMagnitude ?? Number.MAX_VALUE;
  for (let i = 0; i < features.length; i++) {
    const row = features[i] as unknown;
    if (!Array.isArray(row)) throw badInput(`${field}[${i}] must be a list of numbers`, { row: i });
    if (row.length === 0)
      throw badInput(
        `${field}[${i}] is empty: every row needs ${expected > 0 ? expected : 'its'} feature values`,
        { row: i },
      );
    if (row.length !== expected) {
      throw badInput(
        options.expectedFeatures !== null
          ? `${field}[${i}] has ${row.length} values; this platform takes ${expected} features per row`
          : `${field}[${i}] has ${row.length} values but row 0 has ${width}: rows must all have the same length`,
        { row: i, got: row.length, expected },
      );
    }
    for (let j = 0; j < row.length; j++) {
      const v = row[j] as unknown;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw badInput(
          `${field}[${i}][${j}] is ${describe(v)}: every feature value must be a finite number`,
          {
            row: i,
            column: j,
          },
        );
      }
      if (v > maxMagnitude || v < -maxMagnitude) {
        throw badInput(
          `${field}[${i}][${j}] is ${v}: feature values must lie within ±${maxMagnitude} (MAX_FEATURE_MAGNITUDE), beyond which drift statistics overflow`,
          { row: i, column: j },
        );
      }
    }
  }
  return features as number[][];
}

export function validateLabels(labels: unknown, rows: number, limit: LabelLimit, field = 'labels'): number[] {
  if (!Array.isArray(labels)) throw badInput(`${field} must be a list of integer class labels`);
  if (labels.length !== rows) {
    throw badInput(
      `${field} has ${labels.length} entries but there are ${rows} rows: send one label per row`,
      {
        labels: labels.length,
        rows,
      },
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] as unknown;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw badInput(
        `${field}[${i}] is ${describe(v)}: labels are class indices, whole numbers from 0 to ${limit.max}`,
        { row: i },
      );
    }
    if (v > limit.max) throw badInput(`${field}[${i}] is ${v}: ${limit.reason}`, { row: i, max: limit.max });
  }
  return labels as number[];
}

/**
 * Ingest's labels: as validateLabels, where a null is a row without a class (stored without one,
 * its features count for drift). Null when no row has one.
 */
export function validateIngestLabels(
  labels: unknown,
  rows: number,
  limit: LabelLimit,
): (number | null)[] | null {
  if (!Array.isArray(labels)) throw badInput('labels must be a list of integer class labels');
  validateLabels(
    labels.map((v: unknown) => v ?? 0),
    rows,
    limit,
  );
  const known = labels as (number | null)[];
  return known.some((v) => v !== null) ? known : null;
}

function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  return `a ${Array.isArray(v) ? 'list' : typeof v}`;
}
