import { DriftInputError } from './errors.ts';
import { alignCodes, countCodes, type FeatureType, poolRareCategories } from './feature-types.ts';
import { ksStatisticSorted } from './ks.ts';
import { type BinClosedSide, psiFromCounts, psiSorted } from './psi.ts';
import {
  type FeatureRows,
  isPreparedReference,
  normalizedWasserstein,
  type PreparedReference,
  prepareReference,
} from './reference.ts';
import { meanAndStd, sortFloat64 } from './sample.ts';
import { wassersteinSorted } from './wasserstein.ts';

/** Spread of a statistic over reference chunks and the threshold derived from it. */
export interface MetricThreshold {
  mean: number;
  /** Sample standard deviation (ddof = 1) over the chunks. */
  std: number;
  /** mean + sigmas · std. */
  threshold: number;
}

export interface FeatureThresholds {
  feature: string;
  index: number;
  /** Two-sample KS statistic D. */
  ksStatistic: MetricThreshold;
  psi: MetricThreshold;
  wassersteinNormalized: MetricThreshold;
  /**
   * With `featureTypes`: |missing share of the chunk - missing share of the rest|, its threshold at
   * least 1/chunkSize (a single missing value never flags). A checked feature drifts when its
   * missing share moved by more than this threshold. For categorical and
   * boolean columns the KS and Wasserstein thresholds are 0 and never exceeded (they are not
   * measured); PSI is on the category shares.
   */
  missingShareChange?: MetricThreshold;
}

/** Per-feature thresholds calibrated on the reference itself; pass to `compareDistributions`. */
export interface CalibratedThresholds {
  readonly kind: 'calibrated-thresholds';
  /** Rows per chunk. The thresholds are valid for current windows of about this many rows. */
  chunkSize: number;
  chunks: number;
  sigmas: number;
  psiBins: number;
  psiClosed: BinClosedSide;
  features: FeatureThresholds[];
  /** The column types it was calibrated with; a check must use the same. */
  featureTypes?: FeatureType[];
}

export interface CalibrationOptions {
  /** Number of contiguous reference chunks. @default 10 (or floor(n / chunkSize) when chunkSize is given) */
  chunks?: number;
  /** Rows per chunk; set it to the size of the current windows you will check. @default floor(n / chunks) */
  chunkSize?: number;
  /** Threshold = mean + sigmas · std of the statistic over the chunks (NannyML's rule). @default 3 */
  sigmas?: number;
  /** Used only when `reference` is a row table. @default ['feature_0', ...] */
  featureNames?: readonly string[];
  /** @default 10 */
  psiBins?: number;
  /** @default 'left' */
  psiClosed?: BinClosedSide;
  /** Column types, as `CompareOptions.featureTypes`; pass the same ones to `compareDistributions`. */
  featureTypes?: readonly FeatureType[];
}

/** Sorted multiset difference `all \ part` of two sorted arrays, `part` being a sub-multiset of `all`. */
function sortedComplement(all: Float64Array, part: Float64Array): Float64Array {
  const out = new Float64Array(all.length - part.length);
  let j = 0;
  let k = 0;
  for (let i = 0; i < all.length; i++) {
    if (j < part.length && all[i] === part[j]) j++;
    else out[k++] = all[i]!;
  }
  return out;
}

function thresholdOf(values: readonly number[], sigmas: number): MetricThreshold {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const std = Math.sqrt(variance);
  return { mean, std, threshold: mean + sigmas * std };
}

/** Column `f` in row order: chunks follow row order (time order for a training sample). */
function columnInRowOrder(rows: FeatureRows, f: number): Float64Array {
  return Float64Array.from(rows, (row) => row[f]!);
}

/** A chunk's present values (sorted) and missing count. */
function presentSorted(chunk: Float64Array): { present: Float64Array; missing: number } {
  const present = sortFloat64(chunk.filter((v) => !Number.isNaN(v)));
  return { present, missing: chunk.length - present.length };
}

interface ChunkStatistics {
  ks: number;
  psi: number;
  wn: number;
}

function numericChunkStatistics(
  rest: Float64Array,
  chunk: Float64Array,
  psiOptions: { bins: number; closed: BinClosedSide },
): ChunkStatistics {
  if (rest.length === 0 || chunk.length === 0) return { ks: 0, psi: 0, wn: 0 };
  const w = wassersteinSorted(rest, chunk);
  return {
    ks: ksStatisticSorted(rest, chunk).statistic,
    psi: psiSorted(rest, chunk, psiOptions).psi,
    wn: normalizedWasserstein(w, meanAndStd(rest).std, rest, chunk),
  };
}

function categoricalChunkPsi(
  rest: { present: Float64Array; missing: number },
  chunk: { present: Float64Array; missing: number },
  type: FeatureType,
): number {
  const aligned = alignCodes(
    countCodes(rest.present, rest.missing),
    countCodes(chunk.present, chunk.missing),
    type,
  );
  // On the chi-square's cells, as the check measures it (measureCategorical).
  const pooled = poolRareCategories(aligned);
  return psiFromCounts(pooled.reference, pooled.current);
}

interface Layout {
  chunks: number;
  chunkSize: number;
  sigmas: number;
  psiBins: number;
  psiClosed: BinClosedSide;
}

