import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { minLookRows } from '@automl-stream/drift';
import type { TableSchema } from '@automl-stream/table';
import type { Logger } from 'pino';
import {
  ACCEPT_AFTER_CHECKS,
  cooldownWhy,
  type DriftAction,
  type DriftCheckInputs,
  type DriftMeasurement,
  decideAction,
  disjointStreak,
  measureDriftInTurns,
  type RetrainSituation,
  retargetTo,
  retrainReason,
  rowsAfterMoved,
  type ServedWindow,
  SHIFT_CHECKS,
} from './drift-check.ts';
import { promisedHoldout } from './forward-promise.ts';
import type { LevelPromise } from './level-check.ts';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { DEFAULT_POLICY_CONFIG, servingBarelyErrs } from './policy/index.ts';
import type { Queues } from './queues.ts';
import { announceQueued, RetrainRequests } from './retrain-requests.ts';
import {
  type ChunkSpan,
  labelledAmongNewest,
  readCurrentWindow,
  readLineageErrorStream,
} from './storage/data-storage.ts';
import {
  type DriftCheckRecord,
  getDriftCheck,
  insertDriftCheck,
  pendingCheckRequests,
  recentChunkChecks,
  updateDriftCheckAction,
} from './storage/drift-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  getProductionVersion,
  getReferenceSample,
  type ModelVersionRecord,
} from './storage/models-storage.ts';
import { readPipeline } from './storage/pipeline-storage.ts';
import {
  getTrainingJob,
  lastRejectedDriftRetrain,
  openTrainingJob,
  retargetTrainingJob,
  supersedeGrowthJob,
  type TrainingJobRecord,
} from './storage/training-storage.ts';

export type DriftTrigger = 'schedule' | 'rows' | 'manual';

/** Newest labelled outcomes of the lineage (every version, serve order) fed to the concept-drift detectors. */
const ERROR_STREAM_LIMIT = 20_000;
/** Labels come in when a row among the newest LABELS_WINDOWS × WINDOW_SIZE served has one (spec: 10 chunks). */
const LABELS_WINDOWS = 10;

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
 * (ADWIN). A check reads its inputs, measures them (drift-check.ts, pure) and records the check,
 * its action and its events in one transaction; a drift queues one retrain through
 * RetrainRequests unless one is pending or the cooldown has not passed.
 */
export class DriftPolicy {
  readonly retrains: RetrainRequests;

