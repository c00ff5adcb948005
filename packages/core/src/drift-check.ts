import type { Config } from '@automl-stream/config';
import {
  type ChunkReference,
  type ChunkTest,
  type ConceptDriftResult,
  chiSquareTest,
  compareDistributions,
  detectConceptDrift,
  errorRise,
  type FeatureType,
  histogramSorted,
  jensenShannon,
  type PreparedReference,
  prepareChunkReference,
  prepareReference,
  testChunk,
} from '@automl-stream/drift';
import { type LevelMeasurement, type LevelPromise, measureLevel } from './level-check.ts';
import { DEFAULT_POLICY_CONFIG } from './policy/config.ts';
import type { ChunkSpan } from './storage/data-storage.ts';
import type { DriftFeatureResult } from './storage/drift-storage.ts';

/*
 * The measuring half of a drift check, as pure functions: the data a check read goes in, a
 * measurement and then an action come out. DriftPolicy (drift-policy.ts) reads the inputs and
 * records the outcome in one transaction; everything here is tested without a database.
 */

/** Checks in a row flagging the features, labels showing no loss, after which the shift is accepted. */
export const ACCEPT_AFTER_CHECKS = 3;
/** Fewest current rows for a verdict; below it the check says "insufficient data". */
export const MIN_CURRENT_ROWS = 100;
/** Bins of the per-feature histograms stored with each check. */
const HISTOGRAM_BINS = 20;
/** Prediction drift needs both significance and a visible effect (chi-square alone flags tiny shifts at scale). */
const PREDICTION_JS_DISTANCE = 0.1;

/** What a check reads: the serving model's side, the newest window and the error stream. */
export interface DriftCheckInputs {
  model: {
    /** The serving version (its reign on the lineage error stream; absent: every outcome is its own). */
    version?: number;
    nFeatures: number;
    nClasses: number;
    featureImportances: readonly number[];
    /** Predicted-class counts on the model's hold-out. */
    referencePredictions: readonly number[];
  };
  /** The model's training sample kept as drift reference, one row per array. */
  reference: number[][];
  /** The schema's names and types of the model's columns (absent: numeric columns f0, f1, ...). */
  columns?: { names: string[]; types: FeatureType[]; categories?: (readonly string[] | null)[] };
  /** Newest WINDOW_SIZE rows (ingested and served). */
  window: { features: number[][]; predicted: readonly number[] };
  /**
   * The lineage's labelled outcomes (whichever version served each row), in serve order, oldest
   * first (1 = wrong); `version` says which version served each (absent: all the serving one's).
   */
  errors: {
    wrong: readonly number[];
    at: readonly Date[];
    rowId: readonly (number | null)[];
    version?: readonly number[];
    /** The true label of each outcome: with it, minority classes get level tests of their own. */
    label?: readonly number[];
  };
  /**
   * The serving version's promise: with it (and `errors.version`) the labels decide by its level
   * test (level-check.ts); without it, by ADWIN's rise on the lineage (checks before the level test).
   */
  promise?: LevelPromise;
  /** BURST_AWARE: the level test divides its steps by the lineage's error clumping (default true). */
  burstAware?: boolean;
  /**
   * Labels come in: some row among the newest 10 × WINDOW_SIZE served has one (absent: at least
   * 100 labelled outcomes in the stream). Then features and the class mix warn, labels decide.
   */
  labelsComeIn?: boolean;
  /**
   * How many checks of the serving version in a row, newest first, flagged the features (absent:
   * taken as 1). One: a second flag confirms it (persistence); three while labels show no loss:
   * the shift is accepted (reported, no longer a warning).
   */
  flaggedStreak?: number;
  /**
   * How many checks of the serving version in a row, newest first, found the features moved
   * (flagged, or advisory against a small reference); with this one's, two make a covariate
   * shift (absent: 0).
   */
  movedStreak?: number;
  /**
   * The window's rows served after the newest earlier check that overlaps it and found the
   * features moved (at least `minLookRows`), with the moved streak counted from them
   * (`rowsAfterMoved`): when this check's window, which shares rows with that check, does not
   * confirm a covariate shift, those rows tested on their own may.
   */
  tail?: { features: number[][]; movedStreak: number };
  /**
   * How many earlier disjoint checks in a row, newest first, found the predicted-class mix moved
   * (absent: taken as 1). Without labels a moved mix acts on the second (persistence).
   */
  predictionStreak?: number;
}

export interface FeatureHistogramRecord {
  feature: number;
  edges: number[];
  reference: number[];
  current: number[];
  /** Categorical and boolean columns: one bar per category, named here (edges at code ± 0.5). */
  categories?: string[];
}

