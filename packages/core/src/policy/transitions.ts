import type { PolicyConfig } from './config.ts';
import type { GateDecision } from './gate.ts';
import { levelTestsFor, rebaselined } from './level.ts';
import { labelledSince, lineageErrorBefore } from './lineage.ts';
import type { Explanation, Job, Moment, Outcomes, PolicyState, Trigger, VersionInfo } from './types.ts';

/*
 * How the policy's state changes outside a check: a version starts serving, a training job ends,
 * a person asks for a retrain or promotes a version by hand. Pure: state in, state out.
 */

export function initialPolicyState(config: PolicyConfig): PolicyState {
  return {
    config,
    serving: null,
    trailing: [],
    versions: {},
    history: [],
    jobs: [],
    nextJobId: 1,
    rejections: { level: 0, data: 0, growth: 0 },
    cooldownUntil: 0,
    labelledTotal: 0,
    data: { recent: [], flaggedFrom: null, warnings: null, muted: [], streaks: [], lastAlarmAt: null },
  };
}

/** The back-off kind a trigger belongs to. */
export function backoffKind(trigger: Trigger): 'level' | 'data' | 'growth' | null {
  // A retrain a person asked for is their call: its rejection does not hold back the policy's own.
  if (trigger === 'level' || trigger === 'minority') return 'level';
  if (trigger === 'data' || trigger === 'growth') return trigger;
  return null;
}

/**
 * `version` serves from `at` on: fresh level tests from its promise, the version it replaces
 * scored beside it while it is young (rollback evidence), its regime's labelled rows counted.
 */
export function startServing(
  state: PolicyState,
  version: number,
  at: number,
  lineage: Outcomes,
  previous: number | null,
  regimeSince?: number,
): PolicyState {
  const info = state.versions[version];
  if (!info) throw new Error(`policy: version ${version} is not registered`);
  const tests = levelTestsFor(info, state.config, at);
  const history = [...state.history.filter((v) => v !== version), version];
  const old = state.serving;
  // The replaced version's labels may still be on their way (label delay): its tests go on.
  const trailing = old
    ? [
        ...state.trailing,
        {
          version: old.version,
          servedFrom: old.servingFrom,
          servedUntil: at,
          level: old.level,
          minority: old.minority,
        },
      ]
    : state.trailing;
  return {
    ...state,
    history,
    trailing,
    serving: {
      version,
      servingFrom: at,
      outcomes: 0,
      errors: 0,
      level: tests.level,
      minority: tests.minority,
      shadow: previous === null ? null : { version: previous, n: 0, servingOnly: 0, previousOnly: 0 },
      regimeSince: regimeSince ?? info.since,
      regimeLabelled: labelledSince(lineage, regimeSince ?? info.since),
      laterChange: null,
    },
  };
}

export function queueJob(
  state: PolicyState,
  job: Omit<Job, 'id' | 'status' | 'waitUntil' | 'reschedules' | 'archivedCheckAt'>,
): { state: PolicyState; job: Job } {
  const queued: Job = {
    ...job,
    id: state.nextJobId,
    status: 'waiting',
    waitUntil: job.queuedAt.seconds + state.config.waitSeconds,
    reschedules: 0,
    archivedCheckAt: state.config.archivedCheckRows,
  };
  return { state: { ...state, jobs: [...state.jobs, queued], nextJobId: state.nextJobId + 1 }, job: queued };
}

/** A retrain asked for by a person or a script, from `since` on (a forced change point). */
export function requestRetrain(
  state: PolicyState,
  request: { since: number; reason: string; now: Moment; lineage: Outcomes },
): { state: PolicyState; job: Job } {
  return queueJob(
    { ...state, jobs: state.jobs.filter((j) => j.trigger !== 'growth' || j.status === 'training') },
    {
      trigger: 'manual',
      since: request.since,
      sinceKind: 'forced',
      queuedAt: request.now,
      championFlagged: false,
      lineageError: lineageErrorBefore(
        request.lineage,
        request.now.position,
        state.config.lineageLevelWindow,
      ),
      reason: request.reason,
    },
  );
}

/** A version trained elsewhere, promoted by hand: its window is unknown, its promise capped by the lineage. */
export function applyManualPromotion(
  state: PolicyState,
  info: Omit<VersionInfo, 'since' | 'sinceKind' | 'lineageError'>,
  now: Moment,
  lineage: Outcomes,
): PolicyState {
  const registered: VersionInfo = {
    ...info,
    since: -1,
    sinceKind: 'manual',
    lineageError: lineageErrorBefore(lineage, now.position, state.config.lineageLevelWindow),
  };
  const withVersion = { ...state, versions: { ...state.versions, [info.version]: registered } };
  return startServing(withVersion, info.version, now.position, lineage, state.serving?.version ?? null);
}

