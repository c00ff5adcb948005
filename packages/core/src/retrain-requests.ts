import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { backoffRows, type RetrainSituation } from './drift-check.ts';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { inTransaction, type Queues, retrainQueue } from './queues.ts';
import {
  countLabelledRows,
  countLabelledSince,
  countLabelledSinceUpTo,
  countLabelsArrivedSince,
  labelledClassesAmongNewest,
  type RegimeStart,
} from './storage/data-storage.ts';
import { lastRetrainTrigger } from './storage/drift-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  getProductionVersion,
  type ModelVersionRecord,
  newestModelVersion,
} from './storage/models-storage.ts';
import {
  countTrainingJobs,
  driftRetrainBackoff,
  insertTrainingJob,
  lockRetrainRequests,
  openTrainingJob,
  repromotedAt,
  setQueueJobId,
  type TrainingJobRecord,
} from './storage/training-storage.ts';

export interface RetrainRequest {
  reason: string;
  driftCheckId: number | null;
  /** Where the new regime starts (the retrain waits for MIN_TRAIN_ROWS rows after it). */
  changeAt: Date | null;
  changeRowId?: number | null;
}

/**
 * Every way a retrain gets queued — a drift, a person, the first model — goes through here, under
 * one advisory lock, so two triggers never pile up two jobs.
 */
