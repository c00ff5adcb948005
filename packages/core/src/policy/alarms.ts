import { mcnemarFromCounts } from '@automl-stream/drift';
import { type LevelAlarm, rebaselined, restartLevelTest } from './level.ts';
import { labelledSince, lineageErrorBefore, locateRise, riseAt } from './lineage.ts';
import { queueJob, startServing } from './transitions.ts';
import type { Evidence, Explanation, Job, LevelTest, PolicyAction, PolicyState } from './types.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** z of the rise at a newly located change that a waiting job's start must show to be moved there. */
const RETARGET_Z = 2;

interface Handled {
  state: PolicyState;
  actions: PolicyAction[];
  explanation: Explanation;
}

/** Puts `test` in place of the test of the same version and class, serving or trailing. */
export function replaceTest(state: PolicyState, test: LevelTest): PolicyState {
  const swap = (t: LevelTest) => (t.version === test.version && t.label === test.label ? test : t);
  const serving = state.serving && {
    ...state.serving,
    level: swap(state.serving.level),
    minority: state.serving.minority.map(swap),
  };
  const trailing = state.trailing.map((t) => ({
    ...t,
    level: swap(t.level),
    minority: t.minority.map(swap),
  }));
  return { ...state, serving, trailing };
}

function servedFrom(state: PolicyState, version: number): number {
  if (state.serving?.version === version) return state.serving.servingFrom;
  return state.trailing.find((t) => t.version === version)?.servedFrom ?? -1;
}

/**
 * A level alarm: roll back when the version it replaced is better on the same rows; otherwise
 * retrain from the located change when the serving version was trained before it (P4a), retarget
 * a waiting job, respect the back-off, or accept the drift after repeated rejections (P7).
 */
export function handleAlarm(state: PolicyState, alarm: LevelAlarm, evidence: Evidence): Handled {
  const serving = state.serving!;
  const info = state.versions[serving.version]!;
  const test = alarm.test;
  const rise = locateRise(evidence.lineage, {
    version: test.version,
    servedFrom: servedFrom(state, test.version),
    label: test.label,
  });
  const change = rise?.at ?? alarm.runStartAt;
  const which = test.label === null ? 'all outcomes' : `class ${test.label}`;
  const base: Explanation['evidence'] = {
    alarm: true,
    test: test.label === null ? 'level CUSUM' : 'minority-class CUSUM',
    version: test.version,
    statistic: test.cusum.statistic,
    threshold: test.h,
    arl0: test.arl0,
    promised: test.b,
    baseline: test.baseline,
    observedError: alarm.runError,
    effect: alarm.runError - test.b,
    runLength: alarm.runLength,
    changeAt: change,
    located: rise
      ? `strongest rise (${rise.where === 'reign' ? `inside v${test.version}'s own outcomes` : 'on the lineage'})`
      : 'CUSUM run start',
    riseBefore: rise?.before ?? null,
    riseAfter: rise?.after ?? null,
    riseZ: rise?.z ?? null,
    servingSince: info.since,
  };
  const summary = `v${test.version} errs ${pct(alarm.runError)} on ${which} over ${alarm.runLength} outcomes since position ${alarm.runStartAt}, above its promise ${pct(test.b)} (CUSUM ${test.cusum.statistic.toFixed(2)} >= h ${test.h.toFixed(2)}, ARL₀ ${test.arl0.toExponential(0)} outcomes)`;
  const restarted = {
    ...replaceTest(state, restartLevelTest(test, evidence.now.position)),
    data: { ...state.data, lastAlarmAt: evidence.now.position },
  };

  const rollback =
    test.version === serving.version ? rollbackIfBetter(restarted, base, summary, evidence) : null;
  if (rollback) return rollback;
  if (test.version !== serving.version) {
    // A replaced version's late labels: its tests have told what they can, they stop here.
    const rest = { ...restarted, trailing: restarted.trailing.filter((t) => t.version !== test.version) };
    if (rise?.where !== 'reign') {
      // Worse than promised from its first row: the problem its replacement already answers.
      const explanation: Explanation = {
        signal: test.label === null ? 'level' : 'minority',
        summary,
        evidence: { ...base, actionable: false },
        decision: `no retrain: v${test.version} no longer serves and no change was located while it served`,
        cost: null,
      };
      return { state: rest, actions: [], explanation };
    }
    return decideOnChange(rest, alarm, change, base, summary, evidence, info.since);
  }
  return decideOnChange(restarted, alarm, change, base, summary, evidence, info.since);
}

