import { chiSquareTest } from './categorical.ts';
import { DriftInputError } from './errors.ts';
import { ksTestSorted } from './ks.ts';
import { benjaminiHochberg } from './multiple-testing.ts';
import { fisherExactTest } from './proportions.ts';
import { sortFloat64 } from './sample.ts';

/*
 * Data drift on disjoint chunks: each served row is tested once, in one chunk, against the
 * reference of the serving regime. Per feature a test suited to its kind (KS for numeric values,
 * chi-square with an "unseen" bucket for categories, Fisher's exact test for the missing rate);
 * the chunk's p-value is the Simes combination over the features important enough to vote.
 */

/** A feature with at most this many distinct reference values is tested as categorical. */
export const MAX_CATEGORIES = 10;
/** Exact KS p-values up to this n_reference × n_chunk (above it, the asymptotic law, which is accurate there). */
const KS_EXACT_MAX_PRODUCT = 1_000_000;

export type FeatureKind = 'numeric' | 'categorical';

export interface ChunkReference {
  nRows: number;
  kinds: FeatureKind[];
  /** Sorted non-missing values per feature. */
  columns: Float64Array[];
  /** Missing (NaN) values per feature. */
  missing: number[];
  /** Categorical features: the reference's categories, in increasing order. */
  categories: (number[] | null)[];
}

/**
 * Each entity once: rows with the same key (a row that was both predicted and ingested, or sent
 * twice) are one observation; counting them twice makes the p-values too small (D6). Without
 * keys every row is its own entity (identical values from different entities are real data).
 */
export function countOnce<R>(rows: readonly R[], keys?: ArrayLike<string | number>): R[] {
  if (!keys) return [...rows];
  if (keys.length !== rows.length) {
    throw new DriftInputError(`countOnce: ${keys.length} keys for ${rows.length} rows`);
  }
  const seen = new Set<string | number>();
  const out: R[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (seen.has(keys[i]!)) continue;
    seen.add(keys[i]!);
    out.push(rows[i]!);
  }
  return out;
}

function width(rows: readonly (readonly number[])[], what: string): number {
  const m = rows[0]?.length ?? 0;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i]!.length !== m) {
      throw new DriftInputError(`${what}: row ${i} has ${rows[i]!.length} values, row 0 has ${m}`);
    }
  }
  return m;
}

/**
 * Sorts the reference once per regime. A feature is categorical when `categorical[j]` says so or,
 * when it is not given, when the reference has at most {@link MAX_CATEGORIES} distinct values.
 */
export function prepareChunkReference(
  rows: readonly (readonly number[])[],
  options: { categorical?: readonly (boolean | undefined)[] } = {},
): ChunkReference {
  const unique = rows;
  const m = width(unique, 'reference');
  const kinds: FeatureKind[] = [];
  const columns: Float64Array[] = [];
  const missing: number[] = [];
  const categories: (number[] | null)[] = [];
  for (let j = 0; j < m; j++) {
    const values: number[] = [];
    let nMissing = 0;
    for (const row of unique) {
      const v = row[j]!;
      if (Number.isNaN(v)) nMissing++;
      else values.push(v);
    }
    const sorted = sortFloat64(Float64Array.from(values));
    const distinct = [...new Set(sorted)];
    const declared = options.categorical?.[j];
    const kind: FeatureKind =
      declared === true || (declared === undefined && distinct.length <= MAX_CATEGORIES)
        ? 'categorical'
        : 'numeric';
    kinds.push(kind);
    columns.push(sorted);
    missing.push(nMissing);
    categories.push(kind === 'categorical' ? distinct : null);
  }
  return { nRows: unique.length, kinds, columns, missing, categories };
}