  constructor(
    private readonly sql: Sql,
    queues: Queues,
    private readonly config: Config,
    private readonly logger: Logger,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {
    this.retrains = new RetrainRequests(sql, queues, config, pipeline);
  }

  async check(queuedBy: DriftTrigger): Promise<DriftCheckOutcome> {
    const started = performance.now();
    // Manual requests made before the data is read are answered by this check (checkDrift waits
    // for it): it counts as manual whichever trigger queued it.
    const requests = await pendingCheckRequests(this.sql, this.pipeline.id);
    const trigger: DriftTrigger = requests.pending ? 'manual' : queuedBy;
    const production = await getProductionVersion(this.sql, this.pipeline.id);
    if (!production) {
      const job = await this.retrains.bootstrap();
      return { check: null, trainingJob: job, skipped: 'no_model' };
    }
    const { inputs, window } = await this.readInputs(production);
    const measurement = await measureDriftInTurns(inputs, this.config.drift);
    const outcome = await this.record(
      production,
      measurement,
      { ...window, errors: inputs.errors },
      {
        trigger,
        requestTicket: requests.ticket,
        started,
      },
    );
    // No retrain for a drift, none open: the model may still be short of the rows it could learn
    // from. Also when too few rows came since the version to measure drift: a small table that
    // stopped arriving is the case growth retrains are for.
    const quiet = outcome.check.action === 'none' || outcome.check.verdict === 'insufficient_data';
    if (!outcome.trainingJob && quiet) {
      outcome.trainingJob = await this.retrains.growth(
        production,
        this.barelyErrs(production, inputs.errors),
      );
    }
    const { verdict, dataDrift, predictionDrift, conceptDrift } = measurement;
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
   * The serving version errs on fewer than PROMOTION_TOLERANCE of its outcomes in the lineage's
   * stream, and the gate weighs accuracy (no class under 20 % of them): the pure policy's
   * `servingBarelyErrs`, over the class mix of its outcomes.
   */
  private barelyErrs(production: ModelVersionRecord, stream: DriftCheckInputs['errors']): boolean {
    let outcomes = 0;
    let errors = 0;
    const classes = new Map<number, number>();
    for (let i = 0; i < stream.wrong.length; i++) {
      if ((stream.version?.[i] ?? production.version) !== production.version) continue;
      outcomes += 1;
      errors += stream.wrong[i]!;
      const label = stream.label?.[i] ?? -1;
      classes.set(label, (classes.get(label) ?? 0) + 1);
    }
    const mix = { n: outcomes, classes: [...classes.values()].map((n) => ({ n })) };
    const config = { ...DEFAULT_POLICY_CONFIG, promotionTolerance: this.config.retrain.promotionTolerance };
    return servingBarelyErrs({ outcomes, errors }, mix, config);
  }

  /**
   * The serving version's reference rows. A version's sample is written once, with the version,
   * so the rows of the last version checked are kept: every check of a version then tests against
   * the same array, and the tests' sorted form of it is kept with it (drift-check.ts).
   */
  private async referenceRows(production: ModelVersionRecord): Promise<number[][]> {
    const key = `${production.version}@${production.createdAt.getTime()}`;
    if (this.#reference?.key === key) return this.#reference.rows;
    const nFeatures = production.nFeatures;
    const reference = await getReferenceSample(this.sql, this.pipeline.id, production.version);
    const rows: number[][] = [];
    for (let i = 0; i < (reference?.rows ?? 0); i++) {
      rows.push(Array.from(reference!.sample.subarray(i * nFeatures, (i + 1) * nFeatures)));
    }
    this.#reference = { key, rows };
    return rows;
  }

  #reference: { key: string; rows: number[][] } | null = null;

  /** The serving version's reference sample, the newest window and its error stream. */
  private async readInputs(production: ModelVersionRecord) {
    const nFeatures = production.nFeatures;
    const refRows = await this.referenceRows(production);
    const window = await readCurrentWindow(
      this.sql,
      this.pipeline.id,
      this.config.drift.windowSize,
      production.version,
    );
    const stream = await readLineageErrorStream(this.sql, this.pipeline.id, ERROR_STREAM_LIMIT);
    const schema = (await readPipeline(this.sql, this.pipeline.name))?.schema ?? null;
    const recent = await labelledAmongNewest(
      this.sql,
      this.pipeline.id,
      LABELS_WINDOWS * this.config.drift.windowSize,
    );
    const inputs: DriftCheckInputs = {
      model: production,
      reference: refRows,
      ...(schema ? { columns: modelColumns(schema, nFeatures) } : {}),
      window: { features: window.features, predicted: window.predicted },
      errors: stream,
      promise: await this.promiseOf(production, schema?.label.classes),
      burstAware: this.config.drift.burstAware,
      labelsComeIn: recent.labelled > 0,
      ...(await this.streaks(production.version, window)),
    };
    return { inputs, window };
  }

  /** How many earlier disjoint checks in a row flagged the features, saw them move, saw the class mix move. */
  private async streaks(version: number, window: ServedWindow) {
    const span = window.span;
    // Early checks come a few batches apart, so several may overlap the newest chunk.
    const earlier = await recentChunkChecks(this.sql, this.pipeline.id, version, 8 * ACCEPT_AFTER_CHECKS);
    const moved = earlier.map((c) => ({ flagged: c.moved, span: c.span }));
    const tail = rowsAfterMoved(moved, window, minLookRows(this.config.drift.windowSize));
    return {
      flaggedStreak: disjointStreak(earlier, span, ACCEPT_AFTER_CHECKS),
      movedStreak: disjointStreak(moved, span, SHIFT_CHECKS),
      ...(tail ? { tail } : {}),
      predictionStreak: disjointStreak(
        earlier.map((c) => ({ flagged: c.predicted, span: c.span })),
        span,
        1,
      ),
    };
  }

  /** What the serving version promised (its hold-out) and where a refused retrain accepted its drift. */
  private async promiseOf(production: ModelVersionRecord, classNames?: string[]): Promise<LevelPromise> {
    const job = production.trainingJobId
      ? await getTrainingJob(this.sql, this.pipeline.id, production.trainingJobId)
      : null;
    const bootstrap = production.version === 1 || job?.reason.startsWith('bootstrap') === true;
    const sinceKind = job?.changeAt ? 'change' : bootstrap ? 'bootstrap' : 'check';
    const since = production.promotedAt ?? production.createdAt;
    const promised = promisedHoldout(production);
    return {
      version: production.version,
      holdout: { n: promised.n, errors: promised.errors },
      ...(promised.forward ? { forward: true } : {}),
      ...(promised.rows ? { rows: promised.rows } : {}),
      sinceKind,
      trainRows: production.trainRows,
      acceptedAt: await lastRejectedDriftRetrain(this.sql, this.pipeline.id, since),
      servingSince: production.promotedAt,
      ...(promised.classes ? { classes: promised.classes } : {}),
      ...(classNames && classNames.length > 0 ? { classNames } : {}),
    };
  }

  /**
   * What the check does (decideAction), under the retrain-request lock; when only an open growth
   * run of the old regime stands in the way of the change's retrain, it gives way (supersedeGrowth).
   */
  private async actionFor(
    tx: Queryable,
    m: DriftMeasurement,
    measured: number,
  ): Promise<{ action: DriftAction; pacing: string | null; replacedBy?: ModelVersionRecord }> {
    const settings = {
      cooldownRows: this.config.drift.cooldownRows,
      minIntervalSeconds: this.config.retrain.minIntervalSeconds,
    };
    const decided = (situation: RetrainSituation) => {
      const action = decideAction(m, situation, settings);
      return { action, pacing: action === 'cooldown' ? cooldownWhy(situation, settings) : null };
    };
    if (!m.drifted) return decided({ pending: false, last: null });
    const production = await getProductionVersion(tx, this.pipeline.id);
    if (production && production.version !== measured) {
      const serving = production.version;
      const why = `no retrain: v${measured}, which this check measured, was replaced by v${serving} while it ran (the new version's tests start afresh)`;
      return {
        action: decideAction(m, { pending: false, last: null, replacedBy: serving }, settings),
        pacing: why,
        replacedBy: production,
      };
    }
    const situation = await this.retrains.situation(tx);
    const first = decided(situation);
    if (first.action !== 'retrain_pending') return first;
    if (decideAction(m, { ...situation, pending: false }, settings) !== 'retrain_queued') return first;
    if (!(await this.supersedeGrowth(tx, m))) return first;
    return decided(await this.retrains.situation(tx));
  }

  /** Records the check, its action, its events and the retrain it queued, in one transaction. */
  private record(
    production: ModelVersionRecord,
    m: DriftMeasurement,
    window: {
      newestRowId: number | null;
      newestPredictionId: number | null;
      source: string;
      span: ChunkSpan | null;
      errors: DriftCheckInputs['errors'];
    },
    meta: { trigger: DriftTrigger; requestTicket: number; started: number },
  ): Promise<{ check: DriftCheckRecord; trainingJob: TrainingJobRecord | null }> {
    return this.sql.begin(async (tx) => {
      const { action, pacing, replacedBy } = await this.actionFor(tx, m, production.version);
      const open = action === 'retrain_pending' ? await openTrainingJob(tx, this.pipeline.id) : undefined;
      const retargeted = open ? await this.retarget(tx, m, window.errors, open) : null;
      // The drift an earlier check of this version found and queued a retrain for: not a new one.
      const answeredBy =
        m.verdict === 'drift' && !retargeted
          ? await this.answeredBy(tx, production.version, open, replacedBy)
          : null;
      const check = await insertDriftCheck(tx, this.pipeline.id, {
        modelVersion: production.version,
        trigger: meta.trigger,
        verdict: answeredBy === null ? m.verdict : 'still_drifting',
        drifted: m.drifted,
        dataDrift: m.dataDrift,
        predictionDrift: m.predictionDrift,
        conceptDrift: m.conceptDrift,
        driftedShare: m.driftedShare,
        nReference: m.nReference,
        nCurrent: m.nCurrent,
        // The served rows (or predictions: `details.span.source`) the chunk test read.
        windowStartId: window.span?.first ?? null,
        windowEndId: window.span?.last ?? window.newestPredictionId ?? window.newestRowId,
        features: m.features,
        details: {
          prediction: m.prediction,
          concept: m.concept,
          level: m.level,
          histograms: m.histograms,
          quality: m.quality,
          chunk: m.chunk,
          shift: m.shift,
          source: window.source,
          span: window.span,
          retargeted,
          ...(answeredBy === null ? {} : { answeredBy }),
          ...(pacing ? { pacing } : {}),
          newestRowId: window.newestRowId,
          newestPredictionId: window.newestPredictionId,
        },
        action,
        trainingJobId: retargeted?.jobId ?? null,
        durationMs: performance.now() - meta.started,
        requestTicket: meta.requestTicket,
      });
      let trainingJob: TrainingJobRecord | null = null;
      if (action === 'retrain_queued') {
        const concept = m.concept;
        trainingJob = await this.retrains.queue(
          tx,
          {
            reason: retrainReason(check.id, m),
            driftCheckId: check.id,
            // Concept drift locates its change point; for data or prediction drift the change is
            // somewhere in the window, so only rows from this check on are surely of the new
            // regime (the retrain waits for MIN_TRAIN_ROWS of them)...
            changeAt: concept.changeAt ? new Date(concept.changeAt) : check.createdAt,
            // ...to the row: a batch's rows share their time, and the change may be mid-batch.
            changeRowId: concept.changeAt ? concept.changeRowId : null,
          },
          false,
        );
        await updateDriftCheckAction(tx, this.pipeline.id, check.id, action, trainingJob.id);
        check.trainingJobId = trainingJob.id;
      }
      // Cause before effect: the check, the drift, then the retrain it queued.
      const summary = summarize(check);
      await appendEvent(tx, this.pipeline.id, 'drift.checked', summary);
      if (m.drifted && answeredBy === null)
        await appendEvent(tx, this.pipeline.id, 'drift.detected', summary);
      if (trainingJob) await announceQueued(tx, trainingJob);
      return { check, trainingJob };
    });
  }

  /**
   * Labels located a concept change while a growth retrain is open that read (or will read) the old
   * regime only: it is ended as superseded (its trainer stops at its next progress write), so the
   * retrain for the change is queued now instead of after it. Called under the retrain-request lock.
   */
  private async supersedeGrowth(tx: Queryable, m: DriftMeasurement): Promise<boolean> {
    if (!m.conceptDrift || !m.concept.changeAt) return false;
    // Under a covariate shift the change's retrain learns the newest rows at once, so any open
    // growth run gives way: it read older rows, and its search keeps the failing version serving.
    const shift = m.shift?.confirmed === true;
    const located = new Date(m.concept.changeAt);
    const why = shift
      ? `superseded: the labels alarmed under a covariate shift (the features moved in ${m.shift!.checks} checks in a row); the retrain that learns the newest rows goes next`
      : `superseded: the labels located a concept change at ${located.toISOString()}; this growth run learns the regime before it, the change's retrain goes next`;
    const changeAt = shift ? null : located;
    const job = await supersedeGrowthJob(tx, this.pipeline.id, changeAt, why);
    if (!job) return false;
    await appendEvent(tx, this.pipeline.id, 'training.failed', { trainingJobId: job.id, error: why });
    this.logger.info({ trainingJobId: job.id, changeAt }, 'growth retrain superseded by a concept change');
    return true;
  }

  /**
   * A drift found while a retrain is pending: when it located a later change the pending job has
   * not trained past (see retargetTo), the job moves its window start there (it reads its start
   * again while it waits for rows). Called under the retrain-request lock.
   */
  private async retarget(
    tx: Queryable,
    m: DriftMeasurement,
    errors: DriftCheckInputs['errors'],
    open: TrainingJobRecord,
  ) {
    const to = retargetTo(errors, m.concept, open.changeAt);
    if (!to) return null;
    const moved = await retargetTrainingJob(tx, this.pipeline.id, open.id, to.at, to.rowId);
    if (!moved) return null;
    return {
      jobId: open.id,
      from: open.changeAt?.toISOString() ?? null,
      to: to.at.toISOString(),
      errorBefore: to.before,
      errorAfter: to.after,
      z: to.z,
    };
  }

  /**
   * The earlier check whose retrain already answers a drift of `measured`: the one that queued the
   * `open` job (the check waits for it), or the job that trained `replacedBy`, the version that
   * replaced `measured` while the check ran; null when that job was not queued by a drift of `measured`.
   */
  private async answeredBy(
    tx: Queryable,
    measured: number,
    open: TrainingJobRecord | undefined,
    replacedBy: ModelVersionRecord | undefined,
  ): Promise<{ checkId: number; jobId: number } | null> {
    const trainedBy = replacedBy?.trainingJobId ?? null;
    const job =
      open ?? (trainedBy === null ? undefined : await getTrainingJob(tx, this.pipeline.id, trainedBy));
    if (!job || job.driftCheckId === null) return null;
    const earlier = await getDriftCheck(tx, this.pipeline.id, job.driftCheckId);
    return earlier?.modelVersion === measured ? { checkId: earlier.id, jobId: job.id } : null;
  }

  /** A retrain asked for by a person or a script (see RetrainRequests.request). */
  requestRetrain(reason: string): Promise<{ job: TrainingJobRecord; alreadyPending: boolean }> {
    return this.retrains.request(reason);
  }

  /** Version 1 trains by itself once MIN_TRAIN_ROWS labelled rows are in. */
  maybeBootstrap(): Promise<TrainingJobRecord | null> {
    return this.retrains.bootstrap();
  }
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

/** Names and types of the model's columns (the schema's first `n`; an older schema may be narrower). */
function modelColumns(schema: TableSchema, n: number): NonNullable<DriftCheckInputs['columns']> {
  const columns = Array.from({ length: n }, (_, j) => schema.columns[j]);
  return {
    names: columns.map((c, j) => c?.name ?? `f${j}`),
    types: columns.map((c) => c?.type ?? 'numeric'),
    categories: columns.map((c) => c?.categories ?? null),
  };
}
