import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { mulberry32 } from '@automl-stream/drift';
import {
  type Forest,
  ForestInputError,
  loadForest,
  searchForest,
  type TrainForestOptions,
  trainForest,
} from '@automl-stream/ml';
import type { Logger } from 'pino';
import { type StoredSearch, searchWindows, storedSearch } from './automl-fit.ts';
import { describeLeftOut, featuresToLeaveOut, type LeftOut, MIN_TRANSFER_ROWS } from './features-left-out.ts';
import { forwardEvidence } from './forward-promise.ts';
import { type GateEvidence, gateEvidenceFrom } from './gate-evidence.ts';
import {
  type GateSplit,
  honestProba,
  type LearnedRows,
  outOfBagFrom,
  outOfBagSplit,
  probaRows,
  scoreProba,
} from './gate-rows.ts';
import { modelSizeProblem } from './model-size.ts';
import { DEFAULT_PIPELINE_REF, lowerMinTrainRowsHint, type PipelineRef } from './pipeline-ref.ts';
import { DEFAULT_POLICY_CONFIG } from './policy/config.ts';
import { withoutFeatures } from './policy/feature-transfer.ts';
import { describeForward, type ForwardEvidence } from './policy/forward-promise.ts';
import {
  decidePromotion,
  type GateScores,
  learnedAllDecision,
  type PromotionDecision,
} from './promotion-decision.ts';
import { inTransaction, type Queues, retrainQueue } from './queues.ts';
import { announceRepromotion, chooseArchived, repromotionReason } from './repromotion.ts';
import { changeText, REGIME_GROWTH, RetrainRequests, regimeRun } from './retrain-requests.ts';
import {
  applyCategoryCaps,
  type CategoryCap,
  capsOf,
  fitCategoryCaps,
  modelRows,
  padRows,
  padTo,
} from './schema/category-caps.ts';
import {
  countLabelledSince,
  type RegimeStart,
  readLabelledBefore,
  readLabelledWindow,
  readLineageErrorStream,
  rowCreatedAt,
} from './storage/data-storage.ts';
import { changeLocatedAfter, shiftSeenSince } from './storage/drift-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  automaticPromotionsInLastHour,
  getArtifact,
  getModelVersion,
  getProductionVersion,
  insertModelVersion,
  lockProduction,
  type ModelMetrics,
  type ModelVersionRecord,
  markRejected,
  setProduction,
} from './storage/models-storage.ts';
import { readPipeline } from './storage/pipeline-storage.ts';
import {
  abandonTrainingJob,
  driftRetrainBackoff,
  finishTrainingJob,
  getTrainingJob,
  lockRetrainRequests,
  requeueTrainingJob,
  setQueueJobId,
  startTrainingJob,
  type TrainingJobRecord,
  updateTrainingProgress,
} from './storage/training-storage.ts';

/** A training run that cannot succeed by retrying (not enough data, one class only). */
export class TrainingDataError extends Error {
  override name = 'TrainingDataError';
  /** The training job's outcome when this error ends it. */
  readonly outcome: string = 'insufficient_data';
}

/** Fewest training rows a search runs on (validation and windows need room); fewer: the fixed forest. */
const SEARCH_MIN_ROWS = 200;

/** Why a run trained the fixed forest, as `models --candidates` says it. */
function fixedReason(run: Pick<TrainingRun, 'data' | 'searchSkipped'>, budgetSeconds: number): string {
  if (run.searchSkipped) return `search skipped: ${run.searchSkipped}`;
  if (budgetSeconds <= 0) return 'AUTOML_BUDGET_SECONDS is 0';
  return 'the fast first model after a change: the fixed forest on the rows since it, a search comes with its growth';
}

/** The reason a process aborts its retrain when it shuts down (see RetrainService.run). */
export class ShutdownError extends Error {
  override name = 'ShutdownError';
  constructor() {
    super('shutting down');
  }
}

/** The trained forest would not fit MAX_MODEL_BYTES once loaded: refused, never registered. */
export class ModelTooLargeError extends TrainingDataError {
  override name = 'ModelTooLargeError';
  override readonly outcome = 'model_too_large';
}

export interface RetrainResult {
  job: TrainingJobRecord;
  version: ModelVersionRecord | null;
  promoted: boolean;
}

/** Progress is written and announced at most this often (in trees). */
const PROGRESS_STEPS = 20;

/**
 * How often a retrain waiting for rows of the new regime counts them again: at 1,000 rows/s a
 * 500 ms poll kept the failing version serving up to 500 rows past the MIN_TRAIN_ROWS-th.
 */
const WAIT_POLL_MS = 100;

/**
 * Trains a challenger on the newest TRAIN_WINDOW labelled rows (only those after the detected
 * change when there are enough of them), holds out the newest slice, scores challenger and
 * champion on that same slice and promotes the challenger unless it is worse by more than
 * PROMOTION_TOLERANCE. Idempotent: a job that already produced a version is not trained again.
 */
/** D12: a retrain whose regime has fewer than MIN_TRAIN_ROWS labelled rows after its wait. */
export class WaitingForRowsError extends Error {
  override name = 'WaitingForRowsError';
}

/** A run whose job a drift check ended as superseded (see DriftPolicy.supersedeGrowth). */
export class SupersededError extends Error {
  override name = 'SupersededError';
  constructor(trainingJobId: number) {
    super(`training job ${trainingJobId} was superseded by a concept change`);
  }
}

/** A drift retrain that ended with an archived version serving again, no training (see serveArchived). */
class ServedAgain extends Error {
  override name = 'ServedAgain';
  constructor(readonly result: RetrainResult) {
    super(`training job ${result.job.id} ended: an archived version serves again`);
  }
}

/** The reason of a retrain queued again from a rise inside a rejected retrain's window. */
export const REQUEUED = 'retrain from the rise inside';

/**
 * Why a rejected drift retrain does not accept the drift (null: it does, the version's promise
 * becomes its live error): the regression check refused both models, or it was queued again.
 */
function notAcceptedBecause(decision: PromotionDecision, requeue: RegimeStart | null): string | null {
  if (requeue)
    return `queued again from ${requeue.at.toISOString()}, where the champion's errors rose inside the window`;
  if (decision.regression)
    return "both models err far above the lineage's earlier level: the window may straddle a change";
  return null;
}

/** Seconds between the waits of a rescheduled retrain. */
const RESCHEDULE_SECONDS = 5;

/**
 * How often a waiting retrain asks whether another pipeline's retrain is due: a process trains one
 * job at a time, and a wait of RETRAIN_WAIT_SECONDS held every other pipeline's training back.
 */
const YIELD_CHECK_MS = 1_000;

function waitingMessage(
  waited: { available: number; regime: RegimeStart; yielded: boolean },
  minTrainRows: number,
  waitSeconds: number,
): string {
  const why = waited.yielded
    ? "another pipeline's retrain is due, so this one makes way and waits again in the queue"
    : `RETRAIN_WAIT_SECONDS (${waitSeconds}) ran out, so the retrain is rescheduled`;
  return `waiting for ${minTrainRows - waited.available} more labelled rows since the change at ${changeText(waited.regime)} (${waited.available} of MIN_TRAIN_ROWS = ${minTrainRows}); ${why}: it never trains on rows from before the change`;
}

