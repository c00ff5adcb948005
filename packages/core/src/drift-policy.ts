import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { Adwin, chiSquareTest, compareDistributions, histogram, jensenShannon } from '@automl-stream/drift';
import type { Logger } from 'pino';
import { inTransaction, type Queues, retrainQueue } from './queues.ts';
import {
  countLabelledRows,
  countServedSince,
  readCurrentWindow,
  readErrorStream,
} from './storage/data-storage.ts';
import {
  type DriftCheckRecord,
  type DriftFeatureResult,
  insertDriftCheck,
  lastRetrainTrigger,
  pendingCheckRequests,
} from './storage/drift-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import { getProductionVersion, getReferenceSample } from './storage/models-storage.ts';
import {
  insertTrainingJob,
  openTrainingJob,
  setQueueJobId,
  type TrainingJobRecord,
} from './storage/training-storage.ts';

export type DriftTrigger = 'schedule' | 'rows' | 'manual';

/** Fewest current rows for a verdict; below it the check says "insufficient data". */
export const MIN_CURRENT_ROWS = 100;
/** Bins of the per-feature histograms stored with each check. */
const HISTOGRAM_BINS = 20;
/** Newest labelled outcomes of the serving version fed to the concept-drift detectors. */
const ERROR_STREAM_LIMIT = 20_000;
/** Prediction drift needs both significance and a visible effect (chi-square alone flags tiny shifts at scale). */
const PREDICTION_JS_DISTANCE = 0.1;

export interface ConceptDriftResult {
  detected: boolean;
  detector: 'adwin' | null;
  errors: number;
  errorRateBefore: number | null;
  errorRateAfter: number | null;
  changeIndex: number | null;
  changeAt: string | null;
  /** The ingested row at the change point (null when it is a prediction's feedback). */
  changeRowId: number | null;
}

/** Smallest segment on either side of a change point. */
const MIN_SEGMENT = 10;
/** z-score the rise in error rate must reach at the change point (two-proportion test). */
const MIN_RISE_Z = 3;

/**
 * Error rates before and after `cut` and the two-proportion z of the rise; null when a side is
 * too short.
 */
export function errorRise(
  errors: readonly number[],
  cut: number,
): { before: number; after: number; z: number } | null {
  const n = errors.length;
  if (cut < MIN_SEGMENT || n - cut < MIN_SEGMENT) return null;
  let head = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += errors[i]!;
    if (i < cut) head += errors[i]!;
  }
  const before = head / cut;
  const after = (total - head) / (n - cut);
  const pooled = total / n;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / cut + 1 / (n - cut)));
  return { before, after, z: se > 0 ? (after - before) / se : 0 };
}

/**
 * The split in errors[from..] with the largest significant rise in error rate (binary
 * segmentation: maximises the between-segment variance k(n-k)/n · (after - before)²), or null.
 */
export function strongestRise(errors: readonly number[], from: number): number | null {
  const n = errors.length - from;
  if (n < 2 * MIN_SEGMENT) return null;
  let total = 0;
  for (let i = from; i < errors.length; i++) total += errors[i]!;
  let prefix = 0;
  let best: { k: number; score: number } | null = null;
  for (let k = 1; k < n; k++) {
    prefix += errors[from + k - 1]!;
    if (k < MIN_SEGMENT || n - k < MIN_SEGMENT) continue;
    const before = prefix / k;
    const after = (total - prefix) / (n - k);
    if (after <= before) continue;
    const score = ((k * (n - k)) / n) * (after - before) ** 2;
    if (!best || score > best.score) best = { k, score };
  }
  if (!best) return null;
  const rise = errorRise(errors.slice(from), best.k);
  return rise && rise.z >= 2 ? from + best.k : null;
}

/**
 * ADWIN (River's defaults) over the error stream. At each detection ADWIN drops the part of its
 * window that no longer matches; what it keeps is its estimate of the new regime, so the newest
 * detection's cut marks where the change began (a conservative, late estimate: the retrain then
 * learns from rows that surely belong to the new concept). Drift counts only when the error rate
 * rose significantly across that cut (z ≥ 3). Page-Hinkley is not used for the verdict: with
 * River's defaults it false-alarms on long stationary streams (measured in packages/drift).
 */
