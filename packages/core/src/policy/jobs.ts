import type { PolicyConfig } from './config.ts';
import { featuresMovedIn } from './data-drift.ts';
import { labelledSince, riseInWindow } from './lineage.ts';
import { queueJob } from './transitions.ts';
import type { Evidence, Explanation, Job, PolicyAction, PolicyState, Serving, VersionInfo } from './types.ts';

/**
 * P5 growth: the serving version was trained on few rows of its regime (the bootstrap and every
 * post-change version are small); once the regime holds `growthFactor` times as many labelled rows
 * and `growthMinExtra` more, retrain on the regime's newest TRAIN_WINDOW rows. A version trained on
 * the first rows after a located change uses `newRegimeGrowthFactor`. Each rejected growth doubles
 * the factor.
 */
export function growthDue(
  state: PolicyState,
  evidence: Evidence,
): { state: PolicyState; action: Extract<PolicyAction, { type: 'queue_retrain' }> } | null {
  const { config, serving } = state;
  if (!serving || state.jobs.length > 0) return null;
  const info = state.versions[serving.version]!;
  const factor = growthFactorOf(info, config) * 2 ** state.rejections.growth;
  const regime = serving.regimeLabelled;
  const window = Math.min(regime, config.trainWindow);
  const newTrainRows = config.outOfBagGate
    ? window
    : window - Math.max(Math.round(window * config.holdoutFraction), config.minHoldoutRows);
  if (regime < factor * info.trainRows || regime < info.trainRows + config.growthMinExtra) return null;
  if (newTrainRows < 1.5 * info.trainRows) return null;
  if (servingBarelyErrs(serving, info.holdout, config)) return null;
  const queued = queueJob(state, {
    trigger: 'growth',
    since: serving.regimeSince,
    sinceKind: info.sinceKind,
    queuedAt: evidence.now,
    championFlagged: false,
    lineageError: info.lineageError,
    reason: `growth: the regime of v${serving.version} holds ${regime} labelled rows, ${(regime / info.trainRows).toFixed(1)}× its ${info.trainRows} training rows`,
  });
  const explanation: Explanation = {
    signal: 'growth',
    summary: queued.job.reason,
    evidence: {
      regimeRows: regime,
      trainRows: info.trainRows,
      factor,
      minExtra: config.growthMinExtra,
      newTrainRows,
    },
    decision: `queue growth job ${queued.job.id}: about ${newTrainRows} training rows from position ${serving.regimeSince}; promoted only through the gate`,
    cost: { trainingRuns: 1, trainingRows: newTrainRows },
  };
  return { state: queued.state, action: { type: 'queue_retrain', job: queued.job, explanation } };
}

/**
 * A growth retrain can gain at most the serving version's error on the outcomes since it served;
 * under the gate's `promotionTolerance` the gate could not tell the grown model from it, so the
 * run would buy nothing. Growth waits (and is due again once the version errs more). Not when the
 * gate weighs balanced accuracy (a class of the version's hold-out rarer than `balancedBelow`):
 * there a low error rate says little about the rare class.
 */
export function servingBarelyErrs(
  serving: Pick<Serving, 'outcomes' | 'errors'>,
  holdout: { n: number; classes: readonly { n: number }[] },
  config: Pick<PolicyConfig, 'balancedBelow' | 'promotionTolerance'>,
): boolean {
  const imbalanced = holdout.classes.some((c) => c.n < config.balancedBelow * holdout.n);
  return !imbalanced && serving.outcomes > 0 && serving.errors < config.promotionTolerance * serving.outcomes;
}

/** The growth factor of a version: sooner for the first, short model of a located change's regime. */
export function growthFactorOf(
  info: Pick<VersionInfo, 'sinceKind' | 'trainRows'>,
  config: PolicyConfig,
): number {
  const firstOfRegime = info.sinceKind === 'change' && info.trainRows <= 2 * config.minTrainRows;
  return firstOfRegime ? config.newRegimeGrowthFactor : config.growthFactor;
}

/**
 * Starts the oldest waiting job whose window holds MIN_TRAIN_ROWS labelled rows (one job trains at
 * a time); a job still short of rows when its wait runs out is rescheduled, never widened to rows
 * served before its `since` (D12). A job whose start is not a located change (a forced window, a
 * data-drift chunk) is first checked for a rise inside its window: a window that straddles a
 * change is moved to it before any training (P6's regression check, at no training cost).
 */