/** Counts per category code (unseen codes left out), one bar each, named by the schema. */
function categoryHistogram(
  feature: number,
  ref: number[],
  cur: number[],
  names: readonly string[],
): FeatureHistogramRecord {
  let n = names.length;
  for (const v of [...ref, ...cur]) if (v >= n) n = v + 1;
  const count = (values: number[]) => {
    const counts = new Array<number>(n).fill(0);
    for (const v of values) if (v >= 0 && v < n) counts[v]!++;
    return counts;
  };
  const edges = Array.from({ length: n + 1 }, (_, k) => k - 0.5);
  const categories = Array.from({ length: n }, (_, k) => names[k] ?? String(k));
  return { feature, edges, reference: count(ref), current: count(cur), categories };
}

/**
 * Data quality of a check's window against the model's reference sample: missing cells, cells
 * whose category the schema did not know (negative codes, from predictions), numeric cells outside
 * the range the model was trained on.
 */
export interface DataQuality {
  cells: number;
  missing: number;
  missingRate: number;
  unseenCategories: number;
  outOfRange: number;
}

/** Counts the window's data quality (see {@link DataQuality}). */
export function measureQuality(
  reference: number[][],
  current: number[][],
  types: FeatureType[] | null,
): DataQuality {
  const width = current[0]?.length ?? 0;
  const lo = new Array<number>(width).fill(Number.POSITIVE_INFINITY);
  const hi = new Array<number>(width).fill(Number.NEGATIVE_INFINITY);
  for (const row of reference) {
    for (let j = 0; j < width; j++) {
      const v = row[j]!;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  let missing = 0;
  let unseen = 0;
  let outOfRange = 0;
  for (const row of current) {
    for (let j = 0; j < width; j++) {
      const v = row[j]!;
      if (Number.isNaN(v)) missing++;
      else if ((types?.[j] ?? 'numeric') !== 'numeric') unseen += v < 0 ? 1 : 0;
      else if (reference.length > 0 && (v < lo[j]! || v > hi[j]!)) outOfRange++;
    }
  }
  const cells = current.length * width;
  return {
    cells,
    missing,
    missingRate: cells === 0 ? 0 : missing / cells,
    unseenCategories: unseen,
    outOfRange,
  };
}

export interface DriftMeasurement {
  /** `warning`: features or the class mix moved, nothing acted on (labels show no loss, or not yet persistent). */
  verdict: 'drift' | 'warning' | 'no_drift' | 'insufficient_data';
  drifted: boolean;
  dataDrift: boolean;
  predictionDrift: boolean;
  conceptDrift: boolean;
  driftedShare: number;
  nReference: number;
  nCurrent: number;
  features: DriftFeatureResult[];
  histograms: FeatureHistogramRecord[];
  prediction: Record<string, unknown>;
  concept: ConceptOnLineage;
  /** The serving version's level test (null: no promise given, ADWIN decided). */
  level: LevelMeasurement | null;
  /** The data-drift decision: the chunk test over the voting features and why it did or did not count. */
  chunk: ChunkVerdict | null;
  /** Whether the features moved in this check and the one before (null: no chunk test). */
  shift: ShiftVerdict | null;
  quality: DataQuality;
}

/**
 * A covariate shift (spec: the reach-back of a retrain window): the chunk tests of two checks in a
 * row, this one included, found the features moved. Under it the rows served before a located
 * change keep their labels, so the change's retrain learns the newest rows at once instead of
 * waiting for MIN_TRAIN_ROWS rows after the change while the failing version serves.
 */
export interface ShiftVerdict {
  confirmed: boolean;
  /** Checks in a row, this one included, whose features moved. */
  checks: number;
  reason: string;
}

/** Checks in a row whose features moved that confirm a covariate shift. */
export const SHIFT_CHECKS = 2;

/**
 * Persistence counts disjoint chunks only (spec P2: each row tested once): of the earlier checks,
 * newest first, one whose tested rows overlap this check's (or a counted one's) is skipped — its
 * flag came partly from the same rows, so it is no second opinion — and the first disjoint check
 * that did not flag ends the streak. A check stored before spans were recorded counts as
 * disjoint. Returns how many earlier disjoint checks in a row flagged (at most `limit`).
 */
export function disjointStreak(
  earlier: readonly { flagged: boolean; span: ChunkSpan | null }[],
  current: ChunkSpan | null,
  limit: number,
): number {
  let boundary = current;
  let count = 0;
  for (const check of earlier) {
    if (count >= limit) break;
    const span = check.span;
    if (span && boundary && span.source === boundary.source && span.last >= boundary.first) continue;
    if (!check.flagged) break;
    count++;
    if (span && (!boundary || span.source === boundary.source)) boundary = span;
  }
  return count;
}

/**
 * The served window's rows after the newest earlier check (newest first) that overlaps it and
 * found the features moved, and how many disjoint checks in a row moved before them: an early
 * check after a flagged one shares most of its rows, so its own window is no second opinion, but
 * the rows served since are (null: no such check, or fewer than `minRows` rows after it).
 */
export function rowsAfterMoved(
  earlier: readonly { flagged: boolean; span: ChunkSpan | null }[],
  window: ServedWindow,
  minRows: number,
): { features: number[][]; movedStreak: number } | null {
  const span = window.span;
  if (!span) return null;
  const last = earlier.find(
    (c) =>
      c.flagged && c.span?.source === span.source && c.span.last >= span.first && c.span.last < span.last,
  )?.span?.last;
  if (last === undefined) return null;
  const after = window.ids.flatMap((id, i) => (id > last ? [i] : []));
  if (after.length < minRows) return null;
  const first = Math.min(...after.map((i) => window.ids[i]!));
  return {
    features: after.map((i) => window.features[i]!),
    movedStreak: disjointStreak(earlier, { source: span.source, first, last: span.last }, SHIFT_CHECKS),
  };
}

/** The newest served rows a check reads: ids and features newest first, and their span. */
export interface ServedWindow {
  span: ChunkSpan | null;
  ids: readonly number[];
  features: readonly number[][];
}

/** Rows stored after a column was added are longer: the model's columns are the first ones. */
function modelFeatures(features: readonly number[][], nFeatures: number): number[][] {
  return features
    .filter((f) => f.length >= nFeatures)
    .map((f) => (f.length === nFeatures ? f : f.slice(0, nFeatures)));
}

/** The chunk test of `inputs.tail`'s rows (see `rowsAfterMoved`); null without them. */
function tailVerdict(inputs: DriftCheckInputs, settings: DriftSettings) {
  const tail = inputs.tail;
  if (!tail || inputs.reference.length < MIN_CURRENT_ROWS) return null;
  const rows = modelFeatures(tail.features, inputs.model.nFeatures);
  const { verdict } = chunkVerdict(inputs, rows, settings.minReferenceRows);
  return { verdict, rows: rows.length, movedStreak: tail.movedStreak };
}

function measureShift(
  chunk: ChunkVerdict | null,
  movedStreak: number,
  tail: () => { verdict: ChunkVerdict; rows: number; movedStreak: number } | null,
): ShiftVerdict | null {
  if (!chunk) return null;
  const checks = chunk.pValue < chunk.alpha ? movedStreak + 1 : 0;
  if (checks < SHIFT_CHECKS) {
    const t = tail();
    if (t && t.verdict.pValue < t.verdict.alpha && t.movedStreak + 1 >= SHIFT_CHECKS)
      return {
        confirmed: true,
        checks: t.movedStreak + 1,
        reason: `covariate shift: the features moved in the check before and in the ${t.rows} rows served since it (${t.verdict.reason}); the rows before a change keep their labels, so a retrain learns the newest rows at once`,
      };
  }
  const confirmed = checks >= SHIFT_CHECKS;
  const reason = confirmed
    ? `covariate shift: the features moved in ${checks} checks in a row; the rows before a change keep their labels, so a retrain learns the newest rows at once`
    : checks === 1
      ? 'the features moved in this check only (a covariate shift needs 2 in a row)'
      : 'the features did not move';
  return { confirmed, checks, reason };
}

/** A located rise on the lineage's error stream and whether it calls for a retrain. */
export interface ConceptOnLineage extends ConceptDriftResult {
  /** Where the serving version's reign starts in the stream (index of its first outcome). */
  reignStart: number;
  /** The located rise, acted on or not (null: none located). */
  located: { index: number; at: string | null; before: number; after: number } | null;
  /** Why the rise does or does not count (one line). */
  reason: string;
}

export interface ChunkVerdict {
  /** Simes p-value over the voting features. */
  pValue: number;
  alpha: number;
  voting: number[];
  nReference: number;
  minReferenceRows: number;
  /** Largest effect among the voting features: KS D (numeric) or total variation (categorical). */
  effect: { feature: number; size: number } | null;
  /** Flagged (p < alpha) but the reference is too small for a verdict. */
  advisory: boolean;
  reason: string;
  /** Flagged and a verdict, but not acted on: why (labels come in and decide; first flagged check). */
  warning?: string;
}

type DriftSettings = Config['drift'];

/** Measures data, prediction and concept drift of one check. */
export function measureDrift(inputs: DriftCheckInputs, settings: DriftSettings): DriftMeasurement {
  const steps = measureDriftSteps(inputs, settings);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * {@link measureDrift}, the same measurement, giving the event loop a turn between its stages
 * (the feature tests, their histograms, the chunk test, the labels' tests, the shift and quality
 * checks): on 64 features a check held the thread that answers predictions for 100–250 ms at
 * once.
 */
export async function measureDriftInTurns(
  inputs: DriftCheckInputs,
  settings: DriftSettings,
): Promise<DriftMeasurement> {
  const steps = measureDriftSteps(inputs, settings);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The stages of {@link measureDrift}; each `yield` is a point where the caller may pause. */
function* measureDriftSteps(
  inputs: DriftCheckInputs,
  settings: DriftSettings,
): Generator<void, DriftMeasurement, void> {
  const current = modelFeatures(inputs.window.features, inputs.model.nFeatures);
  const data = yield* measureDataDrift(inputs, current, settings);
  yield;
  const prediction = measurePredictionDrift(inputs, settings);
  const { concept, level } = measureConcept(inputs);
  yield;
  // Labels decide (spec P3): while labelled outcomes come in, moved features and a moved class mix
  // are reported as a warning, not acted on (the labels show whether the model got worse: the
  // level test). Without labels the features act, once two checks in a row flag them.
  const labelled = inputs.labelsComeIn ?? inputs.errors.wrong.length >= MIN_CURRENT_ROWS;
  const predictionActs = prediction.drifted && !labelled && (inputs.predictionStreak ?? 1) >= 1;
  if (prediction.drifted && labelled) prediction.details.advisory = true;
  else if (prediction.drifted && !predictionActs)
    prediction.details.warning =
      'the first check to see the class mix move (a retrain needs two disjoint chunks in a row)';
  const streak = inputs.flaggedStreak ?? 1;
  const dataActs = data.dataDrift && !labelled && streak >= 1;
  const accepted = data.dataDrift && labelled && !concept.detected && streak >= ACCEPT_AFTER_CHECKS;
  if (data.chunk && data.dataDrift && !dataActs)
    data.chunk.warning = accepted
      ? `accepted: flagged by ${streak} checks in a row while the labels showed no loss; reported, no longer a warning`
      : labelled
        ? 'a warning: labels come in and decide (the level test shows no loss beyond the promise)'
        : 'a warning: the first check to flag the features (a retrain needs two in a row)';
  const drifted = dataActs || predictionActs || concept.detected;
  let verdict = data.verdict;
  if (drifted) verdict = 'drift';
  else if ((data.dataDrift && !accepted) || prediction.drifted) verdict = 'warning';
  else if (verdict === 'drift') verdict = 'no_drift';
  else if (verdict === 'insufficient_data' && inputs.errors.wrong.length >= MIN_CURRENT_ROWS)
    verdict = 'no_drift';
  const shift = measureShift(data.chunk, inputs.movedStreak ?? 0, () => tailVerdict(inputs, settings));
  yield;
  return {
    verdict,
    drifted,
    dataDrift: data.dataDrift,
    predictionDrift: prediction.drifted,
    conceptDrift: concept.detected,
    driftedShare: data.driftedShare,
    nReference: inputs.reference.length,
    nCurrent: current.length,
    features: data.features,
    histograms: data.histograms,
    prediction: prediction.details,
    concept,
    level,
    chunk: data.chunk,
    shift,
    quality: measureQuality(inputs.reference, current, inputs.columns?.types ?? null),
  };
}

/** Per feature: KS + PSI + Wasserstein with Benjamini-Hochberg, and the histograms the check saw. */
function* measureDataDrift(inputs: DriftCheckInputs, current: number[][], settings: DriftSettings) {
  const refRows = inputs.reference;
  const none = {
    dataDrift: false,
    driftedShare: 0,
    verdict: 'insufficient_data' as DriftMeasurement['verdict'],
    features: [] as DriftFeatureResult[],
    histograms: [] as FeatureHistogramRecord[],
    chunk: null as ChunkVerdict | null,
  };
  if (current.length < MIN_CURRENT_ROWS || refRows.length < MIN_CURRENT_ROWS) return none;
  const featureNames =
    inputs.columns?.names ?? Array.from({ length: inputs.model.nFeatures }, (_, i) => `f${i}`);
  const { report, prepared } = compare(
    refRows,
    current,
    inputs.columns?.types ?? null,
    featureNames,
    settings,
  );
  yield;
  const features = report.features.map((f) => ({
    feature: f.feature,
    index: f.index,
    ksStatistic: f.ks.statistic,
    ksPValue: f.ks.pValue,
    pValueAdjusted: f.pValueAdjusted,
    psi: f.psi,
    wasserstein: f.wasserstein,
    wassersteinNormalized: f.wassersteinNormalized,
    drifted: f.drifted,
    reason: f.reason,
    importance: inputs.model.featureImportances[f.index] ?? null,
  }));
  const histograms = featureNames.flatMap((_, j) => {
    // Of the present values (a missing value has no place on the axis).
    const cur = current.map((r) => r[j]!).filter((v) => !Number.isNaN(v));
    const type = inputs.columns?.types[j] ?? 'numeric';
    if (type !== 'numeric') {
      const ref = refRows.map((r) => r[j]!).filter((v) => !Number.isNaN(v));
      if (ref.length === 0 || cur.length === 0) return [];
      const names = type === 'boolean' ? ['false', 'true'] : (inputs.columns?.categories?.[j] ?? []);
      return [categoryHistogram(j, ref, cur, names)];
    }
    // The prepared column: the reference's present values, sorted once per version.
    const ref = prepared.columns[j]!;
    if (ref.length === 0 || cur.length === 0) return [];
    const h = histogramSorted(ref, Float64Array.from(cur).sort(), HISTOGRAM_BINS);
    return [{ feature: j, edges: h.edges, reference: h.referenceCounts, current: h.currentCounts }];
  });
  yield;
  const chunk = chunkVerdict(inputs, current, settings.minReferenceRows);
  const verdict = report.verdict === 'drift' && !chunk.flagged ? 'no_drift' : report.verdict;
  return {
    dataDrift: chunk.flagged,
    driftedShare: report.driftedShare,
    verdict: verdict as DriftMeasurement['verdict'],
    features: withVotes(features, chunk.verdict.voting, inputs.model.nFeatures),
    histograms,
    chunk: chunk.verdict,
  };
}

/**
 * A moved feature the model barely uses (an identifier, a column it splits on rarely) is reported
 * moved but does not vote in the chunk test: its reason says so, so that "drifted" beside a
 * verdict of no drift reads as what it is.
 */
function withVotes(
  features: DriftFeatureResult[],
  voting: readonly number[],
  m: number,
): DriftFeatureResult[] {
  const votes = new Set(voting);
  return features.map((f) =>
    f.drifted && !votes.has(f.index)
      ? {
          ...f,
          reason: `${f.reason}; does not vote: the model uses it little or not at all (importance ${f.importance?.toFixed(3) ?? 'n/a'} < 1/(2·${m})), so it cannot raise a drift verdict`,
        }
      : f,
  );
}

/**
 * A sorted form of a reference, kept with the reference rows array: the platform checks a version
 * against the same array (DriftPolicy keeps it) every time, and sorting its columns again was
 * about half of a check's CPU on 64 features (5,000 reference rows: the chunk test's form, the
 * report's and the histograms'). `kind` tells the forms of one array apart.
 */
const preparedForms = new WeakMap<readonly (readonly number[])[], Map<string, unknown>>();

function keptWith<T>(rows: readonly (readonly number[])[], kind: string, prepare: () => T): T {
  let forms = preparedForms.get(rows);
  if (!forms) preparedForms.set(rows, (forms = new Map()));
  if (!forms.has(kind)) forms.set(kind, prepare());
  return forms.get(kind) as T;
}

/** The chunk test's sorted form of a reference (kept with the rows array). */
export function preparedReference(
  rows: readonly (readonly number[])[],
  categorical: readonly boolean[] | undefined,
): ChunkReference {
  const kind = `chunk:${categorical ? categorical.map((c) => (c ? 1 : 0)).join('') : ''}`;
  return keptWith(rows, kind, () => prepareChunkReference(rows, categorical ? { categorical } : {}));
}

/** The per-feature report's sorted form of a reference (kept with the rows array); also the histograms'. */
export function reportReference(
  rows: readonly (readonly number[])[],
  types: readonly FeatureType[] | null,
  featureNames: readonly string[],
): PreparedReference {
  const kind = `report:${types ? types.join(',') : ''}:${featureNames.join('\u0000')}`;
  return keptWith(rows, kind, () =>
    prepareReference(rows, { featureNames, ...(types ? { featureTypes: types } : {}) }),
  );
}

/**
 * The data-drift decision (spec P2, P3): the window tested as one chunk, each feature by KS (or
 * chi-square when categorical), only features the model uses voting (importance >= 1/(2m)), their
 * p-values combined by Simes; drift when that p-value is below 0.01 against a reference of at
 * least DRIFT_MIN_REFERENCE_ROWS (1,000) rows. Below that the verdict is advisory: a 400-row reference sample varies too
 * much from one sample to the next to stand for the regime (D9), and the per-feature report
 * (KS, PSI, Wasserstein) is shown, never acted on.
 */
function chunkVerdict(
  inputs: DriftCheckInputs,
  current: number[][],
  minReferenceRows: number,
): { flagged: boolean; verdict: ChunkVerdict } {
  const alpha = DEFAULT_POLICY_CONFIG.chunkAlpha;
  const categorical = inputs.columns?.types.map((t) => t !== 'numeric');
  const reference = preparedReference(inputs.reference, categorical);
  const test: ChunkTest = testChunk(reference, current, {
    importances: inputs.model.featureImportances.length ? inputs.model.featureImportances : null,
  });
  const small = inputs.reference.length < minReferenceRows;
  const below = test.pValue < alpha;
  let effect: ChunkVerdict['effect'] = null;
  for (const f of test.features)
    if (f.votes && (!effect || f.effect > effect.size)) effect = { feature: f.feature, size: f.effect };
  const name = (j: number) => inputs.columns?.names[j] ?? `f${j}`;
  const size = effect ? `, largest effect ${effect.size.toFixed(3)} on ${name(effect.feature)}` : '';
  const voters = `${test.voting.length} of ${test.features.length} features vote`;
  const p = `Simes p ${test.pValue.toPrecision(3)}`;
  const reason = !below
    ? `no data drift: ${p} ≥ ${alpha} (${voters}${size})`
    : small
      ? `advisory only: ${p} < ${alpha}${size}, but the reference has ${inputs.reference.length} rows (a verdict needs ${minReferenceRows})`
      : `data drift: ${p} < ${alpha} (${voters}${size})`;
  return {
    flagged: below && !small,
    verdict: {
      pValue: test.pValue,
      alpha,
      voting: test.voting,
      nReference: inputs.reference.length,
      minReferenceRows,
      effect,
      advisory: below && small,
      reason,
    },
  };
}

/** Outcomes either side of a located rise that place it at the serving version's start. */
const REIGN_MARGIN = 50;

/**
 * Concept drift from the labels: the serving version's level test when its promise is known (the
 * alarm decides, the located rise says where the new regime starts), else ADWIN's rise on the
 * lineage (below).
 */
export function measureConcept(inputs: DriftCheckInputs): {
  concept: ConceptOnLineage;
  level: LevelMeasurement | null;
} {
  const { wrong, at, rowId, version, label } = inputs.errors;
  if (!inputs.promise || !version) return { concept: adwinConcept(inputs), level: null };
  const level = measureLevel({ wrong, at, rowId, version, ...(label ? { label } : {}) }, inputs.promise, {
    ...DEFAULT_POLICY_CONFIG,
    burstAware: inputs.burstAware ?? true,
  });
  const loc = level.located;
  const located = loc && {
    index: loc.index,
    at: at[loc.index]?.toISOString() ?? null,
    before: loc.before,
    after: loc.after,
  };
  const concept: ConceptOnLineage = {
    detected: level.alarm,
    detector: null,
    errors: wrong.length,
    errorRateBefore: loc?.before ?? null,
    errorRateAfter: loc?.after ?? null,
    changeIndex: level.alarm ? (loc?.index ?? level.reignStart) : null,
    changeAt: level.alarm ? (at[loc?.index ?? level.reignStart]?.toISOString() ?? null) : null,
    changeRowId: level.alarm ? (rowId[loc?.index ?? level.reignStart] ?? null) : null,
    reignStart: level.reignStart,
    located,
    reason: level.reason,
  };
  return { concept, level };
}

/**
 * Concept drift on the lineage's error stream (spec P4a, D1): ADWIN and the strongest rise over the
 * outcomes of whichever version served, in serve order. A version bad from its first row shows
 * no rise in its own errors, but the lineage rises where it started serving. A located rise counts
 * when it lies in the serving version's reign (or at its start, within 50 outcomes): a rise
 * before it is a change the serving version was trained after.
 */
function adwinConcept(inputs: DriftCheckInputs): ConceptOnLineage {
  const { wrong, at, rowId, version } = inputs.errors;
  const raw = detectConceptDrift(wrong, at, rowId);
  const serving = inputs.model.version;
  let reignStart = 0;
  if (version && serving !== undefined)
    for (let i = version.length - 1; i >= 0; i--)
      if (version[i] !== serving) {
        reignStart = i + 1;
        break;
      }
  if (!raw.detected || raw.changeIndex === null) {
    return { ...raw, reignStart, located: null, reason: 'no significant rise in the lineage error stream' };
  }
  const located = {
    index: raw.changeIndex,
    at: raw.changeAt,
    before: raw.errorRateBefore ?? 0,
    after: raw.errorRateAfter ?? 0,
  };
  const rates = `error ${(100 * located.before).toFixed(1)}% → ${(100 * located.after).toFixed(1)}%`;
  if (raw.changeIndex >= reignStart - REIGN_MARGIN) {
    const where =
      raw.changeIndex <= reignStart + REIGN_MARGIN
        ? 'where the serving version started'
        : 'while the serving version served';
    return { ...raw, reignStart, located, reason: `concept drift: the lineage's ${rates} ${where}` };
  }
  return {
    ...raw,
    detected: false,
    changeIndex: null,
    changeAt: null,
    changeRowId: null,
    reignStart,
    located,
    reason: `no concept drift for the serving version: the lineage's rise (${rates}) came ${reignStart - raw.changeIndex} outcomes before it started serving`,
  };
}

/**
 * The report of the check: typed (categorical and boolean columns by their shares, missing values
 * tested apart) when the table has such columns or missing values, else KS + PSI per feature.
 */
function compare(
  reference: number[][],
  current: number[][],
  types: FeatureType[] | null,
  featureNames: string[],
  settings: DriftSettings,
) {
  const hasNaN = (rows: number[][]) => rows.some((r) => r.some(Number.isNaN));
  const typed =
    types !== null &&
    (types.some((t) => t !== 'numeric') ||
      keptWith(reference, 'missing', () => hasNaN(reference)) ||
      hasNaN(current));
  const prepared = reportReference(reference, typed ? types : null, featureNames);
  const report = compareDistributions(prepared, current, {
    pValue: settings.pValue,
    psiThreshold: settings.psiThreshold,
    driftShare: settings.driftShare,
    minSamples: MIN_CURRENT_ROWS,
    correction: 'bh',
  });
  return { report, prepared };
}

/** Predicted-class mix of the window vs the model's hold-out predictions (chi-square + JS). */
function measurePredictionDrift(inputs: DriftCheckInputs, settings: DriftSettings) {
  const { nClasses } = inputs.model;
  const currentCounts = new Array<number>(nClasses).fill(0);
  for (const p of inputs.window.predicted) if (p >= 0 && p < nClasses) currentCounts[p]!++;
  const referenceCounts = inputs.model.referencePredictions.slice(0, nClasses);
  const details: Record<string, unknown> = { referenceCounts, currentCounts };
  const enough =
    inputs.window.predicted.length >= MIN_CURRENT_ROWS && referenceCounts.reduce((a, b) => a + b, 0) > 0;
  if (!enough) return { drifted: false, details };
  // \`advisory\`: set by the caller when labels come in.
  const chi = chiSquareTest(referenceCounts, currentCounts);
  const js = jensenShannon(referenceCounts, currentCounts, { base: 2 });
  const drifted = chi.pValue < settings.pValue && js > PREDICTION_JS_DISTANCE;
  return {
    drifted,
    details: { ...details, chiSquare: chi.statistic, pValue: chi.pValue, jensenShannon: js, drifted },
  };
}

export type DriftAction = 'retrain_queued' | 'retrain_pending' | 'cooldown' | 'insufficient_data' | 'none';

/** The retrain situation when a check decides, read under the retrain-request lock. */
export interface RetrainSituation {
  /** A retrain is queued or running. */
  pending: boolean;
  /** The last drift-triggered retrain: seconds since it was queued (null: never). */
  last: { secondsAgo: number } | null;
  /**
   * The back-off (spec P7): the drift-triggered retrains in a row that ended without replacing
   * the serving version, and the labelled rows since the newest of them ended (null: the newest
   * one was promoted, or none ended).
   */
  backoff?: { failures: number; labelledSince: number } | null;
  /**
   * The version serving now, when a retrain promoted it while the check measured the one before:
   * the drift was that version's, and the new one's tests start afresh (absent: still the same).
   */
  replacedBy?: number | null;
}

/** Largest back-off multiplier of DRIFT_COOLDOWN_ROWS (spec P7). */
export const BACKOFF_CAP = 16;

/** Labelled rows a drift retrain waits after `failures` retrains in a row that replaced nothing. */
export function backoffRows(cooldownRows: number, failures: number): number {
  return failures <= 0 ? 0 : cooldownRows * Math.min(BACKOFF_CAP, 2 ** (failures - 1));
}

/**
 * What a check does about its measurement. One shift, one retrain: a drift queues a retrain
 * unless one is pending, the last drift-triggered one was queued fewer than
 * RETRAIN_MIN_INTERVAL_SECONDS ago (a writer cannot chain retrains back to back), or it backs
 * off (spec P7): after a drift retrain that replaced nothing (rejected, failed), the next waits
 * for DRIFT_COOLDOWN_ROWS labelled rows after it ended, doubled for each further one in a row
 * (at most ×16). After a promoted one there is no wait in rows: the new version's tests start
 * afresh, and a version bad from its first row must be caught (A5, A6).
 */
export function decideAction(
  measurement: Pick<DriftMeasurement, 'drifted' | 'verdict'>,
  situation: RetrainSituation,
  settings: { cooldownRows: number; minIntervalSeconds: number },
): DriftAction {
  if (!measurement.drifted) return measurement.verdict === 'insufficient_data' ? 'insufficient_data' : 'none';
  if (situation.replacedBy) return 'none';
  if (situation.pending) return 'retrain_pending';
  if (situation.last && situation.last.secondsAgo < settings.minIntervalSeconds) return 'cooldown';
  const backoff = situation.backoff;
  if (backoff && backoff.labelledSince < backoffRows(settings.cooldownRows, backoff.failures))
    return 'cooldown';
  return 'retrain_queued';
}

/** Why a drift waits (the action `cooldown`): which pacing holds it, and for how long. */
export function cooldownWhy(
  situation: RetrainSituation,
  settings: { cooldownRows: number; minIntervalSeconds: number },
): string {
  const last = situation.last;
  if (last && last.secondsAgo < settings.minIntervalSeconds) {
    return `no retrain yet: the last drift-triggered retrain was queued ${Math.floor(last.secondsAgo)} s ago (RETRAIN_MIN_INTERVAL_SECONDS ${settings.minIntervalSeconds})`;
  }
  const b = situation.backoff;
  if (!b) return 'no retrain yet: paced';
  const wait = backoffRows(settings.cooldownRows, b.failures);
  return `no retrain yet: back-off after ${b.failures} drift retrain(s) in a row that replaced nothing, ${b.labelledSince} of ${wait} labelled rows (DRIFT_COOLDOWN_ROWS ${settings.cooldownRows} × ${wait / settings.cooldownRows})`;
}

/** The reason a drift-triggered retrain is queued with. */
export function retrainReason(
  checkId: number,
  m: Pick<DriftMeasurement, 'dataDrift' | 'predictionDrift' | 'conceptDrift'>,
) {
  const kinds = [
    m.dataDrift && 'data drift',
    m.predictionDrift && 'prediction drift',
    m.conceptDrift && 'concept drift',
  ].filter(Boolean);
  return `drift check ${checkId}: ${kinds.join(', ')}`;
}

/** z the rise at a later located change must reach, among the rows since a pending job's start, to move the job there. */
const RETARGET_Z = 2;

/**
 * Whether a pending retrain that starts at `jobStart` should start at the newer located change
 * instead (spec P5, D2): when the lineage's errors from the job's start to the change kept their
 * level and rose at the change (z >= 2). Otherwise the newer cut is noise inside the regime the
 * job already starts at (a job queued for a real change must not be pushed past it).
 */
export function retargetTo(
  errors: DriftCheckInputs['errors'],
  concept: ConceptOnLineage,
  jobStart: Date | null,
): { at: Date; rowId: number | null; before: number; after: number; z: number } | null {
  const cut = concept.changeIndex;
  if (!concept.detected || cut === null || !concept.changeAt) return null;
  const at = new Date(concept.changeAt);
  if (jobStart !== null && at.getTime() <= jobStart.getTime()) return null;
  let from = 0;
  if (jobStart !== null)
    while (from < errors.at.length && errors.at[from]!.getTime() < jobStart.getTime()) from++;
  const rise = errorRise(errors.wrong, cut, from);
  if (!rise || rise.z < RETARGET_Z) return null;
  return { at, rowId: concept.changeRowId, ...rise };
}