export function detectConceptDrift(
  errors: readonly number[],
  at: readonly Date[],
  rowIds: readonly (number | null)[] = [],
): ConceptDriftResult {
  const adwin = new Adwin();
  let adwinCut: number | null = null;
  for (let i = 0; i < errors.length; i++) {
    if (adwin.update(errors[i]!).drift) adwinCut = i + 1 - adwin.width;
  }
  // ADWIN's kept window may still hold some old-regime items; the most likely rise inside it
  // (when significant) places the change more precisely.
  const cut = adwinCut === null ? null : (strongestRise(errors, adwinCut) ?? adwinCut);
  const rise = cut === null ? null : errorRise(errors, cut);
  const detected = rise !== null && rise.z >= MIN_RISE_Z;
  return {
    detected,
    detector: cut === null ? null : 'adwin',
    errors: errors.length,
    errorRateBefore: rise?.before ?? null,
    errorRateAfter: rise?.after ?? null,
    changeIndex: detected ? cut : null,
    changeAt: detected && cut !== null ? (at[cut]?.toISOString() ?? null) : null,
    changeRowId: detected && cut !== null ? (rowIds[cut] ?? null) : null,
  };
}

export interface DriftCheckOutcome {
  check: DriftCheckRecord | null;
  trainingJob: TrainingJobRecord | null;
  /** Set when no check ran (no model yet); bootstrap may have been queued instead. */
  skipped: 'no_model' | null;
}

/**
 * The drift policy: compares the serving model's reference sample with the newest WINDOW_SIZE
 * rows, feature by feature (KS + PSI + Wasserstein with Benjamini-Hochberg across features),
 * checks the predicted-class mix (chi-square), and watches the error stream of labelled rows
 * (ADWIN, Page-Hinkley). Every check is recorded and announced; a drift queues one retrain unless
 * one is pending or the cooldown since the last retrain has not passed.
 */
