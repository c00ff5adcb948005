/**
 * High-cardinality categorical columns, capped for the forest: the forest splits on category
 * subsets of at most MAX_CATEGORIES codes per column, while a pipeline's column may have seen
 * thousands of values. A model keeps the most frequent values of its training rows as codes
 * 0..K-2 and folds the other values it saw into one "other" code K-1; a value it never saw is
 * missing to it (code -1), as for any unseen category. The maps are stored with the model version
 * (its params) and applied to every row the model reads.
 */
export interface CategoryCap {
  /** Feature column index. */
  column: number;
  /** Raw codes (the schema's) kept, in model-code order. */
  kept: number[];
  /** Raw codes seen in training and folded into "other" (code kept.length). */
  other: number[];
}

/** Caps of the categorical `columns` whose training rows hold more than `maxCategories` values. */
export function fitCategoryCaps(
  rows: readonly number[][],
  columns: readonly number[],
  maxCategories: number,
): CategoryCap[] {
  const caps: CategoryCap[] = [];
  for (const column of columns) {
    const counts = new Map<number, number>();
    for (const row of rows) {
      const v = row[column]!;
      if (v >= 0) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    let largest = -1;
    for (const code of counts.keys()) if (code > largest) largest = code;
    if (largest < maxCategories) continue;
    // Most frequent first; ties by code, so the same rows always give the same map.
    const byCount = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([code]) => code);
    caps.push({ column, kept: byCount.slice(0, maxCategories - 1), other: byCount.slice(maxCategories - 1) });
  }
  return caps;
}

/** The rows as the model reads them (copies of the capped rows; the rows themselves when no cap). */
export function applyCategoryCaps(rows: readonly number[][], caps: readonly CategoryCap[]): number[][] {
  if (caps.length === 0) return rows as number[][];
  const lookups = caps.map((cap) => {
    const codes = new Map<number, number>();
    cap.kept.forEach((raw, i) => {
      codes.set(raw, i);
    });
    for (const raw of cap.other) codes.set(raw, cap.kept.length);
    return { column: cap.column, codes };
  });
  return rows.map((row) => {
    const out = row.slice();
    for (const { column, codes } of lookups) {
      const v = out[column]!;
      if (!Number.isNaN(v)) out[column] = codes.get(v) ?? -1;
    }
    return out;
  });
}

/** Rows of different widths (columns added to the schema later) padded with missing values. */
export function padRows(rows: number[][]): { rows: number[][]; width: number } {
  let width = 0;
  for (const r of rows) if (r.length > width) width = r.length;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.length < width) rows[i] = [...r, ...new Array<number>(width - r.length).fill(Number.NaN)];
  }
  return { rows, width };
}

/** Rows padded with NaN (missing) to `width` columns, or cut to it. */
export function padTo(rows: readonly number[][], width: number): number[][] {
  return rows.map((r) =>
    r.length === width
      ? r
      : [...r.slice(0, width), ...new Array<number>(Math.max(0, width - r.length)).fill(Number.NaN)],
  );
}

/** Rows as a model of `nFeatures` columns with `caps` reads them: later columns cut, categories capped. */
export function modelRows(rows: number[][], nFeatures: number, caps: readonly CategoryCap[]): number[][] {
  const cut = rows.length > 0 && rows[0]!.length > nFeatures ? rows.map((r) => r.slice(0, nFeatures)) : rows;
  return applyCategoryCaps(cut, caps);
}

/** The caps stored in a model version's params (none for versions trained before schemas). */
export function capsOf(params: Record<string, unknown>): CategoryCap[] {
  return Array.isArray(params.categoryCaps) ? (params.categoryCaps as CategoryCap[]) : [];
}