export class RetrainRequests {
  constructor(
    private readonly sql: Sql,
    private readonly queues: Queues,
    private readonly config: Config,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /**
   * Locks retrain requests for the caller's transaction and answers whether one is pending, how
   * long ago the last drift-triggered one was queued (for the minimum interval) and how far its
   * back-off has run (labelled rows since the newest of the drift retrains that replaced nothing).
   */
  async situation(tx: Queryable): Promise<RetrainSituation> {
    await lockRetrainRequests(tx, this.pipeline.id);
    const pending = Boolean(await openTrainingJob(tx, this.pipeline.id));
    // The last trigger even with a job open: whether ending an open growth run would let the
    // change's retrain be queued depends on the pacing (DriftPolicy.actionFor).
    const last = await lastRetrainTrigger(tx, this.pipeline.id);
    if (!last) return { pending, last: null, backoff: null };
    const failed = await driftRetrainBackoff(tx, this.pipeline.id);
    const wait = failed ? backoffRows(this.config.drift.cooldownRows, failed.failures) : 0;
    return {
      pending,
      last: { secondsAgo: last.secondsAgo },
      backoff: failed && {
        failures: failed.failures,
        labelledSince: await countLabelledSinceUpTo(tx, this.pipeline.id, failed.finishedAt, wait),
      },
    };
  }

  /**
   * Records a training job and its queue job in the caller's transaction (which holds the lock);
   * `announce` appends the training.queued event (a drift check announces its drift first).
   */
  async queue(tx: Queryable, request: RetrainRequest, announce = true): Promise<TrainingJobRecord> {
    const record = await insertTrainingJob(tx, this.pipeline.id, request);
    const queueJobId = await this.queues.send(
      retrainQueue,
      { trainingJobId: record.id, pipelineId: record.pipelineId },
      inTransaction(tx),
    );
    if (queueJobId) await setQueueJobId(tx, record.id, queueJobId);
    const queued = { ...record, queueJobId };
    if (announce) await announceQueued(tx, queued);
    return queued;
  }

  /** A retrain asked for by a person or a script; returns the pending job instead of piling up another. */
  async request(reason: string): Promise<{ job: TrainingJobRecord; alreadyPending: boolean }> {
    return this.sql.begin(async (tx) => {
      await lockRetrainRequests(tx, this.pipeline.id);
      const open = await openTrainingJob(tx, this.pipeline.id);
      if (open) return { job: open, alreadyPending: true };
      const job = await this.queue(tx, { reason, driftCheckId: null, changeAt: null });
      return { job, alreadyPending: false };
    });
  }

  /**
   * A growth retrain (issue #16): when the labelled rows available (up to TRAIN_WINDOW) exceed those
   * of the newest version (serving or not: a rejected challenger waits for more growth) by
   * GROWTH_RETRAIN_ROWS, or — once the stream has been quiet for CHECK_INTERVAL_SECONDS — by a
   * tenth (see grownEnough), and no retrain is open. It trains from the serving version's first
   * row on (older rows may be of an earlier concept); like every challenger it is promoted only if
   * better on the newest hold-out. On a live stream it waits while the serving version errs on
   * fewer than PROMOTION_TOLERANCE of its outcomes (`barelyErrs`): a grown model could gain at
   * most that, which the gate cannot tell from none. That holds for a located change's fast model
   * too (no search yet): the search its growth brings can gain no more. A quiet stream's last
   * growth (a table's model of all its rows) is not held back.
   */
  async growth(production: ModelVersionRecord, barelyErrs = false): Promise<TrainingJobRecord | null> {
    const newest = await newestModelVersion(this.sql, this.pipeline.id);
    if (!newest) return null;
    const { regime, used, basis } = await this.grownFrom(production, newest);
    const labelled = regime
      ? await countLabelledSince(this.sql, this.pipeline.id, regime)
      : await countLabelledRows(this.sql, this.pipeline.id);
    const available = Math.min(labelled, this.config.retrain.trainWindow);
    const quiet = available > used && (await this.quiet());
    if (!grownEnough(used, available, this.config.retrain.growthRows, quiet, regime !== null)) return null;
    if (barelyErrs && !quiet) return null;
    return this.sql.begin(async (tx) => {
      await lockRetrainRequests(tx, this.pipeline.id);
      if (await openTrainingJob(tx, this.pipeline.id)) return null;
      return this.queue(tx, {
        reason: `${regime ? REGIME_GROWTH : 'growth:'} ${available} labelled rows available${regime ? ` since the change at ${changeText(regime)}` : ''}, v${basis.version} used ${used}${quiet && available - used < this.config.retrain.growthRows ? ' (no new labels for a check interval)' : ''}`,
        driftCheckId: null,
        // From the regime's first row (its search may still choose all rows), else from the
        // serving version's first row on (all rows when it does not know it).
        changeAt: regime?.at ?? (production.rowWindowStart === null ? null : production.createdAt),
        changeRowId: regime ? regime.rowId : production.rowWindowStart,
      });
    });
  }

  /**
   * What growth is measured against: the newest version's rows (learnedFrom), or, for an archived
   * version served again since the newest was trained (a recurring concept), the rows since the
   * change it was served again for, against the rows it learned: the regime it serves is that
   * change's, and the newest version learned the concept that went away.
   */
  private async grownFrom(
    production: ModelVersionRecord,
    newest: ModelVersionRecord,
  ): Promise<{ regime: RegimeStart | null; used: number; basis: ModelVersionRecord }> {
    const again =
      production.version !== newest.version &&
      production.promotedAt !== null &&
      production.promotedAt.getTime() > newest.createdAt.getTime();
    const regime = again ? await repromotedAt(this.sql, this.pipeline.id, production.version) : null;
    if (!regime) return { ...learnedFrom(newest), basis: newest };
    return { regime, used: rowsRead(production), basis: production };
  }

  /**
   * No label arrived for a whole drift-check interval (no labelled row ingested, no label sent
   * back for a prediction): what a model can learn has settled for now. Predictions alone do not
   * count: a table ingested once and then only predicted on never ended on a model of all its
   * rows (10,000 rows of 784 columns served a model of 1,000).
   */
  private async quiet(): Promise<boolean> {
    const since = new Date(Date.now() - this.config.drift.checkIntervalSeconds * 1000);
    return (await countLabelsArrivedSince(this.sql, this.pipeline.id, since)) === 0;
  }

  /**
   * Version 1 trains by itself once MIN_TRAIN_ROWS labelled rows of at least two classes are in.
   * While they hold one class only, the first ask still runs (its job fails `insufficient_data`
   * and says which label every row has: what a person looking at "no model yet" needs), the
   * others wait for a second class instead of failing once per batch.
   */
  async bootstrap(): Promise<TrainingJobRecord | null> {
    const labelled = await countLabelledRows(this.sql, this.pipeline.id);
    const { minTrainRows, trainWindow } = this.config.retrain;
    if (labelled < minTrainRows) return null;
    const askedBefore = (await countTrainingJobs(this.sql, this.pipeline.id)) > 0;
    if (askedBefore && (await labelledClassesAmongNewest(this.sql, this.pipeline.id, trainWindow)) < 2)
      return null;
    return this.sql.begin(async (tx) => {
      await lockRetrainRequests(tx, this.pipeline.id);
      // The open job first: a first training that commits between the two reads is then seen
      // either as still open or as production (its job and its promotion commit together).
      if (await openTrainingJob(tx, this.pipeline.id)) return null;
      if (await getProductionVersion(tx, this.pipeline.id)) return null;
      return this.queue(tx, {
        reason: `bootstrap: ${labelled} labelled rows (MIN_TRAIN_ROWS ${minTrainRows})`,
        driftCheckId: null,
        changeAt: null,
      });
    });
  }
}

/**
 * Where a change is, for a person: its time, and the id of its first row (ids count the rows of
 * every pipeline, so they are no position in this one's stream).
 */
export function changeText(change: RegimeStart): string {
  const time = `${change.at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return change.rowId === null ? time : `${time} (row id ${change.rowId})`;
}

export function announceQueued(tx: Queryable, job: TrainingJobRecord) {
  return appendEvent(tx, job.pipelineId, 'training.queued', {
    trainingJobId: job.id,
    reason: job.reason,
    driftCheckId: job.driftCheckId,
  });
}

/** On a quiet stream, the share of new rows (beyond the newest version's) that earns a growth retrain. */
export const QUIET_GROWTH = 0.1;

/**
 * Whether the labelled rows available grew enough since a version trained on `used` rows: by
 * `step` rows (GROWTH_RETRAIN_ROWS; 0: growth retrains are off), or, when the stream is `quiet`
 * (no row for a drift-check interval), by a tenth of `used` (at least one row). The quiet leg
 * lets a table sent in a few batches end on a model of all its rows; on a live stream it never
 * fires, so growth there waits for the fixed step. A version that learned from the rows since a
 * located change (`inRegime`, see learnedFrom) also retrains when that regime's rows doubled: its
 * first model is small by design (MIN_TRAIN_ROWS of the new concept), and a located change
 * supersedes a growth job that is open when the next change comes. Otherwise not a doubling: on a stream, a first model
 * of 400 rows would retrain at 800, 1,600, 3,200 rows, and a growth retrain open when the
 * concept changes holds back the drift retrain (no drift retrain is queued while another is
 * open), as in the demo's drift at row 1,600.
 */
export function grownEnough(
  used: number,
  available: number,
  step: number,
  quiet = false,
  inRegime = false,
): boolean {
  if (step <= 0) return false;
  const added = available - used;
  if (added >= step) return true;
  if (inRegime && added >= used) return true;
  return quiet && added >= Math.max(1, Math.ceil(used * QUIET_GROWTH));
}

/** The reason's start of a growth retrain within a regime (its version keeps `params.regime`). */
export const REGIME_GROWTH = 'growth of the new regime:';

/** Whether a run's rows since a change are a located change's regime (not just a version's start). */
export function regimeRun(job: Pick<TrainingJobRecord, 'driftCheckId' | 'reason'>, since: unknown): boolean {
  return since !== null && (job.driftCheckId !== null || job.reason.startsWith(REGIME_GROWTH));
}

/**
 * The rows a version's training read: its training rows and hold-out. A search may have refit
 * its winner on fewer (`trainRows`); `params.read` keeps the rows read (versions stored before it
 * kept them as `trainRows`).
 */
export function rowsRead(version: Pick<ModelVersionRecord, 'params' | 'trainRows' | 'holdoutRows'>): number {
  const { read } = version.params as { read?: number };
  return (read ?? version.trainRows) + heldOut(version);
}

/** Rows of the window held out, never learned (none under the out-of-bag gate: its gate rows were learned too). */
function heldOut(version: Pick<ModelVersionRecord, 'params' | 'holdoutRows'>): number {
  return version.params.holdout === 'out-of-bag' ? 0 : version.holdoutRows;
}

/**
 * What a version learned from: the rows since a located change (its regime, `params.regime`: a
 * drift retrain after a located change, or a growth retrain of that regime) when it was fitted
 * on them alone — the fixed forest after a change, or a search whose winning window was
 * "since-change" — with the rows it used of them (training window and hold-out); else all rows,
 * `used` being the rows it read (its search may have chosen a newest-N window on purpose).
 */
export function learnedFrom(version: Pick<ModelVersionRecord, 'params' | 'trainRows' | 'holdoutRows'>): {
  regime: RegimeStart | null;
  used: number;
} {
  const {
    regime: fromChange,
    since,
    sinceRowId,
    search,
    sinceRead,
  } = version.params as {
    regime?: boolean;
    since?: string | null;
    sinceRowId?: number | null;
    sinceRead?: number;
    search?: { window: string; candidates: { winner: boolean; windowRows: number }[] };
  };
  const all = { regime: null, used: rowsRead(version) };
  if (!fromChange || !since) return all;
  const regime = { at: new Date(since), rowId: sinceRowId ?? null };
  if (!search) return { regime, used: all.used };
  if (search.window !== 'since-change') return all;
  const winner = search.candidates.find((c) => c.winner);
  if (!winner) return all;
  // The rows since the change it read; versions stored before `sinceRead` count the winner's
  // window, which leaves out the rows the search validated on (a rejected growth of Seattle's
  // weather read 370 and counted 185, so the next grew at once, on 570).
  return { regime, used: sinceRead ?? winner.windowRows + heldOut(version) };
}
