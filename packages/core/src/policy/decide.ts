import { clumpingOf, initialClumping, updateClumping } from '@automl-stream/drift';
import { handleAlarm } from './alarms.ts';
import type { PolicyConfig } from './config.ts';
import { evaluateChunks } from './data-drift.ts';
import { growthDue, jobActions } from './jobs.ts';
import { feedLevelTest, type LevelAlarm } from './level.ts';
import { queueJob } from './transitions.ts';
import type {
  Decision,
  Evidence,
  Explanation,
  LevelTest,
  PolicyAction,
  PolicyState,
  Serving,
  TrailingTests,
  Verdict,
} from './types.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The check, as a pure decision: evidence in, actions out (P3–P7). Labels decide and features
 * warn: a retrain is queued on a level-test alarm (the serving version errs above what it
 * promised), located on the lineage's error stream; data drift alone warns unless no labels come
 * in. Growth retrains, job readiness, retargeting and wait timeouts are decided here too.
 */
export function decide(state: PolicyState, evidence: Evidence): Decision {
  const actions: PolicyAction[] = [];
  const explanations: Explanation[] = [];
  let s: PolicyState = {
    ...state,
    labelledTotal: state.labelledTotal + evidence.newOutcomes.length,
    clumping: updateClumping(state.clumping ?? initialClumping(), evidence.newOutcomes.wrong),
  };

  if (!s.serving) {
    if (!s.jobs.some((j) => j.trigger === 'bootstrap')) {
      const queued = queueJob(s, {
        trigger: 'bootstrap',
        since: -1,
        sinceKind: 'bootstrap',
        queuedAt: evidence.now,
        championFlagged: false,
        lineageError: null,
        reason: 'bootstrap: no model serves yet',
      });
      s = queued.state;
      const explanation: Explanation = {
        signal: 'bootstrap',
        summary: 'no model serves yet',
        evidence: { labelled: s.labelledTotal, minTrainRows: s.config.minTrainRows },
        decision: `queue the bootstrap: it trains once ${s.config.minTrainRows} labelled rows are in`,
        cost: { trainingRuns: 1, trainingRows: s.config.minTrainRows },
      };
      actions.push({ type: 'queue_retrain', job: queued.job, explanation });
      explanations.push(explanation);
    }
  } else {
    const burst = s.config.burstAware ? clumpingOf(s.clumping!).factor : 1;
    const fed = feedServing(s.serving, evidence, s.config, burst);
    const trailing = feedTrailing(s.trailing, evidence, s.config, burst);
    s = { ...s, serving: fed.serving, trailing: trailing.trailing };
    explanations.push(levelStatus(fed.serving));
    for (const alarm of [...trailing.alarms, ...fed.alarms]) {
      const handled = handleAlarm(s, alarm, evidence);
      s = handled.state;
      actions.push(...handled.actions);
      explanations.push(handled.explanation);
      if (handled.actions.some((a) => a.type === 'rollback')) break;
    }
    const data = evaluateChunks(s, evidence);
    s = data.state;
    actions.push(...data.actions);
    explanations.push(...data.explanations);
    const growth = growthDue(s, evidence);
    if (growth) {
      s = growth.state;
      actions.push(growth.action);
      explanations.push(growth.action.explanation);
    }
  }
  const jobs = jobActions(s, evidence);
  s = jobs.state;
  actions.push(...jobs.actions);
  explanations.push(...jobs.actions.map((a) => a.explanation));
  return { state: s, actions, verdict: verdictOf(s, actions, explanations) };
}

function verdictOf(state: PolicyState, actions: PolicyAction[], explanations: Explanation[]): Verdict {
  const drift = actions.some(
    (a) =>
      a.type === 'rollback' ||
      a.type === 'retarget' ||
      (a.type === 'queue_retrain' && a.job.trigger !== 'bootstrap' && a.job.trigger !== 'growth'),
  );
  const status = !state.serving
    ? 'insufficient_data'
    : drift || explanations.some((e) => e.signal === 'level' && e.evidence.alarm === true)
      ? 'drift'
      : actions.some((a) => a.type === 'warn')
        ? 'warning'
        : 'ok';
  return { status, explanations };
}