export interface FeatureChunkTest {
  feature: number;
  kind: FeatureKind;
  test: 'ks' | 'chi-square' | 'none';
  statistic: number;
  /** p-value of the distribution test on the present values (1 when it could not run). */
  distributionPValue: number;
  /** KS D for numeric features, total variation distance of the category shares for categorical ones. */
  effect: number;
  missing: { referenceRate: number; currentRate: number; pValue: number } | null;
  /** Distribution and missing-rate tests combined (Bonferroni over the two when both ran). */
  pValue: number;
  /** Normalised importance of the feature in the serving model (null when unknown). */
  importance: number | null;
  votes: boolean;
  /** Why it does or does not vote. */
  reason: string;
}

export interface ChunkTest {
  nReference: number;
  /** Entities in the chunk (each counted once). */
  nCurrent: number;
  /** Simes p-value over the voting features (1 when none votes). */
  pValue: number;
  voting: number[];
  features: FeatureChunkTest[];
}

/**
 * Which features vote: those with normalised importance >= 1/(2m) (all of them when the model
 * gives no importances), never a muted one. With 1 or 2 features this is not "any feature"
 * by accident (D7): a feature the model ignores cannot raise the verdict.
 */
export function votingFeatures(
  nFeatures: number,
  importances: ArrayLike<number> | null,
  muted: ReadonlySet<number> = new Set(),
): { votes: boolean[]; normalised: (number | null)[] } {
  const normalised: (number | null)[] = new Array(nFeatures).fill(null);
  let total = 0;
  if (importances) for (let j = 0; j < nFeatures; j++) total += Math.max(0, importances[j] ?? 0);
  if (importances && total > 0)
    for (let j = 0; j < nFeatures; j++) normalised[j] = Math.max(0, importances[j] ?? 0) / total;
  const floor = 1 / (2 * nFeatures);
  const votes = normalised.map((w, j) => !muted.has(j) && (w === null || w >= floor));
  return { votes, normalised };
}

/** Simes' combination of p-values: min over i of m·p_(i)/i (the smallest BH-adjusted p-value). */
export function simesPValue(pValues: readonly number[]): number {
  if (pValues.length === 0) return 1;
  return Math.min(...benjaminiHochberg(pValues));
}

function testNumeric(reference: Float64Array, current: number[]) {
  const sorted = sortFloat64(Float64Array.from(current));
  if (reference.length === 0 || sorted.length === 0)
    return { test: 'none' as const, statistic: 0, p: 1, effect: 0 };
  const method = reference.length * sorted.length <= KS_EXACT_MAX_PRODUCT ? 'exact' : 'asymp';
  const ks = ksTestSorted(reference, sorted, { method });
  return { test: 'ks' as const, statistic: ks.statistic, p: ks.pValue, effect: ks.statistic };
}

/** Chi-square over the reference's categories plus one bucket for values the reference never had. */
function testCategorical(reference: Float64Array, categories: number[], current: number[]) {
  const index = new Map(categories.map((c, k) => [c, k]));
  const ref = new Array<number>(categories.length + 1).fill(0);
  const cur = new Array<number>(categories.length + 1).fill(0);
  for (const v of reference) ref[index.get(v)!]!++;
  for (const v of current) cur[index.get(v) ?? categories.length]!++;
  if (reference.length === 0 || current.length === 0)
    return { test: 'none' as const, statistic: 0, p: 1, effect: 0 };
  const chi = chiSquareTest(ref, cur);
  let tv = 0;
  for (let k = 0; k < ref.length; k++) tv += Math.abs(ref[k]! / reference.length - cur[k]! / current.length);
  return { test: 'chi-square' as const, statistic: chi.statistic, p: chi.pValue, effect: tv / 2 };
}

/**
 * Tests one chunk of rows against the reference, each entity once (see {@link countOnce}).
 * @param options.keys entity keys of the rows (a row predicted and ingested has one key)
 * @param options.importances the serving model's feature importances (null: every feature votes)
 * @param options.muted features whose drift was accepted: reported, never voting
 */