function decideOnChange(
  restarted: PolicyState,
  alarm: LevelAlarm,
  change: number,
  base: Explanation['evidence'],
  summary: string,
  evidence: Evidence,
  since: number,
): Handled {
  const { config } = restarted;
  const serving = restarted.serving!;
  const info = restarted.versions[serving.version]!;
  const test = alarm.test;

  if (since < change - config.actionableMargin)
    return retrainFrom(restarted, alarm, change, base, summary, evidence);
  if (since < alarm.runStartAt - config.actionableMargin && test.version === serving.version) {
    // The rise located on the lineage is older than the serving version's window, but its own
    // errors rose above what its window promised from `runStartAt` on: the regime moved on after
    // its window (gradual drift). Retrain from there.
    const moved = {
      ...base,
      changeAt: alarm.runStartAt,
      located: "CUSUM run start (the regime moved after the version's window)",
    };
    return retrainFrom(restarted, alarm, alarm.runStartAt, moved, summary, evidence);
  }
  const own = test.version === serving.version;
  const next = own
    ? rebaselined(test, serving.errors, serving.outcomes, config, evidence.now.position)
    : restartLevelTest(test, evidence.now.position);
  const explanation: Explanation = {
    signal: test.label === null ? 'level' : 'minority',
    summary,
    evidence: { ...base, actionable: false, newPromise: next.b },
    decision: own
      ? `no retrain: v${serving.version} was trained from position ${info.since}, not before the located rise at ${change}, so a retrain would see the same regime; its promise becomes ${pct(next.b)} (drift accepted)`
      : `no retrain: the serving v${serving.version} was trained from position ${info.since}, after the rise at ${change} that v${test.version} met`,
    cost: null,
  };
  const actions: PolicyAction[] = own
    ? [{ type: 'accept_drift', kind: 'level', features: [], explanation }]
    : [];
  return { state: replaceTest(restarted, next), actions, explanation };
}

/** The version replaced by the serving one, scored on the same rows, is better: go back to it. */
function rollbackIfBetter(
  state: PolicyState,
  base: Explanation['evidence'],
  summary: string,
  evidence: Evidence,
): Handled | null {
  const serving = state.serving!;
  const shadow = serving.shadow;
  if (!shadow || shadow.n < 30) return null;
  const { config } = state;
  const cmp = mcnemarFromCounts(shadow.previousOnly, shadow.servingOnly, shadow.n, {
    confidence: config.gateConfidence,
  });
  if (!(cmp.lowerBound > 0)) return null;
  const next = startServing(state, shadow.version, evidence.now.position, evidence.lineage, serving.version);
  const explanation: Explanation = {
    signal: 'rollback',
    summary,
    evidence: {
      ...base,
      previous: shadow.version,
      pairedRows: shadow.n,
      previousBetterBy: cmp.difference,
      lowerBound: cmp.lowerBound,
    },
    decision: `roll back to v${shadow.version}: on the same ${shadow.n} rows it is better by ${pct(cmp.difference)} (${config.gateConfidence * 100}% lower bound ${pct(cmp.lowerBound)}, exact McNemar); no training needed`,
    cost: null,
  };
  return {
    state: next,
    actions: [{ type: 'rollback', from: serving.version, to: shadow.version, explanation }],
    explanation,
  };
}

