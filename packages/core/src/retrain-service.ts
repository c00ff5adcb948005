import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { accuracy, type Forest, f1Macro, loadForest, logLoss, trainForest } from '@automl-stream/ml';
import type { Logger } from 'pino';
import { modelSizeProblem } from './model-size.ts';
import { inTransaction, type Queues, retrainQueue } from './queues.ts';
import { countLabelledSince, type RegimeStart, readLabelledWindow } from './storage/data-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  automaticPromotionsInLastHour,
  getArtifact,
  getProductionVersion,
  insertModelVersion,
  lockProduction,
  type ModelMetrics,
  type ModelVersionRecord,
  markRejected,
  setProduction,
} from './storage/models-storage.ts';
import {
  abandonTrainingJob,
  finishTrainingJob,
  getTrainingJob,
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

/** mulberry32: a small seeded PRNG, so reference samples are reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Trains a challenger on the newest TRAIN_WINDOW labelled rows (only those after the detected
 * change when there are enough of them), holds out the newest slice, scores challenger and
 * champion on that same slice and promotes the challenger unless it is worse by more than
 * PROMOTION_TOLERANCE. Idempotent: a job that already produced a version is not trained again.
 */
export class RetrainService {
  constructor(
    private readonly sql: Sql,
    private readonly config: Config,
    private readonly logger: Logger,
    /** To queue an interrupted job again without spending one of its attempts (see run). */
    private readonly queues: Queues | null = null,
  ) {}

  /**
   * Fails a training job that is still open although nothing will run it again: its queue job
   * `queueJobId` died on its last attempt (OOM, SIGKILL, expiry). Returns false when the job had
   * finished, or moved on to another queue job, meanwhile.
   */
  async abandon(trainingJobId: number, queueJobId: string | null, reason: string): Promise<boolean> {
    const failed = await this.sql.begin(async (tx) => {
      const job = await abandonTrainingJob(tx, trainingJobId, queueJobId, reason);
      if (job) await appendEvent(tx, 'training.failed', { trainingJobId, error: reason, willRetry: false });
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
    const queues = this.queues;
    if (!queues) return false;
    const message = 'shutting down: queued again (an interrupted attempt does not count)';
    return this.sql
      .begin(async (tx) => {
        const requeued = await requeueTrainingJob(tx, job.id, message, true);
        if (!requeued) return false;
        const queueJobId = await queues.send(retrainQueue, { trainingJobId: job.id }, inTransaction(tx));
        if (!queueJobId) throw new Error('the retrain queue refused a second job');
        await setQueueJobId(tx, job.id, queueJobId);
        await appendEvent(tx, 'training.failed', { trainingJobId: job.id, error: message, willRetry: true });
        return true;
      })
      .catch((error) => {
        this.logger.warn(
          { err: error, trainingJobId: job.id },
          'could not queue an interrupted retrain again',
        );
        return false;
      });
  }

  async run(trainingJobId: number, options: { signal?: AbortSignal } = {}): Promise<RetrainResult> {
    const existing = await getTrainingJob(this.sql, trainingJobId);
    if (!existing) throw new TrainingDataError(`training job ${trainingJobId} does not exist`);
    if (existing.status === 'succeeded') return { job: existing, version: null, promoted: false };

    const nEstimators = this.config.model.nEstimators;
    const job = await this.sql.begin(async (tx) => {
      const started = await startTrainingJob(tx, trainingJobId, nEstimators);
      if (started) {
        await appendEvent(tx, 'training.started', {
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
      const message = error instanceof Error ? error.message : String(error);
      const final = error instanceof TrainingDataError;
      const shutdown = options.signal?.aborted && options.signal.reason instanceof ShutdownError;
      if (!final && shutdown && (await this.requeueAfterShutdown(job))) {
        return { job: (await getTrainingJob(this.sql, job.id))!, version: null, promoted: false };
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
        await appendEvent(tx, 'training.failed', {
          trainingJobId: job.id,
          error: message,
          willRetry,
        });
      });
      // Data problems are final; anything else is rethrown so the queue retries it.
      if (final) return { job: (await getTrainingJob(this.sql, job.id))!, version: null, promoted: false };
      throw error;
    }
  }

  /**
   * Why a retrain may not promote now although its challenger won, or null: MAX_PROMOTIONS_PER_HOUR
   * automatic promotions in the last hour (a stream that poisons its own labels would otherwise
   * replace the model as fast as it can trigger retrains). Never applies to the first model.
   */
  private async promotionCap(tx: Queryable): Promise<string | null> {
    const cap = this.config.retrain.maxPromotionsPerHour;
    const recent = await automaticPromotionsInLastHour(tx);
    if (recent < cap) return null;
    this.logger.warn({ recent, cap }, 'automatic promotion withheld: MAX_PROMOTIONS_PER_HOUR reached');
    return `not promoted: ${recent} automatic promotion${recent === 1 ? '' : 's'} in the last hour reached MAX_PROMOTIONS_PER_HOUR (${cap}); an admin can promote it`;
  }

  /** Polls until MIN_TRAIN_ROWS labelled rows of the new regime arrived, or the wait runs out. */
  private async waitForRowsSince(
    job: TrainingJobRecord,
    changeAt: RegimeStart,
    signal?: AbortSignal,
  ): Promise<number> {
    const needed = this.config.retrain.minTrainRows;
    const deadline = Date.now() + this.config.retrain.waitSeconds * 1000;
    let available = await countLabelledSince(this.sql, changeAt);
    let announced = -1;
    while (available < needed && Date.now() < deadline && !signal?.aborted) {
      if (available !== announced) {
        announced = available;
        await appendEvent(this.sql, 'training.progress', {
          trainingJobId: job.id,
          treesDone: 0,
          treesTotal: this.config.model.nEstimators,
          waitingForRows: needed - available,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      available = await countLabelledSince(this.sql, changeAt);
    }
    return available;
  }

  private async train(job: TrainingJobRecord, signal?: AbortSignal): Promise<RetrainResult> {
    const { trainWindow, minTrainRows, holdoutFraction, promotionTolerance } = this.config.retrain;
    // After a detected change, learn the new concept only. Detection comes a few hundred rows
    // after the change, so wait (bounded by RETRAIN_WAIT_SECONDS) for MIN_TRAIN_ROWS labelled rows
    // of it: training on mostly old-concept rows would give a model that is wrong in the same way.
    const regime: RegimeStart | null = job.changeAt ? { at: job.changeAt, rowId: job.changeRowId } : null;
    let since: RegimeStart | null = null;
    if (regime && (await this.waitForRowsSince(job, regime, signal)) >= minTrainRows) since = regime;
    const { maxClasses } = this.config.data;
    const data = await readLabelledWindow(this.sql, trainWindow, since, maxClasses);
    const n = data.labels.length;
    if (n < minTrainRows) {
      throw new TrainingDataError(
        `only ${n} labelled rows are stored; training needs MIN_TRAIN_ROWS = ${minTrainRows}`,
      );
    }
    const nFeatures = data.features[0]!.length;
    // A loop, not Math.max(...labels): spreading 125k+ arguments overflows the stack.
    let nClasses = 0;
    for (const label of data.labels) if (label >= nClasses) nClasses = label + 1;
    if (new Set(data.labels).size < 2) {
      throw new TrainingDataError(
        `the ${n} newest labelled rows all have label ${data.labels[0]}: training needs at least two classes`,
      );
    }
    // Hold out the newest slice: the model is judged on the data it will meet next.
    const holdout = Math.max(1, Math.min(n - minTrainRows / 2, Math.round(n * holdoutFraction)));
    const trainX = data.features.slice(0, n - holdout);
    const trainY = data.labels.slice(0, n - holdout);
    const testX = data.features.slice(n - holdout);
    const testY = data.labels.slice(n - holdout);

    const started = performance.now();
    let lastReported = 0;
    // Progress writes run one after another: event ids are assigned at insert, so concurrent
    // writes could commit "7 trees" after "6 trees" the wrong way round and subscribers (which
    // read in id order) would see progress go backwards.
    let progressWrites: Promise<unknown> = Promise.resolve();
    const step = Math.max(1, Math.floor(this.config.model.nEstimators / PROGRESS_STEPS));
    const forest = await trainForest(trainX, trainY, {
      nEstimators: this.config.model.nEstimators,
      maxDepth: this.config.model.maxDepth,
      minSamplesLeaf: this.config.model.minSamplesLeaf,
      maxFeatures: this.config.model.maxFeatures,
      seed: this.config.model.seed,
      nClasses,
      ...(this.config.model.threads ? { threads: this.config.model.threads } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (done, total) => {
        if (done - lastReported < step && done !== total) return;
        lastReported = done;
        progressWrites = progressWrites.then(() =>
          this.sql
            .begin(async (tx) => {
              await updateTrainingProgress(tx, job.id, done, total);
              await appendEvent(tx, 'training.progress', {
                trainingJobId: job.id,
                treesDone: done,
                treesTotal: total,
              });
            })
            .catch((error) => this.logger.warn({ err: error }, 'could not record training progress')),
        );
      },
    });
    const trainingMs = performance.now() - started;
    await progressWrites;
    const { splits, leaves } = forest.nodeCounts;
    const tooLarge = modelSizeProblem(
      { nNodes: splits + leaves, nLeaves: leaves, nClasses },
      this.config.model.maxModelBytes,
    );
    if (tooLarge) throw new ModelTooLargeError(`${tooLarge}: not registered`);

    const metrics = scoreOnHoldout(forest, testX, testY, nClasses);
    const champion = await getProductionVersion(this.sql);
    let championMetrics: ModelMetrics | null = null;
    if (champion && champion.nFeatures === nFeatures) {
      const bytes = await getArtifact(this.sql, champion.version);
      if (bytes) {
        const championForest = loadForest(bytes);
        championMetrics = scoreOnHoldout(championForest, testX, testY, nClasses);
      }
    }
    let promote = !championMetrics || metrics.accuracy >= championMetrics.accuracy - promotionTolerance;
    let rejectedReason = promote
      ? null
      : `challenger accuracy ${metrics.accuracy.toFixed(4)} is below the champion's ${championMetrics!.accuracy.toFixed(4)} by more than the tolerance ${promotionTolerance}`;

    // Reference for drift checks: a seeded random sample of the training rows.
    const sampleSize = Math.min(this.config.drift.referenceSampleSize, trainX.length);
    const order = Array.from(trainX.keys());
    const random = rng(this.config.model.seed + job.id);
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (order.length - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const reference = new Float64Array(sampleSize * nFeatures);
    for (let i = 0; i < sampleSize; i++) reference.set(trainX[order[i]!]!, i * nFeatures);
    // Reference mix of predicted classes, for prediction drift: honest predictions on every row
    // of the window, out-of-bag on the training rows and plain on the hold-out. (The hold-out
    // alone is small after a change, a few hundred rows, and a chi-square against it false-alarms;
    // in-sample predictions would copy the labels, which the live mix does not.)
    const referencePredictions = new Array<number>(nClasses).fill(0);
    for (const p of forest.predict(testX)) referencePredictions[p]!++;
    const oob = forest.outOfBagProba(trainX);
    for (let r = 0; r < trainX.length; r++) {
      if (oob.votes[r] === 0) continue;
      let best = 0;
      for (let k = 1; k < nClasses; k++)
        if (oob.proba[r * nClasses + k]! > oob.proba[r * nClasses + best]!) best = k;
      referencePredictions[best]!++;
    }

    const result = await this.sql.begin(async (tx) => {
      // The production lock first: promotions elsewhere take it before touching model_versions,
      // and insertModelVersion locks that table, so the other order could deadlock.
      await lockProduction(tx);
      // A retried delivery of a job that finished meanwhile must not register a second version.
      const current = await getTrainingJob(tx, job.id);
      if (current?.status === 'succeeded') return null;
      const capped = promote && champion ? await this.promotionCap(tx) : null;
      if (capped) {
        promote = false;
        rejectedReason = capped;
      }
      const version = await insertModelVersion(tx, {
        status: 'candidate',
        params: {
          ...forest.params,
          nClasses,
          trainWindow,
          holdoutFraction,
          since: since?.at.toISOString() ?? null,
          sinceRowId: since?.rowId ?? null,
        },
        metrics,
        championMetrics,
        featureImportances: Array.from(forest.featureImportances),
        nFeatures,
        nClasses,
        trainRows: trainX.length,
        holdoutRows: testX.length,
        rowWindowStart: data.firstRowId,
        rowWindowEnd: data.lastRowId,
        trainingMs,
        trainingJobId: job.id,
        reason: job.reason,
        rejectedReason,
        artifact: forest.serialize(),
        referenceSample: new Uint8Array(reference.buffer),
        referenceRows: sampleSize,
        referencePredictions,
      });
      const finished = await finishTrainingJob(tx, job.id, {
        status: 'succeeded',
        outcome: promote ? 'promoted' : 'rejected',
        resultVersion: version.version,
        metrics: { challenger: metrics, champion: championMetrics, trainingMs, trainRows: trainX.length },
        error: null,
      });
      let previous: number | null = null;
      if (promote) previous = (await setProduction(tx, version.version, 'promoted', job.reason)).previous;
      else await markRejected(tx, version.version, rejectedReason!);
      // Events last (see appendEvent), cause before effect.
      await appendEvent(tx, 'training.finished', {
        trainingJobId: job.id,
        version: version.version,
        outcome: promote ? 'promoted' : 'rejected',
        accuracy: metrics.accuracy,
        championAccuracy: championMetrics?.accuracy ?? null,
        trainingMs,
      });
      if (promote) {
        await appendEvent(tx, 'model.promoted', {
          version: version.version,
          previousVersion: previous,
          reason: job.reason,
          trainingJobId: job.id,
          accuracy: metrics.accuracy,
          championAccuracy: championMetrics?.accuracy ?? null,
        });
      } else {
        await appendEvent(tx, 'model.rejected', {
          version: version.version,
          reason: rejectedReason,
          trainingJobId: job.id,
        });
      }
      return { job: finished!, version, promoted: promote };
    });
    if (!result) return { job: (await getTrainingJob(this.sql, job.id))!, version: null, promoted: false };
    this.logger.info(
      {
        trainingJobId: job.id,
        version: result.version.version,
        promoted: promote,
        accuracy: metrics.accuracy,
        trainingMs,
      },
      'retrain finished',
    );
    return result;
  }
}

/** Hold-out metrics; a model that knows fewer classes than the hold-out has gets zero-padded probabilities. */
function scoreOnHoldout(
  forest: Forest,
  features: number[][],
  labels: number[],
  nClasses: number,
): ModelMetrics {
  const raw = forest.predictProba(features);
  const proba = raw.map((p) => Array.from({ length: Math.max(nClasses, p.length) }, (_, k) => p[k] ?? 0));
  const predicted = proba.map((p) => p.indexOf(Math.max(...p)));
  return {
    accuracy: accuracy(labels, predicted),
    f1: f1Macro(labels, predicted),
    logLoss: logLoss(labels, proba),
    holdoutRows: labels.length,
  };
}