/** The outcome of a training job, as the gate decided it. */
export function applyTrainingResult(
  state: PolicyState,
  result: { jobId: number; gate: GateDecision; challenger: VersionInfo; now: Moment; lineage: Outcomes },
): { state: PolicyState; explanation: Explanation } {
  const job = state.jobs.find((j) => j.id === result.jobId);
  if (!job) throw new Error(`policy: training job ${result.jobId} is not open`);
  const kind = backoffKind(job.trigger);
  let next: PolicyState = {
    ...state,
    jobs: state.jobs.filter((j) => j.id !== job.id),
    versions: { ...state.versions, [result.challenger.version]: result.challenger },
  };
  const { gate } = result;
  const previous = state.serving?.version ?? null;
  if (gate.decision === 'promote' || gate.decision === 'repromote') {
    const version = gate.decision === 'promote' ? result.challenger.version : gate.version!;
    if (kind)
      next = {
        ...next,
        rejections: { ...next.rejections, [kind]: 0 },
        cooldownUntil: 0,
        lastRejected: kind === 'level' ? null : next.lastRejected,
      };
    // A version of a new regime grows from its own rows: growth rejected in the old regime does
    // not hold it back (its factor would otherwise stay doubled for a regime it never saw).
    if (job.trigger !== 'growth') next = { ...next, rejections: { ...next.rejections, growth: 0 } };
    // A re-promoted version serves the regime the job was trained for, not the one it came from.
    const regime = gate.decision === 'repromote' ? job.since : undefined;
    next = startServing(next, version, result.now.position, result.lineage, previous, regime);
    // Promoted on the newest gate rows only (`newestRowsRule`) while the champion's errors rose
    // again inside the window: the challenger serves until the retrain from that rise replaces it.
    if (gate.requeueSince !== null && !job.movedInWindow)
      next = requeueFromRise(next, job, gate.requeueSince, result.now);
    return { state: next, explanation: gate.explanation };
  }
  if (kind) {
    const count = next.rejections[kind] + 1;
    const multiplier = Math.min(state.config.backoffCap, 2 ** (count - 1));
    next = {
      ...next,
      rejections: { ...next.rejections, [kind]: count },
      cooldownUntil:
        kind === 'growth' ? next.cooldownUntil : next.labelledTotal + state.config.cooldownRows * multiplier,
      lastRejected: kind === 'level' ? { since: job.since, at: result.now.position } : next.lastRejected,
    };
  }
  const serving = next.serving;
  // Refused by the regression check (both models far below the lineage's earlier level): the
  // window may straddle a change that is still going on, so the champion's error is not what
  // this regime gives; its promise stays and the next alarm on newer rows retrains from there.
  const regression = gate.explanation.evidence.regressionMargin !== undefined;
  if (
    job.championFlagged &&
    !regression &&
    gate.requeueSince === null &&
    serving &&
    serving.version === previous &&
    serving.outcomes > 0
  ) {
    // A level alarm whose retrain could not beat the serving version: the new rows do not give a
    // better model, so the version's live error is what this regime gives. Its promise becomes
    // that level (a promise from a lucky hold-out would otherwise alarm again and again).
    const level = rebaselined(
      serving.level,
      serving.errors,
      serving.outcomes,
      state.config,
      result.now.position,
    );
    next = { ...next, serving: { ...serving, level } };
  }
  if (gate.requeueSince !== null) next = requeueFromRise(next, job, gate.requeueSince, result.now);
  return { state: next, explanation: gate.explanation };
}

/** A retrain from the rise the gate found inside a job's window (the drift went on there). */
function requeueFromRise(state: PolicyState, job: Job, since: number, now: Moment): PolicyState {
  return queueJob(state, {
    trigger: job.trigger,
    since,
    sinceKind: 'change',
    queuedAt: now,
    championFlagged: job.championFlagged,
    lineageError: job.lineageError,
    reason: `job ${job.id}'s gate found a rise in its window; retrain from it`,
    movedInWindow: true,
  }).state;
}

/** A job that failed (no usable data, an error): counted like a rejection for the back-off. */
export function applyTrainingFailure(
  state: PolicyState,
  jobId: number,
  error: string,
): { state: PolicyState; explanation: Explanation } {
  const job = state.jobs.find((j) => j.id === jobId);
  if (!job) throw new Error(`policy: training job ${jobId} is not open`);
  const kind = backoffKind(job.trigger);
  let next: PolicyState = { ...state, jobs: state.jobs.filter((j) => j.id !== jobId) };
  if (kind) {
    const count = next.rejections[kind] + 1;
    next = {
      ...next,
      rejections: { ...next.rejections, [kind]: count },
      cooldownUntil:
        next.labelledTotal + state.config.cooldownRows * Math.min(state.config.backoffCap, 2 ** (count - 1)),
    };
  }
  return {
    state: next,
    explanation: {
      signal: 'job',
      summary: `job ${jobId} (${job.trigger}) failed: ${error}`,
      evidence: { jobId, trigger: job.trigger },
      decision: 'no new version; counted as a rejection for the back-off',
      cost: null,
    },
  };
}

/**
 * An archived version fits the new regime better than the serving one (repromoteWithoutTraining):
 * it serves again from `now`, for the regime of the job that was waiting, which closes with no
 * training.
 */
export function applyRepromotion(
  state: PolicyState,
  result: { jobId: number; gate: GateDecision; now: Moment; lineage: Outcomes },
): { state: PolicyState; explanation: Explanation } {
  const job = state.jobs.find((j) => j.id === result.jobId);
  if (!job) throw new Error(`policy: job ${result.jobId} is not open`);
  const version = result.gate.version;
  if (result.gate.decision !== 'repromote' || version === null)
    throw new Error('policy: applyRepromotion needs a repromote decision');
  const kind = backoffKind(job.trigger);
  let next: PolicyState = { ...state, jobs: state.jobs.filter((j) => j.id !== job.id) };
  if (kind) next = { ...next, rejections: { ...next.rejections, [kind]: 0 }, cooldownUntil: 0 };
  const previous = state.serving?.version ?? null;
  next = startServing(next, version, result.now.position, result.lineage, previous, job.since);
  return { state: next, explanation: result.gate.explanation };
}