/** Thresholds of one feature: every chunk against the rest of the reference. */
function calibrateFeature(
  reference: FeatureRows,
  prepared: PreparedReference,
  f: number,
  layout: Layout,
): FeatureThresholds {
  const type = prepared.featureTypes?.[f];
  const sortedAll = prepared.columns[f]!;
  const column = columnInRowOrder(reference, f);
  const restRows = prepared.nRows - layout.chunkSize;
  const psiOptions = { bins: layout.psiBins, closed: layout.psiClosed };
  const stats: ChunkStatistics[] = [];
  const missingChange: number[] = [];
  for (let c = 0; c < layout.chunks; c++) {
    const chunk = presentSorted(column.slice(c * layout.chunkSize, (c + 1) * layout.chunkSize));
    const rest = {
      present: sortedComplement(sortedAll, chunk.present),
      missing: (prepared.missing?.[f] ?? 0) - chunk.missing,
    };
    stats.push(
      type === undefined || type === 'numeric'
        ? numericChunkStatistics(rest.present, chunk.present, psiOptions)
        : { ks: 0, psi: categoricalChunkPsi(rest, chunk, type), wn: 0 },
    );
    missingChange.push(Math.abs(chunk.missing / layout.chunkSize - rest.missing / restRows));
  }
  const thresholds: FeatureThresholds = {
    feature: prepared.featureNames[f]!,
    index: f,
    ksStatistic: thresholdOf(
      stats.map((x) => x.ks),
      layout.sigmas,
    ),
    psi: thresholdOf(
      stats.map((x) => x.psi),
      layout.sigmas,
    ),
    wassersteinNormalized: thresholdOf(
      stats.map((x) => x.wn),
      layout.sigmas,
    ),
  };
  if (type !== undefined) {
    const t = thresholdOf(missingChange, layout.sigmas);
    // A reference without missing values gives threshold 0; one NaN in a window must not flag.
    thresholds.missingShareChange = { ...t, threshold: Math.max(t.threshold, 1 / layout.chunkSize) };
  }
  return thresholds;
}

function resolveLayout(n: number, options: CalibrationOptions): Layout {
  const sigmas = options.sigmas ?? 3;
  let chunks: number;
  let chunkSize: number;
  if (options.chunkSize !== undefined) {
    chunkSize = options.chunkSize;
    chunks = options.chunks ?? Math.floor(n / chunkSize);
  } else {
    chunks = options.chunks ?? 10;
    chunkSize = Math.floor(n / chunks);
  }
  if (!Number.isInteger(chunks) || !Number.isInteger(chunkSize) || chunks < 2 || chunkSize < 2) {
    throw new DriftInputError(
      `calibrateThresholds: need at least 2 chunks of at least 2 rows (got ${chunks} chunks of ${chunkSize} rows from ${n} reference rows); use a larger reference or smaller chunks`,
    );
  }
  if (chunks * chunkSize > n) {
    throw new DriftInputError(
      `calibrateThresholds: ${chunks} chunks of ${chunkSize} rows need ${chunks * chunkSize} reference rows, but there are ${n}`,
    );
  }
  if (!(sigmas >= 0) || !Number.isFinite(sigmas)) {
    throw new DriftInputError(`calibrateThresholds: sigmas must be a non-negative number, got ${sigmas}`);
  }
  return {
    chunks,
    chunkSize,
    sigmas,
    psiBins: options.psiBins ?? 10,
    psiClosed: options.psiClosed ?? 'left',
  };
}

/**
 * Derives per-feature drift thresholds from the reference alone, as NannyML does: split the reference
 * into contiguous chunks, compute each statistic of every chunk against the rest of the reference,
 * and set threshold = mean + 3σ of those values. Comparing a chunk with the *rest* (not the whole
 * reference it belongs to) keeps the two sides disjoint, like a live window and its reference.
 *
 * Statistics such as PSI and the KS distance shrink as windows grow, so calibrate with chunks the size
 * of the current windows that will be checked (`chunkSize`).
 *
 * With `featureTypes` the statistics follow the column types as in `compareDistributions` (present
 * values of numeric columns, category shares of categorical and boolean ones) and each feature
 * also gets a threshold on the change of its missing share.
 *
 * @throws DriftInputError when the reference is too small for at least 2 chunks of at least 2 rows.
 */
export function calibrateThresholds(
  reference: FeatureRows,
  options: CalibrationOptions = {},
): CalibratedThresholds {
  if (isPreparedReference(reference)) {
    throw new DriftInputError(
      'calibrateThresholds needs the reference rows in their original order, not a prepared (sorted) reference',
    );
  }
  const prepared = prepareReference(reference, {
    featureNames: options.featureNames,
    featureTypes: options.featureTypes,
  });
  const layout = resolveLayout(prepared.nRows, options);
  const features = prepared.featureNames.map((_, f) => calibrateFeature(reference, prepared, f, layout));
  const { chunkSize, chunks, sigmas, psiBins, psiClosed } = layout;
  const calibrated: CalibratedThresholds = {
    kind: 'calibrated-thresholds',
    chunkSize,
    chunks,
    sigmas,
    psiBins,
    psiClosed,
    features,
  };
  if (prepared.featureTypes) calibrated.featureTypes = [...prepared.featureTypes];
  return calibrated;
}