type Explain = (decision: string, extra?: Explanation['evidence'], cost?: Explanation['cost']) => Explanation;

/** Explanations of an actionable alarm: its summary and evidence, with a decision. */
function alarmExplainer(
  signal: 'level' | 'minority',
  summary: string,
  base: Explanation['evidence'],
): Explain {
  return (decision, extra = {}, cost = null) => ({
    signal,
    summary,
    evidence: { ...base, actionable: true, ...extra },
    decision,
    cost,
  });
}

function retrainFrom(
  state: PolicyState,
  alarm: LevelAlarm,
  change: number,
  base: Explanation['evidence'],
  summary: string,
  evidence: Evidence,
): Handled {
  const { config } = state;
  const serving = state.serving!;
  if (change > serving.regimeSince + config.actionableMargin && change > (serving.laterChange ?? -1)) {
    state = { ...state, serving: { ...serving, laterChange: change } };
  }
  const signal = alarm.test.label === null ? 'level' : 'minority';
  const explain = alarmExplainer(signal, summary, base);
  const retrains = state.jobs.filter((j) => j.trigger !== 'growth' && j.trigger !== 'bootstrap');
  const waiting = retrains.find((j) => j.status === 'waiting');
  const training = retrains.find((j) => j.status === 'training');
  if (waiting && change > waiting.since + config.actionableMargin) {
    // Only a real rise moves the job: the rows from its start to the located change kept the
    // serving version's promise (not significantly above it) and the errors rose there. When they
    // already erred above it, the located point is noise inside the new regime and the job's start
    // already follows the change.
    const rise = riseAt(evidence.lineage, waiting.since, change);
    const b = serving.level.b;
    const kept = rise !== null && rise.before <= b + RETARGET_Z * Math.sqrt((b * (1 - b)) / rise.nBefore);
    if (rise && rise.z >= RETARGET_Z && kept) return retargetWaiting(state, waiting, change, explain);
  }
  // A retrain from a located change, in training, covers every alarm on the version it is about
  // to replace: its result serves with fresh tests, or its rejection starts the back-off (a change
  // located after its start, inside its window, was the drift going on while it trained). A
  // forced or data-drift window covers only changes at its start: one located after it is news.
  const covers =
    training && (training.sinceKind === 'change' || change <= training.since + config.actionableMargin);
  const covering = waiting ?? (covers ? training : undefined);
  if (covering) {
    const explanation = explain(
      `no new job: job ${covering.id} (${covering.status}, from position ${covering.since}) already covers this change`,
      { jobId: covering.id },
    );
    return { state, actions: [], explanation };
  }
  const after = afterRejection(state, alarm, change);
  if (after) return queueRetrain(state, signal, after.since, summary, evidence, explain, after.why);
  if (state.labelledTotal < state.cooldownUntil) {
    const explanation = explain(
      `no retrain yet: back-off after ${state.rejections.level} rejected retrain(s), ${state.cooldownUntil - state.labelledTotal} more labelled rows to wait`,
      { cooldownUntil: state.cooldownUntil },
    );
    return { state, actions: [], explanation };
  }
  if (state.rejections.level >= config.maxRejections && alarm.test.version === state.serving!.version)
    return acceptAfterRejections(state, alarm, evidence, explain);
  return queueRetrain(state, signal, change, summary, evidence, explain);
}

/**
 * A level retrain was rejected (its window gave no better model than the serving version), and
 * the errors rose again on rows served only after that: new evidence, which the back-off for the
 * rejected job does not hold back. When the change located now is no later than the rejected
 * window's start, that window was the wrong one (the drift went on, e.g. gradually): the retrain
 * starts where the errors rose again. Repeated rejections still end in "drift accepted".
 */