export function testChunk(
  reference: ChunkReference,
  rows: readonly (readonly number[])[],
  options: {
    keys?: ArrayLike<string | number>;
    importances?: ArrayLike<number> | null;
    muted?: ReadonlySet<number>;
  } = {},
): ChunkTest {
  const unique = countOnce(rows, options.keys);
  const m = reference.kinds.length;
  if (unique.length > 0 && width(unique, 'chunk') !== m) {
    throw new DriftInputError(`chunk rows have ${unique[0]!.length} features but the reference has ${m}`);
  }
  const { votes, normalised } = votingFeatures(m, options.importances ?? null, options.muted);
  const features: FeatureChunkTest[] = [];
  for (let j = 0; j < m; j++) {
    const present: number[] = [];
    let nMissing = 0;
    for (const row of unique) {
      const v = row[j]!;
      if (Number.isNaN(v)) nMissing++;
      else present.push(v);
    }
    const ref = reference.columns[j]!;
    const dist =
      reference.kinds[j] === 'categorical'
        ? testCategorical(ref, reference.categories[j]!, present)
        : testNumeric(ref, present);
    const refMissing = reference.missing[j]!;
    let missing: FeatureChunkTest['missing'] = null;
    let pValue = dist.p;
    if (refMissing + nMissing > 0 && unique.length > 0) {
      const p = fisherExactTest(refMissing, reference.nRows - refMissing, nMissing, unique.length - nMissing);
      missing = {
        referenceRate: refMissing / reference.nRows,
        currentRate: nMissing / unique.length,
        pValue: p,
      };
      pValue = Math.min(1, 2 * Math.min(dist.p, p));
    }
    const importance = normalised[j]!;
    const reason = options.muted?.has(j)
      ? 'muted: its drift was accepted'
      : votes[j]
        ? importance === null
          ? 'votes (no importances known)'
          : `votes: importance ${importance.toFixed(3)} >= 1/(2·${m})`
        : `does not vote: importance ${importance?.toFixed(3)} < 1/(2·${m})`;
    features.push({
      feature: j,
      kind: reference.kinds[j]!,
      test: dist.test,
      statistic: dist.statistic,
      distributionPValue: dist.p,
      effect: dist.effect,
      missing,
      pValue,
      importance,
      votes: votes[j]!,
      reason,
    });
  }
  const voting = features.filter((f) => f.votes).map((f) => f.feature);
  return {
    nReference: reference.nRows,
    nCurrent: unique.length,
    pValue: simesPValue(voting.map((j) => features[j]!.pValue)),
    voting,
    features,
  };
}

/** Where a deployment's drift chunks come from (P1). */
export type DriftSource = 'rows' | 'predictions' | 'auto' | 'both';

/**
 * Resolves `auto`: ingested rows when any were ingested among the newest entries (the same
 * entities are usually also predicted, and counting both would count them twice), else
 * predictions. `both` is for clients that declare predicted and ingested traffic disjoint.
 */
export function resolveDriftSource(
  source: DriftSource,
  recent: { ingested: number; predicted: number },
): 'rows' | 'predictions' | 'both' {
  if (source !== 'auto') return source;
  return recent.ingested > 0 ? 'rows' : 'predictions';
}

/**
 * Whether the open chunk closes now: when it holds `size` rows, or at a timer check when it holds
 * at least half of that (the timer never re-tests rows already tested).
 */
export function chunkIsDue(openRows: number, size: number, trigger: 'rows' | 'timer'): boolean {
  return openRows >= size || (trigger === 'timer' && openRows >= size / 2);
}

/**
 * The fewest new rows worth a look between two tests of the newest rows: max(100, a fifth of a
 * chunk). An early check waits for as many outcomes after the last, and a test of the rows served
 * since the newest tested chunk (a covariate shift's confirmation) for as many rows.
 */
export function minLookRows(size: number): number {
  return Math.max(100, Math.floor(size / 5));
}

/** Consecutive p-values below `alpha` at the end of the list (the persistence of a data drift). */
export function trailingRunBelow(pValues: readonly number[], alpha: number): number {
  let run = 0;
  for (let i = pValues.length - 1; i >= 0 && pValues[i]! < alpha; i--) run++;
  return run;
}