export function jobActions(
  state: PolicyState,
  evidence: Evidence,
): { state: PolicyState; actions: PolicyAction[] } {
  const { config } = state;
  const actions: PolicyAction[] = [];
  let training = state.jobs.some((j) => j.status === 'training');
  const jobs = state.jobs.map((queued) => {
    let job = queued;
    if (job.status !== 'waiting') return job;
    const start = training || !config.reachBackOnShift ? null : shiftStart(state, job, evidence);
    if (start !== null) job = { ...job, since: start, reachedBackFrom: job.since };
    const available = labelledSince(evidence.lineage, job.since);
    if (available >= config.minTrainRows && !training) {
      const moved = straddledChange(state, job, evidence);
      if (moved) {
        actions.push(moved.action);
        return moved.job;
      }
      training = true;
      actions.push(startTraining(state, job, available, evidence));
      return { ...job, status: 'training' as const };
    }
    if (archivedCheckDue(state, job, available)) {
      actions.push(checkArchived(job, available));
      job = { ...job, archivedCheckAt: 2 * available };
    }
    if (evidence.now.seconds >= job.waitUntil) {
      actions.push(rescheduled(state, job, available, evidence));
      return { ...job, waitUntil: job.waitUntil + config.waitSeconds, reschedules: job.reschedules + 1 };
    }
    return job;
  });
  return { state: { ...state, jobs }, actions };
}

/** Outcomes after a second rise that a growth window needs before it moves there (a split at its tail is chance). */
const GROWTH_MOVE_MIN_AFTER = 100;

/**
 * A retrain from a located change whose window shows moved features (`persistence` flagged chunks
 * in a row, advisory or not, the newest overlapping the window or ending less than a chunk before
 * it: an alarm often comes before the chunk that holds the change is complete, where the
 * platform's check tests its newest rows at once): a covariate shift, where the rows
 * served before the change keep their labels. It trains at once on the newest
 * max(MIN_TRAIN_ROWS, WINDOW_SIZE) labelled rows, reaching back before the change, instead of
 * serving the failing model until MIN_TRAIN_ROWS rows after it are in; the newest chunk's worth of
 * rows is the distribution the flagged chunks showed. Null when it does not apply.
 */
function shiftStart(state: PolicyState, job: Job, evidence: Evidence): number | null {
  const { config } = state;
  const lineage = evidence.lineage;
  const k = Math.max(config.minTrainRows, config.chunkSize);
  if (job.trigger !== 'level' && job.trigger !== 'minority') return null;
  if (job.sinceKind !== 'change' || lineage.length < k) return null;
  // A confirmed shift (`persistence` flagged chunks in a row): this action trusts the old rows.
  if (!shiftConfirmed(state, job.since - config.chunkSize, evidence)) return null;
  const start = lineage.servedAt[lineage.length - k]!;
  return start < job.since ? start : null;
}

/**
 * `persistence` flagged chunks in a row, the newest overlapping [from, now); or the newest
 * `persistence` − 1 chunks tested, flagged, the newest overlapping it, completed by the rows
 * served since them (disjoint from every tested chunk) flagged on their own test.
 */
function shiftConfirmed(state: PolicyState, from: number, evidence: Evidence): boolean {
  const { config } = state;
  const now = evidence.now.position;
  if (featuresMovedIn(state, from, now, config.persistence)) return true;
  if (!config.reachBackOnOpenChunk || config.persistence < 2) return false;
  const run = (state.data.tested ?? []).slice(1 - config.persistence);
  const newest = run.at(-1);
  if (run.length < config.persistence - 1 || !newest || newest.to <= from) return false;
  if (!run.every((c) => c.pValue < config.chunkAlpha)) return false;
  const open = evidence.openChunk?.() ?? null;
  return open !== null && open.from >= newest.to && open.test.pValue < config.chunkAlpha;
}

const fromText = (since: number) => (since < 0 ? 'the first row' : `position ${since}`);

function startTraining(
  state: PolicyState,
  job: Job,
  available: number,
  evidence: Evidence,
): Extract<PolicyAction, { type: 'start_training' }> {
  const { config } = state;
  const until = evidence.now.position + 1;
  const candidates = [{ since: job.since, until }];
  if (job.trigger === 'data') candidates.push({ since: -1, until });
  // Growth also tries the newest change located inside the regime, when it leaves enough rows.
  const later = state.serving?.laterChange ?? null;
  if (
    job.trigger === 'growth' &&
    later !== null &&
    later > job.since &&
    labelledSince(evidence.lineage, later) >= config.minTrainRows
  ) {
    candidates.push({ since: later, until });
  }
  const rows = Math.min(available, config.trainWindow);
  return {
    type: 'start_training',
    jobId: job.id,
    candidates,
    explanation: {
      signal: 'job',
      summary: `job ${job.id} (${job.trigger}): ${available} labelled rows served from ${fromText(job.since)} on`,
      evidence: {
        jobId: job.id,
        trigger: job.trigger,
        since: job.since,
        available,
        minTrainRows: config.minTrainRows,
      },
      decision: `train on the newest ${rows} of them (${candidates.length} candidate window${candidates.length > 1 ? 's' : ''})${job.reachedBackFrom !== undefined ? `; the window reaches back from the located change at ${job.reachedBackFrom}: chunks in a row flagged the features (covariate shift), so the older rows keep their labels` : ''}`,
      cost: { trainingRuns: candidates.length, trainingRows: rows },
    },
  };
}