function afterRejection(
  state: PolicyState,
  alarm: LevelAlarm,
  change: number,
): { since: number; why: string } | null {
  const rejected = state.lastRejected;
  const serving = state.serving!;
  if (!rejected || alarm.test.version !== serving.version || alarm.runStartAt < rejected.at) return null;
  if (state.rejections.level >= state.config.maxRejections) return null;
  if (change > rejected.since + state.config.actionableMargin)
    return {
      since: change,
      why: `the errors rose at ${change}, after the window of the retrain rejected at ${rejected.at}: new evidence, no back-off`,
    };
  return {
    since: alarm.runStartAt,
    why: `a retrain from ${rejected.since} was rejected at ${rejected.at} and the errors rose again from ${alarm.runStartAt}: the drift went on, the retrain starts there (no back-off)`,
  };
}

/** Moves the start of the waiting job to the located change. */
function retargetWaiting(state: PolicyState, waiting: Job, change: number, explain: Explain): Handled {
  const explanation = explain(
    `retarget waiting job ${waiting.id} from position ${waiting.since} to the located change ${change} (P5: its window must not start before the change)`,
    { jobId: waiting.id },
  );
  const jobs = state.jobs.map((j) =>
    j.id === waiting.id ? { ...j, since: change, sinceKind: 'change' as const, championFlagged: true } : j,
  );
  return {
    state: { ...state, jobs },
    actions: [{ type: 'retarget', jobId: waiting.id, from: waiting.since, to: change, explanation }],
    explanation,
  };
}

/** P7: retrains keep failing to beat the serving version, so its promise is re-based instead. */
function acceptAfterRejections(
  state: PolicyState,
  alarm: LevelAlarm,
  evidence: Evidence,
  explain: Explain,
): Handled {
  const { config } = state;
  const serving = state.serving!;
  const test = rebaselined(alarm.test, serving.errors, serving.outcomes, config, evidence.now.position);
  const explanation = explain(
    `no retrain: ${state.rejections.level} retrains in a row could not beat v${serving.version}; its promise becomes ${pct(test.b)} (drift accepted)`,
    { newPromise: test.b },
  );
  const next = { ...replaceTest(state, test), rejections: { ...state.rejections, level: 0 } };
  return {
    state: next,
    actions: [{ type: 'accept_drift', kind: 'level', features: [], explanation }],
    explanation,
  };
}

/** Queues a retrain on the rows from `change` on, cancelling waiting growth jobs of the old regime. */
function queueRetrain(
  state: PolicyState,
  signal: 'level' | 'minority',
  change: number,
  summary: string,
  evidence: Evidence,
  explain: Explain,
  why?: string,
): Handled {
  const { config } = state;
  const available = labelledSince(evidence.lineage, change);
  const cancelled = state.jobs.filter((j) => j.trigger === 'growth' && j.status === 'waiting');
  const queued = queueJob(
    { ...state, jobs: state.jobs.filter((j) => !cancelled.includes(j)) },
    {
      trigger: signal,
      since: change,
      sinceKind: 'change',
      queuedAt: evidence.now,
      championFlagged: true,
      lineageError: lineageErrorBefore(evidence.lineage, change, config.lineageLevelWindow),
      reason: summary,
      // After a rejection it already starts where the errors rose again: it does not move again.
      ...(why ? { movedInWindow: true } : {}),
    },
  );
  const explanation = explain(
    `queue retrain job ${queued.job.id} on the labelled rows served from position ${change} on (${available} now, ${Math.max(0, config.minTrainRows - available)} more needed)${why ? `: ${why}` : ''}`,
    { jobId: queued.job.id },
    { trainingRuns: 1, trainingRows: Math.max(config.minTrainRows, available) },
  );
  return {
    state: queued.state,
    actions: [
      ...cancelled.map((j) => ({
        type: 'cancel_job' as const,
        jobId: j.id,
        explanation: {
          ...explanation,
          decision: `cancel growth job ${j.id}: the regime it would grow has ended`,
        },
      })),
      { type: 'queue_retrain', job: queued.job, explanation },
    ],
    explanation,
  };
}
