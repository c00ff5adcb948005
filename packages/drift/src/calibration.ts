import { DriftInputError } from './errors.ts';
import { ksStatisticSorted } from './ks.ts';
import { type BinClosedSide, psiSorted } from './psi.ts';
import {
  type FeatureRows,
  isPreparedReference,
  normalizedWasserstein,
  prepareReference,
} from './reference.ts';
import { meanAndStd } from './sample.ts';
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

/**
 * Derives per-feature drift thresholds from the reference alone, as NannyML does: split the reference
 * into contiguous chunks, compute each statistic of every chunk against the rest of the reference,
 * and set threshold = mean + 3σ of those values. Comparing a chunk with the *rest* (not the whole
 * reference it belongs to) keeps the two sides disjoint, like a live window and its reference.
 *
 * Statistics such as PSI and the KS distance shrink as windows grow, so calibrate with chunks the size
 * of the current windows that will be checked (`chunkSize`).
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
  const prepared = prepareReference(reference, { featureNames: options.featureNames });
  const n = prepared.nRows;
  const sigmas = options.sigmas ?? 3;
  const psiBins = options.psiBins ?? 10;
  const psiClosed = options.psiClosed ?? 'left';
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
  const features: FeatureThresholds[] = [];
  for (let f = 0; f < prepared.columns.length; f++) {
    const sortedAll = prepared.columns[f]!;
    const column = columnInRowOrder(reference, f);
    const ks: number[] = [];
    const psi: number[] = [];
    const wn: number[] = [];
    for (let c = 0; c < chunks; c++) {
      const chunk = column.slice(c * chunkSize, (c + 1) * chunkSize).sort();
      const rest = sortedComplement(sortedAll, chunk);
      ks.push(ksStatisticSorted(rest, chunk).statistic);
      psi.push(psiSorted(rest, chunk, { bins: psiBins, closed: psiClosed }).psi);
      const w = wassersteinSorted(rest, chunk);
      wn.push(normalizedWasserstein(w, meanAndStd(rest).std, rest, chunk));
    }
    features.push({
      feature: prepared.featureNames[f]!,
      index: f,
      ksStatistic: thresholdOf(ks, sigmas),
      psi: thresholdOf(psi, sigmas),
      wassersteinNormalized: thresholdOf(wn, sigmas),
    });
  }
  return { kind: 'calibrated-thresholds', chunkSize, chunks, sigmas, psiBins, psiClosed, features };
}