/** Feeds the newly labelled outcomes of the serving version to its level tests and shadow record. */
function feedServing(
  serving: Serving,
  evidence: Evidence,
  config: PolicyConfig,
  burst: number,
): { serving: Serving; alarms: LevelAlarm[] } {
  const since = serving.regimeSince;
  const { shadowOutcomes } = config;
  const o = evidence.newOutcomes;
  const errors: number[] = [];
  const at: number[] = [];
  const labels: number[] = [];
  let shadow = serving.shadow;
  let regime = 0;
  for (let i = 0; i < o.length; i++) {
    if (o.version[i] !== serving.version || o.servedAt[i]! < serving.servingFrom) continue;
    errors.push(o.wrong[i]!);
    at.push(o.servedAt[i]!);
    labels.push(o.label[i]!);
    const prev = o.previousWrong?.[i] ?? -1;
    if (shadow && prev >= 0) {
      const right = o.wrong[i] === 0;
      shadow = {
        ...shadow,
        n: shadow.n + 1,
        servingOnly: shadow.servingOnly + (right && prev === 1 ? 1 : 0),
        previousOnly: shadow.previousOnly + (!right && prev === 0 ? 1 : 0),
      };
    }
  }
  for (let i = 0; i < o.length; i++) if (o.servedAt[i]! >= since) regime++;
  const tests = feedTests(serving.level, serving.minority, { errors, at, labels }, config, burst);
  const { level, minority, alarms } = tests;
  let wrong = 0;
  for (const e of errors) wrong += e;
  return {
    serving: {
      ...serving,
      outcomes: serving.outcomes + errors.length,
      errors: serving.errors + wrong,
      level,
      minority,
      shadow: shadow && shadow.n >= shadowOutcomes ? null : shadow,
      regimeLabelled: serving.regimeLabelled + regime,
    },
    alarms,
  };
}

/** Feeds a version's overall and per-class tests its outcomes (errors, serve positions, labels). */
function feedTests(
  level: LevelTest,
  minority: LevelTest[],
  outcomes: { errors: number[]; at: number[]; labels: number[] },
  config: PolicyConfig,
  burst: number,
): { level: LevelTest; minority: LevelTest[]; alarms: LevelAlarm[] } {
  const { errors, at, labels } = outcomes;
  const alarms: LevelAlarm[] = [];
  const fedLevel = feedLevelTest(level, errors, at, config, burst);
  if (fedLevel.alarm) alarms.push(fedLevel.alarm);
  const fedMinority = minority.map((test) => {
    const mine = errors.filter((_, i) => labels[i] === test.label);
    const mineAt = at.filter((_, i) => labels[i] === test.label);
    const fed = feedLevelTest(test, mine, mineAt, config, burst);
    if (fed.alarm) alarms.push(fed.alarm);
    return fed.test;
  });
  return { level: fedLevel.test, minority: fedMinority, alarms };
}

/**
 * Outcomes of replaced versions that arrive late go to their own tests. A replaced version is
 * dropped once outcomes served after its reign arrive (labels come in serve order).
 */
function feedTrailing(
  trailing: TrailingTests[],
  evidence: Evidence,
  config: PolicyConfig,
  burst: number,
): { trailing: TrailingTests[]; alarms: LevelAlarm[] } {
  if (trailing.length === 0) return { trailing, alarms: [] };
  const o = evidence.newOutcomes;
  const alarms: LevelAlarm[] = [];
  let newest = -1;
  for (let i = 0; i < o.length; i++) newest = Math.max(newest, o.servedAt[i]!);
  const kept: TrailingTests[] = [];
  for (const t of trailing) {
    const errors: number[] = [];
    const at: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < o.length; i++) {
      if (o.version[i] !== t.version) continue;
      errors.push(o.wrong[i]!);
      at.push(o.servedAt[i]!);
      labels.push(o.label[i]!);
    }
    const fed = feedTests(t.level, t.minority, { errors, at, labels }, config, burst);
    alarms.push(...fed.alarms);
    if (newest < t.servedUntil) kept.push({ ...t, level: fed.level, minority: fed.minority });
  }
  return { trailing: kept, alarms };
}

function levelStatus(serving: Serving): Explanation {
  const t = serving.level;
  return {
    signal: 'level',
    summary: `v${serving.version}: CUSUM ${t.cusum.statistic.toFixed(2)} of h ${t.h.toFixed(2)} over ${serving.outcomes} labelled outcomes (error ${serving.outcomes ? pct(serving.errors / serving.outcomes) : 'n/a'}, promised ${pct(t.b)})`,
    evidence: {
      statistic: t.cusum.statistic,
      threshold: t.h,
      promised: t.b,
      baseline: t.baseline,
      tunedFor: t.p1,
      arl0: t.arl0,
      expectedDelay: t.arl1,
      outcomes: serving.outcomes,
      liveError: serving.outcomes ? serving.errors / serving.outcomes : null,
      alarm: false,
    },
    decision: 'no alarm: labels show no loss beyond the promise',
    cost: null,
  };
}