export class RetrainService {
  /** Runs in this process by job id: a progress write that finds its job no longer running stops it. */
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly sql: Sql,
    private readonly config: Config,
    private readonly logger: Logger,
    /** To queue an interrupted job again without spending one of its attempts (see run). */
    private readonly queues: Queues | null = null,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /**
   * Fails a training job that is still open although nothing will run it again: its queue job
   * `queueJobId` died on its last attempt (OOM, SIGKILL, expiry). Returns false when the job had
   * finished, or moved on to another queue job, meanwhile.
   */
  async abandon(trainingJobId: number, queueJobId: string | null, reason: string): Promise<boolean> {
    const failed = await this.sql.begin(async (tx) => {
      const job = await abandonTrainingJob(tx, trainingJobId, queueJobId, reason);
      if (job)
        await appendEvent(tx, this.pipeline.id, 'training.failed', {
          trainingJobId,
          error: reason,
          willRetry: false,
        });
      return job;
    });
    if (failed) this.logger.warn({ trainingJobId, reason }, 'abandoned retrain marked failed');
    return failed !== undefined;
  }

  /**
   * A shutdown (SIGTERM, a rolling deploy) cut the attempt short: that is not the job's failure.
   * The job waits again with the attempt refunded, under a fresh queue job (sent in the same
   * transaction), and the interrupted queue job completes; otherwise four rolling restarts during
   * one long retrain would spend its retries and fail it for good. False when it cannot be done
   * (no queue here, or the queue refused a second job), and the attempt counts as usual.
   */
  private async requeueAfterShutdown(job: TrainingJobRecord): Promise<boolean> {
    const message = 'shutting down: queued again (an interrupted attempt does not count)';
    return this.requeueRefunded(job, message, 0);
  }

  /**
   * D12: the job waited RETRAIN_WAIT_SECONDS for MIN_TRAIN_ROWS rows of the new regime and they
   * are not in yet. It waits again, queued with the attempt refunded and `message` as its status
   * (started RESCHEDULE_SECONDS later, so a wait of 0 does not spin), instead of training on a
   * window that mixes the rows from before the change.
   */
  private async reschedule(job: TrainingJobRecord, message: string): Promise<boolean> {
    const done = await this.requeueRefunded(job, message, RESCHEDULE_SECONDS);
    if (done) this.logger.info({ trainingJobId: job.id, reason: message }, 'retrain rescheduled');
    return done;
  }

  private async requeueRefunded(
    job: TrainingJobRecord,
    message: string,
    startAfter: number,
  ): Promise<boolean> {
    const queues = this.queues;
    if (!queues) return false;
    return this.sql
      .begin(async (tx) => {
        const requeued = await requeueTrainingJob(tx, job.id, message, true);
        if (!requeued) return false;
        const queueJobId = await queues.send(
          retrainQueue,
          { trainingJobId: job.id, pipelineId: job.pipelineId },
          { ...inTransaction(tx), ...(startAfter > 0 ? { startAfter } : {}) },
        );
        if (!queueJobId) throw new Error('the retrain queue refused a second job');
        await setQueueJobId(tx, job.id, queueJobId);
        await appendEvent(tx, this.pipeline.id, 'training.failed', {
          trainingJobId: job.id,
          error: message,
          willRetry: true,
        });
        return true;
      })
      .catch((error) => {
        this.logger.warn({ err: error, trainingJobId: job.id }, 'could not queue a retrain again');
        return false;
      });
  }