function rescheduled(state: PolicyState, job: Job, available: number, evidence: Evidence): PolicyAction {
  const { config } = state;
  return {
    type: 'reschedule',
    jobId: job.id,
    explanation: {
      signal: 'job',
      summary: `job ${job.id} (${job.trigger}) has waited ${Math.round(evidence.now.seconds - job.queuedAt.seconds)} s for labelled rows served from ${fromText(job.since)} on: ${available} of ${config.minTrainRows}`,
      evidence: {
        jobId: job.id,
        since: job.since,
        available,
        minTrainRows: config.minTrainRows,
        waitSeconds: config.waitSeconds,
      },
      decision: `keep waiting another ${config.waitSeconds} s: the window never reaches back before position ${job.since} (a mixed window would train a model as wrong as the one serving)`,
      cost: null,
    },
  };
}

/**
 * A forced or data-drift window about to train: the strongest rise in the lineage's errors inside
 * it (z >= 3.5, to an error above the serving version's promise) means it straddles a change; the
 * job moves there and waits for MIN_TRAIN_ROWS rows of the new regime. A window from a located
 * change is checked the same way, once: when the errors rose again inside it, the change was
 * gradual (still going on where it was located) and the rows before the second rise are a mixed
 * concept. Once only, so a drift that never stops still gets its retrain.
 */
function straddledChange(
  state: PolicyState,
  job: Job,
  evidence: Evidence,
): { job: Job; action: PolicyAction } | null {
  // Features that moved inside the window say covariate shift: the rows before a second rise
  // still carry the right labels, and waiting for rows after it would serve the old model longer.
  const located =
    state.config.moveLocatedWindow &&
    job.sinceKind === 'change' &&
    job.trigger !== 'manual' &&
    job.trigger !== 'data' &&
    !job.movedInWindow &&
    !featuresMovedIn(state, job.since, evidence.now.position);
  if (job.sinceKind !== 'forced' && job.sinceKind !== 'check' && !located) return null;
  const promise = state.serving?.level.b ?? 1;
  const rise = riseInWindow(evidence.lineage, job.since, located ? state.config.moveLocatedZ : undefined);
  if (!rise || rise.after <= promise || rise.at <= job.since + state.config.actionableMargin) return null;
  if (job.trigger === 'growth' && labelledSince(evidence.lineage, rise.at) < GROWTH_MOVE_MIN_AFTER)
    return null;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const action: PolicyAction = {
    type: 'retarget',
    jobId: job.id,
    from: job.since,
    to: rise.at,
    explanation: {
      signal: 'job',
      summary: `job ${job.id} (${job.trigger}): the errors inside its window rose at position ${rise.at} from ${pct(rise.before)} to ${pct(rise.after)} (z ${rise.z.toFixed(2)}), above the serving version's promise ${pct(promise)}`,
      evidence: {
        jobId: job.id,
        since: job.since,
        changeAt: rise.at,
        riseBefore: rise.before,
        riseAfter: rise.after,
        riseZ: rise.z,
        promised: promise,
      },
      decision: `retarget job ${job.id} from position ${job.since} to ${rise.at} before training: a window that straddles a change trains a mixed model`,
      cost: null,
    },
  };
  const moved = {
    ...job,
    since: rise.at,
    sinceKind: 'change' as const,
    championFlagged: true,
    movedInWindow: true,
  };
  return { job: moved, action };
}

/** A retrain from a located change, short of rows, with archived versions to try on the rows it has. */
function archivedCheckDue(state: PolicyState, job: Job, available: number): boolean {
  const retrain = job.trigger === 'level' || job.trigger === 'minority' || job.trigger === 'data';
  const archived = state.history.some((v) => v !== state.serving?.version);
  return retrain && job.sinceKind === 'change' && archived && available >= job.archivedCheckAt;
}

function checkArchived(job: Job, available: number): PolicyAction {
  return {
    type: 'check_archived',
    jobId: job.id,
    since: job.since,
    explanation: {
      signal: 'job',
      summary: `job ${job.id} (${job.trigger}): ${available} labelled rows served since the change at ${job.since}`,
      evidence: { jobId: job.id, since: job.since, available },
      decision: `score the archived versions on them: one that is better than the serving version and keeps its promise there serves again with no training (next check at ${2 * available} rows)`,
      cost: null,
    },
  };
}