export class DriftPolicy {
  constructor(
    private readonly sql: Sql,
    private readonly queues: Queues,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async check(queuedBy: DriftTrigger): Promise<DriftCheckOutcome> {
    const started = performance.now();
    // Manual requests made before the data is read are answered by this check (checkDrift waits
    // for it): it counts as manual whichever trigger queued it.
    const requests = await pendingCheckRequests(this.sql);
    const trigger: DriftTrigger = requests.pending ? 'manual' : queuedBy;
    const production = await getProductionVersion(this.sql);
    if (!production) {
      const job = await this.maybeBootstrap();
      return { check: null, trainingJob: job, skipped: 'no_model' };
    }
    const reference = await getReferenceSample(this.sql, production.version);
    const window = await readCurrentWindow(this.sql, this.config.drift.windowSize, production.version);
    const nFeatures = production.nFeatures;
    const refRows: number[][] = [];
    if (reference) {
      for (let i = 0; i < reference.rows; i++) {
        refRows.push(Array.from(reference.sample.subarray(i * nFeatures, (i + 1) * nFeatures)));
      }
    }
    const current = window.features.filter((f) => f.length === nFeatures);
    const featureNames = Array.from({ length: nFeatures }, (_, i) => `f${i}`);

    let features: DriftFeatureResult[] = [];
    let histograms: { feature: number; edges: number[]; reference: number[]; current: number[] }[] = [];
    let dataDrift = false;
    let driftedShare = 0;
    let verdict = 'insufficient_data';
    if (current.length >= MIN_CURRENT_ROWS && refRows.length >= MIN_CURRENT_ROWS) {
      const report = compareDistributions(refRows, current, {
        pValue: this.config.drift.pValue,
        psiThreshold: this.config.drift.psiThreshold,
        driftShare: this.config.drift.driftShare,
        correction: 'bh',
        minSamples: MIN_CURRENT_ROWS,
        featureNames,
      });
      dataDrift = report.drifted;
      driftedShare = report.driftedShare;
      verdict = report.verdict;
      features = report.features.map((f) => ({
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
        importance: production.featureImportances[f.index] ?? null,
      }));
      // Reference-vs-current histograms as this check saw them, for the drift event page.
      histograms = featureNames.map((_, j) => {
        const h = histogram(
          refRows.map((r) => r[j]!),
          current.map((r) => r[j]!),
          { bins: HISTOGRAM_BINS },
        );
        return { feature: j, edges: h.edges, reference: h.referenceCounts, current: h.currentCounts };
      });
    }

    // Prediction drift: predicted-class mix of the window vs the model's hold-out predictions.
    const nClasses = production.nClasses;
    const curCounts = new Array<number>(nClasses).fill(0);
    for (const p of window.predicted) if (p >= 0 && p < nClasses) curCounts[p]!++;
    const refCounts = production.referencePredictions.slice(0, nClasses);
    let predictionDrift = false;
    let prediction: Record<string, unknown> = { referenceCounts: refCounts, currentCounts: curCounts };
    if (window.predicted.length >= MIN_CURRENT_ROWS && refCounts.reduce((a, b) => a + b, 0) > 0) {
      const chi = chiSquareTest(refCounts, curCounts);
      const js = jensenShannon(refCounts, curCounts, { base: 2 });
      predictionDrift = chi.pValue < this.config.drift.pValue && js > PREDICTION_JS_DISTANCE;
      prediction = {
        ...prediction,
        chiSquare: chi.statistic,
        pValue: chi.pValue,
        jensenShannon: js,
        drifted: predictionDrift,
      };
    }

    // Concept drift: the serving version's error stream on labelled rows.
    const stream = await readErrorStream(this.sql, production.version, ERROR_STREAM_LIMIT);
    const concept = detectConceptDrift(stream.wrong, stream.at, stream.rowId);
    const conceptDrift = concept.detected;

    const drifted = dataDrift || predictionDrift || conceptDrift;
    if (drifted) verdict = 'drift';
    else if (verdict === 'insufficient_data' && stream.wrong.length >= MIN_CURRENT_ROWS) verdict = 'no_drift';

    const outcome = await this.sql.begin(async (tx) => {
      let action = drifted
        ? 'retrain_queued'
        : verdict === 'insufficient_data'
          ? 'insufficient_data'
          : 'none';
      let trainingJob: TrainingJobRecord | null = null;
      if (drifted) {
        // One shift, one retrain: skip when a retrain is pending or the cooldown has not passed.
        await tx`select pg_advisory_xact_lock(7301946223)`;
        const open = await openTrainingJob(tx);
        const last = open ? undefined : await lastRetrainTrigger(tx);
        if (open) action = 'retrain_pending';
        else if (last && this.coolingDown(last.secondsAgo, await countServedSince(tx, last.createdAt)))
          action = 'cooldown';
      }
      const check = await insertDriftCheck(tx, {
        modelVersion: production.version,
        trigger,
        verdict,
        drifted,
        dataDrift,
        predictionDrift,
        conceptDrift,
        driftedShare,
        nReference: refRows.length,
        nCurrent: current.length,
        windowStartId: null,
        windowEndId: window.newestPredictionId ?? window.newestRowId,
        features,
        details: {
          prediction,
          concept,
          histograms,
          newestRowId: window.newestRowId,
          newestPredictionId: window.newestPredictionId,
        },
        action,
        trainingJobId: null,
        durationMs: performance.now() - started,
        requestTicket: requests.ticket,
      });
      if (action === 'retrain_queued') {
        const reasons = [
          dataDrift && 'data drift',
          predictionDrift && 'prediction drift',
          conceptDrift && 'concept drift',
        ].filter(Boolean);
        trainingJob = await this.queueRetrain(
          tx,
          {
            reason: `drift check ${check.id}: ${reasons.join(', ')}`,
            driftCheckId: check.id,
            // Concept drift locates its change point; for data or prediction drift the change is
            // somewhere in the window, so only rows from this check on are surely of the new
            // regime (the retrain waits for MIN_TRAIN_ROWS of them).
            changeAt: concept.changeAt ? new Date(concept.changeAt) : check.createdAt,
            // ...to the row: a batch's rows share their time, and the change may be mid-batch.
            changeRowId: concept.changeAt ? concept.changeRowId : null,
          },
          false,
        );
        await tx`update drift_checks set training_job_id = ${trainingJob.id} where id = ${check.id}`;
        check.trainingJobId = trainingJob.id;
      }
      // Cause before effect: the check, the drift, then the retrain it queued.
      const summary = summarize(check);
      await appendEvent(tx, 'drift.checked', summary);
      if (drifted) await appendEvent(tx, 'drift.detected', summary);
      if (trainingJob) await announceQueued(tx, trainingJob);
      return { check, trainingJob };
    });
    this.logger.info(
      {
        checkId: outcome.check.id,
        verdict,
        dataDrift,
        predictionDrift,
        conceptDrift,
        action: outcome.check.action,
      },
      'drift check',
    );
    return { ...outcome, skipped: null };
  }

  /**
   * Whether a drift may not trigger a retrain yet: fewer than DRIFT_COOLDOWN_ROWS rows, or fewer
   * than RETRAIN_MIN_INTERVAL_SECONDS, since the last drift-triggered retrain. The rows alone let a
   * writer chain retrains with one big batch each; the time bounds how often a stream, honest or
   * not, can replace the model.
   */
  private coolingDown(secondsSinceLast: number, rowsSinceLast: number): boolean {
    return (
      rowsSinceLast < this.config.drift.cooldownRows ||
      secondsSinceLast < this.config.retrain.minIntervalSeconds
    );
  }

  /**
   * Records a training job and its queue job in the caller's transaction; `announce` appends the
   * training.queued event (a drift check announces its drift first, then the retrain).
   */
  async queueRetrain(
    tx: Queryable,
    job: { reason: string; driftCheckId: number | null; changeAt: Date | null; changeRowId?: number | null },
    announce = true,
  ): Promise<TrainingJobRecord> {
    const record = await insertTrainingJob(tx, job);
    const queueJobId = await this.queues.send(retrainQueue, { trainingJobId: record.id }, inTransaction(tx));
    if (queueJobId) await setQueueJobId(tx, record.id, queueJobId);
    const queued = { ...record, queueJobId };
    if (announce) await announceQueued(tx, queued);
    return queued;
  }

  /** A retrain asked for by a person or a script; returns the pending job instead of piling up another. */
  async requestRetrain(reason: string): Promise<{ job: TrainingJobRecord; alreadyPending: boolean }> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7301946223)`;
      const open = await openTrainingJob(tx);
      if (open) return { job: open, alreadyPending: true };
      const job = await this.queueRetrain(tx, { reason, driftCheckId: null, changeAt: null });
      return { job, alreadyPending: false };
    });
  }

  /** Version 1 trains by itself once MIN_TRAIN_ROWS labelled rows are in. */
  async maybeBootstrap(): Promise<TrainingJobRecord | null> {
    const labelled = await countLabelledRows(this.sql);
    if (labelled < this.config.retrain.minTrainRows) return null;
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7301946223)`;
      if (await getProductionVersion(tx)) return null;
      if (await openTrainingJob(tx)) return null;
      return this.queueRetrain(tx, {
        reason: `bootstrap: ${labelled} labelled rows (MIN_TRAIN_ROWS ${this.config.retrain.minTrainRows})`,
        driftCheckId: null,
        changeAt: null,
      });
    });
  }
}

function announceQueued(tx: Queryable, job: TrainingJobRecord) {
  return appendEvent(tx, 'training.queued', {
    trainingJobId: job.id,
    reason: job.reason,
    driftCheckId: job.driftCheckId,
  });
}

/** The compact event payload; subscribers read the full record by id. */
export function summarize(check: DriftCheckRecord): Record<string, unknown> {
  return {
    driftCheckId: check.id,
    modelVersion: check.modelVersion,
    drifted: check.drifted,
    verdict: check.verdict,
    dataDrift: check.dataDrift,
    predictionDrift: check.predictionDrift,
    conceptDrift: check.conceptDrift,
    driftedShare: check.driftedShare,
    action: check.action,
    trainingJobId: check.trainingJobId,
    requestTicket: check.requestTicket,
  };
}