  async run(trainingJobId: number, options: { signal?: AbortSignal } = {}): Promise<RetrainResult> {
    const existing = await getTrainingJob(this.sql, this.pipeline.id, trainingJobId);
    if (!existing) throw new TrainingDataError(`training job ${trainingJobId} does not exist`);
    if (existing.status === 'succeeded') return { job: existing, version: null, promoted: false };

    const nEstimators = this.config.model.nEstimators;
    const job = await this.sql.begin(async (tx) => {
      const started = await startTrainingJob(tx, trainingJobId, nEstimators);
      if (started) {
        await appendEvent(tx, this.pipeline.id, 'training.started', {
          trainingJobId,
          attempt: started.attempts,
          treesTotal: nEstimators,
          reason: started.reason,
        });
      }
      return started;
    });
    if (!job) return { job: existing, version: null, promoted: false };

    try {
      return await this.train(job, options.signal);
    } catch (error) {
      if (error instanceof ServedAgain) return error.result;
      if (error instanceof SupersededError) {
        this.logger.info({ trainingJobId: job.id }, 'training run stopped: superseded by a concept change');
        const now = await getTrainingJob(this.sql, this.pipeline.id, job.id);
        return { job: now ?? job, version: null, promoted: false };
      }
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof WaitingForRowsError && (await this.reschedule(job, message))) {
        return {
          job: (await getTrainingJob(this.sql, this.pipeline.id, job.id))!,
          version: null,
          promoted: false,
        };
      }
      const final = error instanceof TrainingDataError;
      const shutdown = options.signal?.aborted && options.signal.reason instanceof ShutdownError;
      if (!final && shutdown && (await this.requeueAfterShutdown(job))) {
        return {
          job: (await getTrainingJob(this.sql, this.pipeline.id, job.id))!,
          version: null,
          promoted: false,
        };
      }
      // pg-boss runs a job 1 + RETRAIN_RETRY_LIMIT times. A job that will run again stays open
      // (queued, with its last error): otherwise the bootstrap or the next drift would queue a
      // second retrain beside it, and two versions would come of one reason.
      const willRetry = !final && job.attempts <= this.config.retrain.retryLimit;
      await this.sql.begin(async (tx) => {
        if (willRetry) await requeueTrainingJob(tx, job.id, message);
        else
          await finishTrainingJob(tx, job.id, {
            status: 'failed',
            outcome: final ? error.outcome : 'error',
            resultVersion: null,
            metrics: null,
            error: message,
          });
        await appendEvent(tx, this.pipeline.id, 'training.failed', {
          trainingJobId: job.id,
          error: message,
          willRetry,
        });
      });
      // Data problems are final; anything else is rethrown so the queue retries it.
      if (final)
        return {
          job: (await getTrainingJob(this.sql, this.pipeline.id, job.id))!,
          version: null,
          promoted: false,
        };
      throw error;
    }
  }

  /**
   * Why a retrain may not promote now although its challenger won, or null: MAX_PROMOTIONS_PER_HOUR
   * automatic promotions in the last hour (a stream that poisons its own labels would otherwise
   * replace the model as fast as it can trigger retrains). Never applies to the first model.
   */
  /**
   * A growth run whose window reaches back before a concept change that a drift check located
   * after the run was queued learned the old regime (alone, or mixed with a few rows of the new
   * one): it is not promoted (its hold-out is of the old regime too), and the drift's retrain,
   * which waited behind it, goes next. (Measured by when the run read its rows, a run that started
   * a moment after the change but before any check saw it was promoted with a 100 % live error.)
   */
  private async superseded(tx: Queryable, job: TrainingJobRecord): Promise<string | null> {
    const change = await changeLocatedAfter(tx, this.pipeline.id, {
      queuedAt: job.queuedAt,
      windowStart: job.changeAt,
    });
    if (!change) return null;
    const from = job.changeAt ? `from ${job.changeAt.toISOString()}` : 'of all rows';
    return `not promoted: superseded by the concept change located at ${change.toISOString()}, inside this run's window (${from}); the drift's retrain learns the new regime`;
  }

  private async promotionCap(tx: Queryable): Promise<string | null> {
    const cap = this.config.retrain.maxPromotionsPerHour;
    const recent = await automaticPromotionsInLastHour(tx, this.pipeline.id);
    if (recent < cap) return null;
    this.logger.warn({ recent, cap }, 'automatic promotion withheld: MAX_PROMOTIONS_PER_HOUR reached');
    return `not promoted: ${recent} automatic promotion${recent === 1 ? '' : 's'} in the last hour reached MAX_PROMOTIONS_PER_HOUR (${cap}); an admin can promote it`;
  }

  /**
   * Polls until MIN_TRAIN_ROWS labelled rows of the new regime arrived, or the wait runs out. A
   * drift check may move the job's start to a later located change meanwhile (retargeting): the
   * start is read again at each poll, and the rows are counted from the newest one.
   */
  private async waitForRowsSince(
    job: TrainingJobRecord,
    start: RegimeStart,
    signal?: AbortSignal,
  ): Promise<{ available: number; regime: RegimeStart; yielded: boolean; shifted: boolean }> {
    const needed = this.config.retrain.minTrainRows;
    const deadline = Date.now() + this.config.retrain.waitSeconds * 1000;
    let nextYieldCheck = Date.now() + YIELD_CHECK_MS;
    let regime = start;
    let available = await countLabelledSince(this.sql, this.pipeline.id, regime);
    let announced = -1;
    // A drift retrain first asks whether an archived version fits the new regime (a recurring
    // concept): at 50 labelled rows since the change, then at each doubling while it waits.
    let nextArchivedCheck = DEFAULT_POLICY_CONFIG.archivedCheckRows;
    const archivedCheck = async () => {
      if (job.driftCheckId === null || available < nextArchivedCheck) return;
      nextArchivedCheck = 2 * available;
      const served = await this.serveArchived(job, regime);
      if (served) throw new ServedAgain(served);
    };
    while (available < needed && Date.now() < deadline && !signal?.aborted) {
      await archivedCheck();
      if (available !== announced) {
        announced = available;
        await appendEvent(this.sql, this.pipeline.id, 'training.progress', {
          trainingJobId: job.id,
          treesDone: 0,
          treesTotal: this.config.model.nEstimators,
          waitingForRows: needed - available,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      const current = await getTrainingJob(this.sql, this.pipeline.id, job.id);
      if (current?.changeAt && current.changeAt.getTime() > regime.at.getTime())
        regime = { at: current.changeAt, rowId: current.changeRowId };
      available = await countLabelledSince(this.sql, this.pipeline.id, regime);
      // A later check confirmed a covariate shift: the rows before the change kept their labels,
      // so the retrain reaches back now instead of waiting while the failing version serves.
      if (available < needed && (await this.underShift(job)))
        return { available, regime, yielded: false, shifted: true };
      if (available < needed && Date.now() >= nextYieldCheck) {
        nextYieldCheck = Date.now() + YIELD_CHECK_MS;
        if (await this.otherRetrainDue()) return { available, regime, yielded: true, shifted: false };
      }
    }
    if (available >= needed) await archivedCheck();
    return { available, regime, yielded: false, shifted: false };
  }

  /** Whether another pipeline's retrain waits in the queue, due now (false without a queue). */
  private async otherRetrainDue(): Promise<boolean> {
    if (!this.queues) return false;
    return this.queues.hasDueJobBesides(retrainQueue, this.pipeline.id).catch(() => false);
  }

  /**
   * Serves an archived version again when it fits the rows since the change better than the
   * serving one (chooseArchived), ending the job with outcome `repromoted` and no training: under
   * the retrain-request and production locks, only while the job still runs, the champion it was
   * compared with still serves, and MAX_PROMOTIONS_PER_HOUR allows it.
   */
  private async serveArchived(job: TrainingJobRecord, since: RegimeStart): Promise<RetrainResult | null> {
    const choice = await chooseArchived(this.sql, this.pipeline.id, since, this.config);
    if (!choice) return null;
    return this.sql.begin(async (tx) => {
      await lockRetrainRequests(tx, this.pipeline.id);
      await lockProduction(tx, this.pipeline.id);
      const current = await getTrainingJob(tx, this.pipeline.id, job.id);
      const serving = await getProductionVersion(tx, this.pipeline.id);
      if (current?.status !== 'running' || serving?.version !== choice.champion) return null;
      if (await this.promotionCap(tx)) return null;
      const { previous } = await setProduction(
        tx,
        this.pipeline.id,
        choice.version,
        'promoted',
        repromotionReason(choice),
      );
      const finished = await finishTrainingJob(tx, job.id, {
        status: 'succeeded',
        outcome: 'repromoted',
        resultVersion: choice.version,
        metrics: { repromoted: choice.decision.explanation.evidence },
        error: null,
      });
      await announceRepromotion(tx, this.pipeline.id, job.id, choice, previous);
      this.logger.info({ trainingJobId: job.id, version: choice.version }, 'archived version served again');
      const version = (await getModelVersion(tx, this.pipeline.id, choice.version)) ?? null;
      return { job: finished ?? current, version, promoted: true };
    });
  }

  /** Stops the run of a job a drift check ended as superseded, when it runs in this process. */
  stopSuperseded(trainingJobId: number): void {
    this.running.get(trainingJobId)?.abort(new SupersededError(trainingJobId));
  }

  /**
   * One training run, in named phases: read the data (after a change, waiting for rows of the new
   * regime), choose the gate's rows (gateSplit), fit, score challenger and champion on them,
   * decide, build the drift reference, and commit version, job, promotion and events together.
   */
  private async train(job: TrainingJobRecord, outer?: AbortSignal): Promise<RetrainResult> {
    // One signal for the run: the caller's (a shutdown) passed on by hand, and a drift check's
    // (supersedeGrowth, noticed at a progress write).
    const stop = new AbortController();
    const passOn = () => stop.abort(outer?.reason);
    if (outer?.aborted) passOn();
    else outer?.addEventListener('abort', passOn, { once: true });
    this.running.set(job.id, stop);
    try {
      return await this.trainRun(job, stop.signal);
    } catch (error) {
      // Stopped because a drift check ended the job: say so, whatever the abort looked like inside.
      if (stop.signal.reason instanceof SupersededError) throw stop.signal.reason;
      throw error;
    } finally {
      outer?.removeEventListener('abort', passOn);
      this.running.delete(job.id);
    }
  }

  private async trainRun(job: TrainingJobRecord, signal: AbortSignal): Promise<RetrainResult> {
    const data = await this.readTrainingData(job, signal);
    // The champion as training starts: the gate's rows are those it never trained on. (One
    // promoted meanwhile is scored on them anyway: at worst on rows it learned, which favours it.)
    const champion = (await getProductionVersion(this.sql, this.pipeline.id)) ?? null;
    const { split, holdout } = await this.gateSplit(data, champion);
    if (new Set(split.trainY).size < 2)
      throw new TrainingDataError(
        `the ${split.trainY.length} training rows (the window without its ${split.testY.length} held-out rows${holdout === 'interleaved' ? `, one in ${interleaveStep(this.config.retrain.holdoutFraction)}` : ', the newest'}) all have label ${split.trainY[0]}: training needs at least two classes among them`,
      );
    const modelSplit = capSplit(split, data, this.config.data.maxCategories);
    const leftOut = await this.leaveOut(job, data, modelSplit, champion, holdout);
    // The rows as the forest reads them: left-out columns constant (once, for the fit and the forward check).
    const fitSplit = leftOut
      ? { ...modelSplit, trainX: withoutFeatures(modelSplit.trainX, leftOut.features) }
      : modelSplit;
    const { forest, trainingMs, search, searchSkipped, learned } = await this.fit(
      job,
      fitSplit,
      data,
      signal,
    );
    const honest = await honestProba(forest, modelSplit.trainX, learned, data.nClasses, signal);
    const scores = await this.score(forest, { split, modelSplit, honest }, data);
    const forward = await this.forward(forest, fitSplit, learned, honest, data, signal);
    // Stopped while it scored (superseded, shutting down): the reference (predictions on every
    // training row) and the commit are not worth waiting for.
    signal.throwIfAborted();
    const flagged = job.driftCheckId !== null;
    const evidence = flagged && !split.championLearnedAll ? await this.gateEvidence(job, data) : null;
    const decision = split.championLearnedAll
      ? learnedAllDecision(scores.champion)
      : decidePromotion(scores, split, flagged, this.config.retrain.promotionTolerance, evidence);
    const reference = buildReference(
      forest,
      { split, modelSplit, honest },
      data.nClasses,
      this.config,
      job.id,
    );
    signal.throwIfAborted();
    const result = await this.commit(job, {
      data,
      split: modelSplit,
      forest,
      trainingMs,
      scores,
      decision,
      reference,
      search,
      searchSkipped,
      holdout,
      leftOut,
      forward,
    });
    if (!result)
      return {
        job: (await getTrainingJob(this.sql, this.pipeline.id, job.id))!,
        version: null,
        promoted: false,
      };
    this.logger.info(
      {
        trainingJobId: job.id,
        version: result.version.version,
        promoted: result.promoted,
        accuracy: scores.metrics.accuracy,
        trainingMs,
      },
      'retrain finished',
    );
    return result;
  }

  /**
   * The forward check of what the version promises (forward-promise.ts): a smaller forest of the
   * older learned rows scores the newest, beside the fitted forest's out-of-bag predictions of
   * them. A check that cannot run (rows no forest takes) leaves the out-of-bag promise.
   */
  private async forward(
    forest: Forest,
    split: GateSplit,
    learned: LearnedRows,
    honest: Float64Array,
    data: TrainingData,
    signal: AbortSignal,
  ): Promise<ForwardEvidence | null> {
    if (!this.config.retrain.forwardPromise) return null;
    const K = data.nClasses;
    const outOfBag: number[] = [];
    for (let r = learned.start; r < learned.end; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (honest[r * K + k]! > honest[r * K + best]!) best = k;
      outOfBag.push(best);
    }
    const { threads } = this.config.model;
    const evidence = await forwardEvidence({
      features: split.trainX.slice(learned.start, learned.end),
      labels: split.trainY.slice(learned.start, learned.end),
      outOfBag,
      nClasses: K,
      featureTypes: data.featureTypes,
      forest: {
        ...forestOptions(forest.params),
        ...(threads ? { threads } : {}),
      },
      signal,
    }).catch((error: unknown) => {
      if (signal.aborted) throw error;
      this.logger.warn({ err: error }, 'forward check of the promise: not run');
      return null;
    });
    if (evidence) this.logger.info({ forward: evidence.used }, describeForward(evidence));
    return evidence;
  }

  /**
   * How the window splits into rows to learn and rows to judge the challenger on (gate-rows.ts):
   * out of bag on the rows the champion never trained on (PROMOTION_GATE=out-of-bag, when at
   * least as many follow its window as the hold-out would hold), else the newest rows held out —
   * or every k-th row, when the newest alone hold the window's second class (a stream whose second
   * class arrives last; not when a search needs the window's order to find a located change).
   */
  private async gateSplit(
    data: TrainingData,
    champion: ModelVersionRecord | null,
  ): Promise<{ split: GateSplit; holdout: TrainingRun['holdout'] }> {
    const newest = holdOutNewest(data, this.config.retrain, data.sinceStart);
    if (this.config.retrain.gate === 'out-of-bag') {
      const through = champion ? await this.trainedThrough(champion) : null;
      const gate = outOfBagFrom(data.servedAt, through, newest.testY.length);
      if (gate)
        return {
          split: { ...outOfBagSplit(data, gate), newestRows: newest.testY.length },
          holdout: 'out-of-bag',
        };
    }
    const interleaved = new Set(newest.trainY).size < 2 && data.sinceStart === null;
    if (!interleaved) return { split: newest, holdout: 'newest' };
    return { split: holdOutEvery(data, this.config.retrain.holdoutFraction), holdout: 'interleaved' };
  }

  /**
   * Features a drift retrain after a located change leaves out (features-left-out.ts): measured
   * against the rows before the change, for the fixed forest on the new regime; the regime's
   * growth keeps the serving version's. A covariate shift's window, which reaches back (the older
   * rows keep their labels), asks the same of its rows after the change, and keeps the serving
   * version's when they are too few to say.
   */
  private async leaveOut(
    job: TrainingJobRecord,
    data: TrainingData,
    split: ModelSplit,
    champion: ModelVersionRecord | null,
    holdout: TrainingRun['holdout'],
  ): Promise<LeftOut | null> {
    if (!this.config.retrain.featureTransfer || !data.since) return null;
    if (job.reason.startsWith(REGIME_GROWTH)) return inheritedLeftOut(champion, data.since);
    const inherited = data.reachedBack ? inheritedLeftOut(champion, null) : null;
    if (job.driftCheckId === null || data.searching) return inherited;
    const from = newRegimeFrom(data, holdout);
    if (from === null || split.trainX.length - from < MIN_TRANSFER_ROWS) return inherited;
    const window = { features: split.trainX.slice(from), labels: split.trainY.slice(from) };
    const past = await readLabelledBefore(
      this.sql,
      this.pipeline.id,
      window.labels.length,
      data.since,
      this.config.data.maxClasses,
    );
    // As in the benchmark: a past of fewer than MIN_TRAIN_ROWS / 2 rows says too little.
    if (past.labels.length < this.config.retrain.minTrainRows / 2) return inherited;
    const { model } = this.config;
    // A check, not the training: when it cannot run (rows no forest takes), train on every feature.
    const leftOut = await featuresToLeaveOut({
      past: {
        features: applyCategoryCaps(padTo(past.features, data.nFeatures), split.caps),
        labels: past.labels,
      },
      window,
      nClasses: data.nClasses,
      featureTypes: data.featureTypes,
      forest: { ...model, ...(model.threads ? { threads: model.threads } : {}) },
    }).catch((error: unknown) => {
      this.logger.warn({ trainingJobId: job.id, err: error }, 'features left out: not checked');
      return null;
    });
    if (!leftOut) return null;
    const named = { ...leftOut, names: leftOut.features.map((j) => data.columnNames[j] ?? `feature ${j}`) };
    this.logger.info({ trainingJobId: job.id, leftOut: named.names }, describeLeftOut(named));
    return named;
  }

  /**
   * The lineage's evidence for the gate of a drift retrain (gate-evidence.ts): its error before
   * the located change, and its outcomes over the window (at most TRAIN_WINDOW of them, and
   * `lineageLevelWindow` more before the window).
   */
  private async gateEvidence(job: TrainingJobRecord, data: TrainingData): Promise<GateEvidence> {
    const { lineageLevelWindow } = DEFAULT_POLICY_CONFIG;
    const limit = this.config.retrain.trainWindow + lineageLevelWindow;
    const stream = await readLineageErrorStream(this.sql, this.pipeline.id, limit);
    // The change the window was read from (a waiting job may have been moved to a later one).
    const change = data.since ?? (job.changeAt ? { at: job.changeAt, rowId: job.changeRowId } : null);
    return gateEvidenceFrom(stream, change, data, lineageLevelWindow);
  }

  /**
   * When the newest row of a version's training window was served: recorded with the version
   * (`params.windowEndAt`), else the ingest time of its last stored row, else (that row dropped)
   * when the version was registered.
   */
  private async trainedThrough(version: ModelVersionRecord): Promise<Date> {
    const recorded = version.params.windowEndAt;
    if (typeof recorded === 'string') return new Date(recorded);
    const lastRow =
      version.rowWindowEnd === null
        ? null
        : await rowCreatedAt(this.sql, this.pipeline.id, version.rowWindowEnd);
    return lastRow ?? version.createdAt;
  }

  /**
   * The labelled window to learn from. After a detected change, the new concept only: detection
   * comes a few hundred rows after the change, so wait (bounded by RETRAIN_WAIT_SECONDS) for
   * MIN_TRAIN_ROWS labelled rows of it; training on mostly old-concept rows would give a model
   * that is wrong in the same way.
   */
  private async readTrainingData(job: TrainingJobRecord, signal?: AbortSignal): Promise<TrainingData> {
    const { trainWindow, minTrainRows } = this.config.retrain;
    const start: RegimeStart | null = job.changeAt ? { at: job.changeAt, rowId: job.changeRowId } : null;
    let since: RegimeStart | null = null;
    let sinceRows = 0;
    if (start && (await this.underShift(job))) return this.readReachBack(start);
    if (start) {
      const waited = await this.waitForRowsSince(job, start, signal);
      if (waited.shifted) return this.readReachBack(waited.regime);
      sinceRows = waited.available;
      // D12: never widened to a mixed window with rows from before the change; rescheduled (run).
      signal?.throwIfAborted();
      if (sinceRows < minTrainRows)
        throw new WaitingForRowsError(waitingMessage(waited, minTrainRows, this.config.retrain.waitSeconds));
      since = waited.regime;
    }
    // The search reads the whole window and lets its validation choose between it and the rows
    // since the change (the hold-out keeps rows of the new regime for the candidates: sinceCap);
    // the fixed forest trains on the new regime only. A drift retrain after a located change is a
    // fast first model: the fixed forest on the new regime (well under a second, where a search
    // takes AUTOML_BUDGET_SECONDS while the failing champion serves); the growth retrains that
    // follow as the regime's rows double search (retrain-requests: learnedFrom, grownEnough).
    const searching = this.config.retrain.automlBudgetSeconds > 0 && !(since && job.driftCheckId !== null);
    const data = await readLabelledWindow(
      this.sql,
      this.pipeline.id,
      trainWindow,
      searching ? null : since,
      this.config.data.maxClasses,
    );
    const sinceStart = since && searching ? Math.max(0, data.labels.length - sinceRows) : null;
    return this.describeWindow(data, { since, sinceStart, searching });
  }

  /**
   * Whether the drift check that queued this retrain, or a later check of the version it found
   * failing, took the change for a covariate shift (the features' second flagged check may come
   * while the job waits for rows after the change).
   */
  private async underShift(job: TrainingJobRecord): Promise<boolean> {
    if (job.driftCheckId === null || job.reason.startsWith(REQUEUED)) return false;
    return shiftSeenSince(this.sql, this.pipeline.id, job.driftCheckId);
  }

  /**
   * The window of a retrain after a covariate shift (the features moved in two checks in a row):
   * the rows served before the change keep their labels, so it learns the newest
   * max(MIN_TRAIN_ROWS, WINDOW_SIZE, rows since the change) labelled rows (at most TRAIN_WINDOW)
   * at once, with the fixed forest, instead of waiting for MIN_TRAIN_ROWS rows after the change
   * while the failing version serves. The version still records the change as its regime's start.
   */
  private async readReachBack(start: RegimeStart): Promise<TrainingData> {
    const { trainWindow, minTrainRows } = this.config.retrain;
    const sinceRows = await countLabelledSince(this.sql, this.pipeline.id, start);
    const limit = Math.min(trainWindow, Math.max(minTrainRows, this.config.drift.windowSize, sinceRows));
    const data = await readLabelledWindow(
      this.sql,
      this.pipeline.id,
      limit,
      null,
      this.config.data.maxClasses,
    );
    const described = await this.describeWindow(data, {
      since: start,
      sinceStart: null,
      searching: false,
      reachedBack: true,
    });
    return { ...described, changeIndex: Math.max(0, data.labels.length - sinceRows) };
  }

  /** Refuses a window too small or of one class; the width, classes and column kinds of the rest. */
  private async describeWindow(
    data: Awaited<ReturnType<typeof readLabelledWindow>>,
    how: Pick<TrainingData, 'since' | 'sinceStart' | 'searching' | 'reachedBack'>,
  ): Promise<TrainingData> {
    const { minTrainRows } = this.config.retrain;
    const n = data.labels.length;
    if (n < minTrainRows) {
      throw new TrainingDataError(
        `only ${n} labelled rows are stored; training needs MIN_TRAIN_ROWS = ${minTrainRows}: ingest more, or ${lowerMinTrainRowsHint(this.pipeline, minTrainRows)}`,
      );
    }
    // A loop, not Math.max(...labels): spreading 125k+ arguments overflows the stack.
    let nClasses = 0;
    for (const label of data.labels) if (label >= nClasses) nClasses = label + 1;
    if (new Set(data.labels).size < 2) {
      throw new TrainingDataError(
        `the ${n} newest labelled rows all have label ${data.labels[0]}: training needs at least two classes`,
      );
    }
    // Rows stored before a column was added to the schema are shorter: that column is missing there.
    const { width } = padRows(data.features);
    const schema = (await readPipeline(this.sql, this.pipeline.name))?.schema ?? null;
    const featureTypes = Array.from({ length: width }, (_, j) =>
      schema?.columns[j]?.type === 'categorical' ? ('categorical' as const) : ('numeric' as const),
    );
    const columnNames = schema?.columns.map((c) => c.name) ?? [];
    return { ...data, ...how, nClasses, nFeatures: width, featureTypes, columnNames };
  }

  /**
   * The challenger: the winner of a search over windows × hyperparameters (AUTOML_BUDGET_SECONDS),
   * or the fixed forest; refuses a model too large to serve.
   */
  private async fit(job: TrainingJobRecord, split: GateSplit, data: TrainingData, signal?: AbortSignal) {
    const started = performance.now();
    // Below SEARCH_MIN_ROWS a search has no room for windows and a validation: the fixed forest.
    const grown =
      data.searching && split.trainX.length >= SEARCH_MIN_ROWS
        ? await this.searchOrFixed(job, split, data, signal)
        : {
            forest: await this.fitFixed(job, split, data, signal),
            search: null,
            searchSkipped: data.searching
              ? `${split.trainX.length} training rows, fewer than the ${SEARCH_MIN_ROWS} a search needs`
              : null,
            learned: { start: 0, end: split.trainX.length },
          };
    const trainingMs = performance.now() - started;
    const { splits, leaves } = grown.forest.nodeCounts;
    const tooLarge = modelSizeProblem(
      { nNodes: splits + leaves, nLeaves: leaves, nClasses: data.nClasses },
      this.config.model.maxModelBytes,
    );
    if (tooLarge) throw new ModelTooLargeError(`${tooLarge}: not registered`);
    return { ...grown, trainingMs };
  }

  /**
   * The search, or the fixed forest when the rows leave the search nothing to compare: its
   * windows train on the rows before its validation (the newest training rows), and when those
   * hold one class (a stream ordered so that the second class arrives last) no window is usable.
   * Retrying could only fail the same way while the serving model waits; the fixed forest learns
   * all the training rows, and the next growth searches again.
   */
  private async searchOrFixed(
    job: TrainingJobRecord,
    split: GateSplit,
    data: TrainingData,
    signal?: AbortSignal,
  ) {
    try {
      return { ...(await this.search(job, split, data, signal)), searchSkipped: null };
    } catch (error) {
      if (!(error instanceof ForestInputError)) throw error;
      this.logger.info(
        { trainingJobId: job.id, reason: error.message },
        'search skipped: the fixed forest instead',
      );
      const forest = await this.fitFixed(job, split, data, signal);
      const learned: LearnedRows = { start: 0, end: split.trainX.length };
      return { forest, search: null, searchSkipped: error.message, learned };
    }
  }

  /** The search (packages/ml searchForest) on the training rows, its progress as training progress. */
  private async search(job: TrainingJobRecord, split: GateSplit, data: TrainingData, signal?: AbortSignal) {
    const { model, retrain } = this.config;
    let progressWrites: Promise<unknown> = Promise.resolve();
    const result = await searchForest(
      {
        features: split.trainX,
        labels: split.trainY,
        nClasses: data.nClasses,
        featureTypes: data.featureTypes,
      },
      {
        windows: searchWindows(split.trainX.length, data.sinceStart, Math.min(retrain.minTrainRows, 200)),
        budgetSeconds: retrain.automlBudgetSeconds,
        seed: model.seed,
        finalTrees: model.nEstimators,
        schedule: { topTrees: model.nEstimators, minTrees: Math.min(30, model.nEstimators) },
        ...(model.threads ? { threads: model.threads } : {}),
        nice: model.searchNice,
        ...(signal ? { signal } : {}),
        onProgress: ({ done, total, bestSoFar }) => {
          progressWrites = progressWrites.then(() =>
            this.recordProgress(
              job.id,
              done,
              total,
              bestSoFar && { score: bestSoFar.score, window: bestSoFar.window },
            ),
          );
        },
      },
    );
    await progressWrites;
    const { start, end } = result.winner.refit;
    return { forest: result.winner.forest, search: storedSearch(result), learned: { start, end } };
  }

  /** Grows the fixed forest, recording progress (in order) as trees finish. */
  private async fitFixed(job: TrainingJobRecord, split: GateSplit, data: TrainingData, signal?: AbortSignal) {
    const { nClasses } = data;
    let lastReported = 0;
    // Progress writes run one after another: event ids are assigned at insert, so concurrent
    // writes could commit "7 trees" after "6 trees" the wrong way round and subscribers (which
    // read in id order) would see progress go backwards.
    let progressWrites: Promise<unknown> = Promise.resolve();
    const step = Math.max(1, Math.floor(this.config.model.nEstimators / PROGRESS_STEPS));
    const forest = await trainForest(split.trainX, split.trainY, {
      nEstimators: this.config.model.nEstimators,
      maxDepth: this.config.model.maxDepth,
      minSamplesLeaf: this.config.model.minSamplesLeaf,
      maxFeatures: this.config.model.maxFeatures,
      seed: this.config.model.seed,
      nClasses,
      featureTypes: data.featureTypes,
      ...(this.config.model.threads ? { threads: this.config.model.threads } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (done, total) => {
        if (done - lastReported < step && done !== total) return;
        lastReported = done;
        progressWrites = progressWrites.then(() => this.recordProgress(job.id, done, total));
      },
    });
    await progressWrites;
    return forest;
  }

  /**
   * Progress of a run: trees of the fixed forest, or the search's fits (candidates scored, then
   * the refit) with the best candidate so far.
   */
  private recordProgress(
    trainingJobId: number,
    done: number,
    total: number,
    best: { score: number; window: string } | null = null,
  ) {
    return this.sql
      .begin(async (tx) => {
        if (!(await updateTrainingProgress(tx, trainingJobId, done, total))) {
          this.stopSuperseded(trainingJobId);
          return;
        }
        await appendEvent(tx, this.pipeline.id, 'training.progress', {
          trainingJobId,
          treesDone: done,
          treesTotal: total,
          ...(this.config.retrain.automlBudgetSeconds > 0
            ? {
                candidatesDone: done,
                candidatesTotal: total,
                bestScore: best?.score ?? null,
                bestWindow: best?.window ?? null,
              }
            : {}),
        });
      })
      .catch((error) => this.logger.warn({ err: error }, 'could not record training progress'));
  }

  /** The challenger's and the serving champion's metrics on the same gate rows (the challenger's out of bag, or held out). */
  private async score(forest: Forest, gate: GateRows, data: TrainingData): Promise<Scores> {
    const { split, modelSplit, honest } = gate;
    const from = split.outOfBagFrom;
    const challenger =
      from === null
        ? scoreProba(forest.predictProba(modelSplit.testX), split.testY, data.nClasses)
        : scoreProba(probaRows(honest, data.nClasses, from), split.testY, data.nClasses);
    // The champion serving now (one promoted while this trained is the one to beat).
    const champion = (await getProductionVersion(this.sql, this.pipeline.id)) ?? null;
    let scored: ReturnType<typeof scoreProba> | null = null;
    // A champion trained before columns were added reads the gate's rows without them; one that
    // learned every row of the window has none to be judged on (gate-rows.ts).
    if (champion && champion.nFeatures <= data.nFeatures && !split.championLearnedAll) {
      const bytes = await getArtifact(this.sql, this.pipeline.id, champion.version);
      const rows = modelRows(split.testX, champion.nFeatures, capsOf(champion.params));
      if (bytes) scored = scoreProba(loadForest(bytes).predictProba(rows), split.testY, data.nClasses);
    }
    return {
      metrics: challenger.metrics,
      predicted: challenger.predicted,
      champion,
      championMetrics: scored?.metrics ?? null,
      championPredicted: scored?.predicted ?? null,
    };
  }

  /** A drift retrain followed fewer than `maxRejections` − 1 drift retrains in a row that replaced nothing. */
  private async beforeAcceptance(tx: Queryable, job: TrainingJobRecord): Promise<boolean> {
    if (job.driftCheckId === null) return false;
    const failed = await driftRetrainBackoff(tx, this.pipeline.id);
    return (failed?.failures ?? 0) < DEFAULT_POLICY_CONFIG.maxRejections - 1;
  }

  /**
   * A flagged champion's retrain lost on a window where the champion's errors rose again (or both
   * models erred far above the lineage and a rise was found): the drift went on inside the window,
   * so the retrain is queued again from that rise (it waits for MIN_TRAIN_ROWS rows after it,
   * never reaching back), instead of accepting the drift; also when the challenger was promoted
   * on the newest gate rows only (it serves until then). Once per chain: a retrain queued so
   * that loses again is rejected as usual.
   */
  private async queueFromRise(tx: Queryable, job: TrainingJobRecord, from: RegimeStart): Promise<void> {
    if (!this.queues) return; // commit asks only with a queue (requeue is null without one)
    const requests = new RetrainRequests(this.sql, this.queues, this.config, this.pipeline);
    const again = await requests.queue(tx, {
      reason: `${REQUEUED} job ${job.id}'s window (${job.reason})`,
      driftCheckId: job.driftCheckId,
      changeAt: from.at,
      changeRowId: from.rowId,
    });
    this.logger.info(
      { trainingJobId: job.id, requeued: again.id, from: from.at },
      'retrain queued again from a rise',
    );
  }

  /** Registers the version, finishes the job, promotes or rejects, and announces — one transaction. */
  private commit(
    job: TrainingJobRecord,
    run: TrainingRun,
  ): Promise<(RetrainResult & { version: ModelVersionRecord }) | null> {
    const { scores } = run;
    // The rows the forest learned: a search's winner was refit on its window (and the validation
    // rows), which may be shorter than the training rows read (kept as `params.read`).
    const learned = run.search?.refitRows ?? run.split.trainX.length;
    return this.sql.begin(async (tx) => {
      // The retrain-request lock first (a drift check holds it while it supersedes a growth run:
      // without it the check's end of this job could land between the read below and the finish,
      // and be overwritten by a promotion), then the production lock: promotions elsewhere take
      // it before touching model_versions, and insertModelVersion locks that table, so the other
      // order could deadlock.
      await lockRetrainRequests(tx, this.pipeline.id);
      await lockProduction(tx, this.pipeline.id);
      // A retried delivery of a job that finished meanwhile must not register a second version.
      const current = await getTrainingJob(tx, this.pipeline.id, job.id);
      if (current?.status === 'succeeded' || current?.outcome === 'superseded') return null;
      const { promote, rejectedReason, capped, withheld } = await this.withheld(tx, current ?? job, run);
      const version = await insertModelVersion(tx, this.pipeline.id, {
        ...versionRecord(job, run, learned, this.config.retrain, capped),
        status: 'candidate',
        rejectedReason,
      });
      // The third drift retrain in a row that replaces nothing accepts the drift whatever its
      // gate said (spec P7: acceptance after 3 rejections), so a harder regime stops retraining.
      const refusing = !promote && !withheld && (await this.beforeAcceptance(tx, job));
      const again = (promote || refusing) && !job.reason.startsWith(REQUEUED);
      const requeue = again && this.queues ? run.decision.requeue : null;
      const notAccepted = refusing ? notAcceptedBecause(run.decision, requeue) : null;
      const finished = await finishTrainingJob(tx, job.id, {
        status: 'succeeded',
        outcome: promote ? 'promoted' : 'rejected',
        resultVersion: version.version,
        metrics: jobMetrics(run, learned, notAccepted),
        error: null,
      });
      let previous: number | null = null;
      if (promote)
        previous = (await setProduction(tx, this.pipeline.id, version.version, 'promoted', job.reason))
          .previous;
      else await markRejected(tx, this.pipeline.id, version.version, rejectedReason!);
      await announceTraining(tx, job, {
        version: version.version,
        promote,
        rejectedReason,
        previous,
        scores,
        trainingMs: run.trainingMs,
      });
      if (requeue) await this.queueFromRise(tx, job, requeue);
      return { job: finished!, version, promoted: promote };
    });
  }

  /**
   * The gate's decision, unless a winner is withheld: a growth run a drift check superseded while
   * it trained, or a promotion over MAX_PROMOTIONS_PER_HOUR (`capped`: the drift it answered is not
   * accepted).
   */
  private async withheld(
    tx: Queryable,
    job: TrainingJobRecord,
    run: TrainingRun,
  ): Promise<{ promote: boolean; rejectedReason: string | null; capped: string | null; withheld: boolean }> {
    const { promote, rejectedReason } = run.decision;
    const decided = { promote, rejectedReason, capped: null, withheld: false };
    if (!promote || !run.scores.champion) return decided;
    const superseded = job.reason.startsWith('growth') ? await this.superseded(tx, job) : null;
    if (superseded) return { ...decided, promote: false, rejectedReason: superseded, withheld: true };
    const capped = await this.promotionCap(tx);
    if (capped) return { promote: false, rejectedReason: capped, capped, withheld: true };
    return decided;
  }
}

interface TrainingData extends Awaited<ReturnType<typeof readLabelledWindow>> {
  since: RegimeStart | null;
  /** With the search: the index of the first row of the new regime (null: no located change). */
  sinceStart: number | null;
  /** Whether this run searches (else the fixed forest, on the new regime's rows after a change). */
  searching: boolean;
  /** A covariate shift's window, reaching back before the change (readReachBack). */
  reachedBack?: boolean;
  /** Reaching back: the index of the window's first row served after the change. */
  changeIndex?: number;
  nClasses: number;
  nFeatures: number;
  /** Per feature column, how the forest splits it. */
  featureTypes: ('numeric' | 'categorical')[];
  /** The columns' names in the pipeline's schema (none without a schema). */
  columnNames: string[];
}

/** The split as the model reads it (high-cardinality categories capped), with the caps. */
interface ModelSplit extends GateSplit {
  caps: CategoryCap[];
}

/** What a run registers as its model version (its status and rejection are the caller's). */
function versionRecord(
  job: TrainingJobRecord,
  run: TrainingRun,
  learned: number,
  settings: Config['retrain'],
  capped: string | null,
) {
  const { data, split, forest, scores, reference } = run;
  return {
    params: {
      ...forest.params,
      nClasses: data.nClasses,
      trainWindow: settings.trainWindow,
      holdoutFraction: settings.holdoutFraction,
      since: data.since?.at.toISOString() ?? null,
      sinceRowId: data.since?.rowId ?? null,
      regime: regimeRun(job, data.since),
      // The rows since the change a search read (its hold-out included): what its regime's
      // growth is measured against, whichever window won (learnedFrom).
      ...(data.sinceStart === null ? {} : { sinceRead: data.labels.length - data.sinceStart }),
      gate: run.decision.gate,
      // A winner the promotion cap withheld: the drift it answered is not accepted.
      ...(capped ? { withheld: 'promotion cap' } : {}),
      ...(split.caps.length > 0 ? { categoryCaps: split.caps } : {}),
      ...(run.search ? { search: run.search } : {}),
      ...(run.searchSkipped ? { searchSkipped: run.searchSkipped } : {}),
      ...(run.search ? {} : { fixed: fixedReason(run, settings.automlBudgetSeconds) }),
      ...(run.holdout === 'newest' ? {} : { holdout: run.holdout }),
      ...(run.leftOut ? { leftOut: run.leftOut } : {}),
      ...(run.forward ? { forward: run.forward } : {}),
      windowEndAt: data.lastAt?.toISOString() ?? null,
      read: split.trainX.length,
    },
    metrics: scores.metrics,
    championMetrics: scores.championMetrics,
    featureImportances: Array.from(forest.featureImportances),
    nFeatures: data.nFeatures,
    nClasses: data.nClasses,
    trainRows: learned,
    holdoutRows: split.testX.length,
    rowWindowStart: data.firstRowId,
    rowWindowEnd: data.lastRowId,
    trainingMs: run.trainingMs,
    trainingJobId: job.id,
    reason: job.reason,
    artifact: forest.serialize(),
    referenceSample: new Uint8Array(reference.sample.buffer),
    referenceRows: reference.rows,
    referencePredictions: reference.predictions,
  };
}

/** The training job's metrics: both models' scores, and why a refused drift was not accepted. */
function jobMetrics(run: TrainingRun, learned: number, notAccepted: string | null) {
  return {
    challenger: run.scores.metrics,
    champion: run.scores.championMetrics,
    trainingMs: run.trainingMs,
    trainRows: learned,
    ...(notAccepted ? { notAccepted } : {}),
    ...(run.leftOut ? { featuresLeftOut: describeLeftOut(run.leftOut) } : {}),
  };
}

/**
 * The first learned row of the new regime: 0, or (reaching back) the first after the change, when
 * the learned rows are the window's oldest in order (not one in k of them); null: none to tell.
 */
function newRegimeFrom(data: TrainingData, holdout: TrainingRun['holdout']): number | null {
  if (!data.reachedBack) return 0;
  return holdout === 'interleaved' ? null : (data.changeIndex ?? null);
}

/**
 * The serving version's left-out features: for the growth of its regime (`since` its start), or
 * (`since` null) for a covariate shift's window, whose older rows kept their labels and those
 * features their drift.
 */
function inheritedLeftOut(serving: ModelVersionRecord | null, since: RegimeStart | null): LeftOut | null {
  const leftOut = serving?.params.leftOut as LeftOut | undefined;
  if (!leftOut || (since && serving!.params.since !== since.at.toISOString())) return null;
  return { ...leftOut, inherited: true };
}

/** Caps fitted on the training rows, applied to both sides of the split. */
function capSplit(split: GateSplit, data: TrainingData, maxCategories: number): ModelSplit {
  const columns = data.featureTypes.flatMap((t, j) => (t === 'categorical' ? [j] : []));
  const caps = fitCategoryCaps(split.trainX, columns, maxCategories);
  return {
    trainX: applyCategoryCaps(split.trainX, caps),
    trainY: split.trainY,
    testX: applyCategoryCaps(split.testX, caps),
    testY: split.testY,
    outOfBagFrom: split.outOfBagFrom,
    caps,
  };
}

/** The gate's rows as read and as the model reads them, with the challenger's honest probabilities of every training row. */
interface GateRows {
  split: GateSplit;
  modelSplit: ModelSplit;
  honest: Float64Array;
}

/** The gate's scores (promotion-decision.ts) with both models' metrics on the gate's rows. */
interface Scores extends GateScores {
  metrics: ModelMetrics;
  championMetrics: ModelMetrics | null;
}

interface TrainingRun {
  data: TrainingData;
  split: ModelSplit;
  forest: Forest;
  trainingMs: number;
  scores: Scores;
  decision: PromotionDecision;
  reference: { sample: Float64Array; rows: number; predictions: number[] };
  /** The search that chose the forest (null: the fixed forest). */
  search: StoredSearch | null;
  /** Why a search that was due could not run (the fixed forest trained instead), or null. */
  searchSkipped: string | null;
  /** The newest rows held out, every k-th row (the newest alone held the second class), or none: the out-of-bag gate. */
  holdout: 'newest' | 'interleaved' | 'out-of-bag';
  /** Features the forest was trained without (features-left-out.ts), or null. */
  leftOut: LeftOut | null;
  /** The forward check of its promise (forward-promise.ts), or null when the window is too small. */
  forward: ForwardEvidence | null;
}

/** The options that fit a forest like `params` (the forward check's smaller forest). */
function forestOptions(p: Forest['params']): TrainForestOptions & { nEstimators: number } {
  return {
    nEstimators: p.nEstimators,
    maxDepth: p.maxDepth,
    minSamplesLeaf: p.minSamplesLeaf,
    minSamplesSplit: p.minSamplesSplit,
    maxFeatures: p.maxFeatures,
    bootstrap: p.bootstrap,
    seed: p.seed,
    nBins: p.nBins,
    classWeight: p.classWeight ?? null,
  };
}

/** Holds out the newest slice: the model is judged on the data it will meet next. */
/** The k of an interleaved hold-out: one row in k (k = 1 / HOLDOUT_FRACTION, 2 to 100). */
const interleaveStep = (fraction: number) =>
  Math.max(2, Math.round(1 / Math.min(0.5, Math.max(fraction, 0.01))));

/** Every k-th row held out (interleaveStep), the rest in their order for training. */
function holdOutEvery(data: { features: number[][]; labels: number[] }, fraction: number): GateSplit {
  const k = interleaveStep(fraction);
  const split: GateSplit = { trainX: [], trainY: [], testX: [], testY: [], outOfBagFrom: null };
  data.labels.forEach((y, i) => {
    const test = i % k === k - 1;
    (test ? split.testX : split.trainX).push(data.features[i]!);
    (test ? split.testY : split.trainY).push(y);
  });
  return split;
}

function holdOutNewest(
  data: { features: number[][]; labels: number[] },
  settings: { holdoutFraction: number; minTrainRows: number },
  sinceStart: number | null = null,
): GateSplit {
  const n = data.labels.length;
  const holdout = Math.max(
    1,
    Math.min(
      n - settings.minTrainRows / 2,
      Math.round(n * settings.holdoutFraction),
      sinceCap(n, sinceStart),
    ),
  );
  return {
    trainX: data.features.slice(0, n - holdout),
    trainY: data.labels.slice(0, n - holdout),
    testX: data.features.slice(n - holdout),
    testY: data.labels.slice(n - holdout),
    outOfBagFrom: null,
  };
}

/**
 * After a located change the search reads older rows too; the hold-out then takes at most a third
 * of the rows since the change, so the search's validation (the newest training rows, half the
 * newest window at most) and the since-change window are rows of the new regime as well. Without
 * the cap a hold-out of HOLDOUT_FRACTION of TRAIN_WINDOW swallows the few hundred rows since the
 * change, and the search validates, and picks a window, on the old concept only.
 */
export function sinceCap(n: number, sinceStart: number | null): number {
  return sinceStart === null ? n : Math.max(1, Math.floor((n - sinceStart) / 3));
}

/**
 * The drift reference kept with a version: a seeded random sample of the training rows, and the
 * mix of predicted classes — honest predictions on every row of the window, out-of-bag on the
 * training rows the forest learned and plain on the rest (a hold-out, rows before a search winner's
 * window). (The hold-out alone is small after a change, a few
 * hundred rows, and a chi-square against it false-alarms; in-sample predictions would copy the
 * labels, which the live mix does not.)
 */
function buildReference(forest: Forest, gate: GateRows, nClasses: number, config: Config, jobId: number) {
  // The sample is in the schema's codes (what drift checks read); the forest reads capped ones.
  const { trainX } = gate.split;
  const nFeatures = trainX[0]!.length;
  const rows = Math.min(config.drift.referenceSampleSize, trainX.length);
  const order = Array.from(trainX.keys());
  // Seeded (mulberry32), so reference samples are reproducible.
  const random = mulberry32(config.model.seed + jobId);
  for (let i = 0; i < rows; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = new Float64Array(rows * nFeatures);
  for (let i = 0; i < rows; i++) sample.set(trainX[order[i]!]!, i * nFeatures);
  const predictions = new Array<number>(nClasses).fill(0);
  // Held-out rows are not training rows: predicted plainly (out of bag, the gate's rows are both).
  if (gate.split.outOfBagFrom === null)
    for (const p of forest.predict(gate.modelSplit.testX)) predictions[p]!++;
  for (let r = 0; r < trainX.length; r++) {
    let best = 0;
    for (let k = 1; k < nClasses; k++)
      if (gate.honest[r * nClasses + k]! > gate.honest[r * nClasses + best]!) best = k;
    predictions[best]!++;
  }
  return { sample, rows, predictions };
}

/** The run's events, last in its transaction (see appendEvent), cause before effect. */
async function announceTraining(
  tx: Queryable,
  job: TrainingJobRecord,
  r: {
    version: number;
    promote: boolean;
    rejectedReason: string | null;
    previous: number | null;
    scores: Scores;
    trainingMs: number;
  },
) {
  const accuracy = r.scores.metrics.accuracy;
  const championAccuracy = r.scores.championMetrics?.accuracy ?? null;
  await appendEvent(tx, job.pipelineId, 'training.finished', {
    trainingJobId: job.id,
    version: r.version,
    outcome: r.promote ? 'promoted' : 'rejected',
    accuracy,
    championAccuracy,
    trainingMs: r.trainingMs,
  });
  if (r.promote) {
    await appendEvent(tx, job.pipelineId, 'model.promoted', {
      version: r.version,
      previousVersion: r.previous,
      reason: job.reason,
      trainingJobId: job.id,
      accuracy,
      championAccuracy,
    });
  } else {
    await appendEvent(tx, job.pipelineId, 'model.rejected', {
      version: r.version,
      reason: r.rejectedReason,
      trainingJobId: job.id,
    });
  }
}
