import {
  bernoulliCusumDesign,
  cusumThreshold,
  initialCusumState,
  updateBernoulliCusum,
  wilsonInterval,
} from '@automl-stream/drift';
import type { PolicyConfig } from './config.ts';
import type { LevelTest, VersionInfo } from './types.ts';

/** Largest run length the committed threshold table covers. */
const MAX_ARL0 = 1e7;
/** Largest promised error the table covers; a model promising worse is tested as if it promised this. */
const MAX_PROMISE = 0.9;

function upperBound(errors: number, n: number, confidence: number): number {
  return wilsonInterval(errors, n, { confidence, alternative: 'less' }).upper;
}

/**
 * The error rate a version promised (P4b): the Wilson upper bound of its hold-out error. A version
 * not trained from a located change or the bootstrap (a forced window, a manual promotion) may have
 * a hold-out that straddles a change (D21): it promises at most the lineage's earlier error plus a
 * margin, so a version worse than what it replaced is caught from its first rows.
 */
export function promisedError(info: VersionInfo, config: PolicyConfig): { b: number; baseline: string } {
  const { n, errors } = info.holdout;
  const bound = n > 0 ? upperBound(errors, n, config.promiseConfidence) : 0.5;
  const source = info.holdout.rows
    ? 'forward error'
    : info.holdout.forward
      ? 'forward error (its rows are serially dependent: out of bag flattered it)'
      : 'hold-out error';
  const worth = info.holdout.rows
    ? ` (${info.holdout.rows} rows whose labels come in runs, worth ${n} independent ones)`
    : '';
  const boundText = `Wilson ${config.promiseConfidence * 100}% upper bound of the ${source} ${errors}/${n}${worth}`;
  const clean = info.sinceKind === 'change' || info.sinceKind === 'bootstrap';
  if (clean || info.lineageError === null) return { b: bound, baseline: boundText };
  const cap = info.lineageError + config.lineageMargin;
  return cap < bound
    ? {
        b: cap,
        baseline: `lineage error ${info.lineageError.toFixed(4)} + ${config.lineageMargin} (the ${boundText}, ${bound.toFixed(4)}, is not trusted: its window starts at a ${info.sinceKind} point, not a located change)`,
      }
    : { b: bound, baseline: boundText };
}

function levelTest(
  version: number,
  label: number | null,
  b: number,
  baseline: string,
  arl0: number,
  at: number,
): LevelTest {
  const t = cusumThreshold(Math.min(b, MAX_PROMISE), Math.min(MAX_ARL0, arl0));
  return {
    version,
    label,
    b,
    baseline,
    p0: t.p0,
    p1: t.p1,
    h: t.h,
    arl0: Math.min(MAX_ARL0, arl0),
    arl1: t.arl1,
    cusum: initialCusumState(),
    runStartAt: at,
    live: { n: 0, errors: 0 },
    tightened: false,
  };
}

/**
 * The level tests of a version that starts serving at `at`: one on all its outcomes, and one per
 * class rarer than `minorityShare` of its hold-out on that class's outcomes (P4c), their run
 * lengths Bonferroni-adjusted (ARL₀ × number of minority tests).
 */
export function levelTestsFor(
  info: VersionInfo,
  config: PolicyConfig,
  at: number,
): { level: LevelTest; minority: LevelTest[] } {
  const promise = promisedError(info, config);
  const level = levelTest(info.version, null, promise.b, promise.baseline, config.arl0, at);
  // A class whose promised error is above MAX_PROMISE has no rise left to detect: no test.
  const rare = info.holdout.classes
    .filter((c) => c.n > 0 && c.n / info.holdout.n < config.minorityShare)
    .map((c) => ({ ...c, b: upperBound(c.errors, c.n, config.promiseConfidence) }))
    .filter((c) => c.b <= MAX_PROMISE);
  const minority = rare.map((c) =>
    levelTest(
      info.version,
      c.label,
      c.b,
      `Wilson ${config.promiseConfidence * 100}% upper bound of class ${c.label}'s hold-out error ${c.errors}/${c.n}`,
      config.arl0 * rare.length,
      at,
    ),
  );
  return { level, minority };
}

export interface LevelAlarm {
  test: LevelTest;
  /** Serve position of the outcome that crossed h. */
  at: number;
  /** The CUSUM's estimate of where the rise began, and the error rate since then. */
  runStartAt: number;
  runError: number;
  runLength: number;
}

/** Feeds one test its outcomes (errors with their serve positions); stops at an alarm. */
export function feedLevelTest(
  test: LevelTest,
  errors: readonly number[],
  servedAt: readonly number[],
  config?: Pick<PolicyConfig, 'liveOutcomes' | 'liveConfidence'>,
  burst = 1,
): { test: LevelTest; alarm: LevelAlarm | null } {
  const design = burstDesign(bernoulliCusumDesign(test.p0, test.p1, test.h), burst);
  const before = test.cusum.n;
  const { state, alarmAt } = updateBernoulliCusum(test.cusum, design, errors);
  const runStartAt =
    state.runStart >= before && state.runStart - before < servedAt.length
      ? servedAt[state.runStart - before]!
      : state.runStart === state.n
        ? (servedAt[servedAt.length - 1] ?? test.runStartAt) + 1
        : test.runStartAt;
  let wrong = 0;
  for (const e of errors) wrong += e;
  const live = { n: test.live.n + errors.length, errors: test.live.errors + wrong };
  const next = { ...test, cusum: state, runStartAt, live, ...(burst > 1 ? { burst } : {}) };
  if (alarmAt === null) {
    const at = (servedAt[servedAt.length - 1] ?? test.runStartAt) + 1;
    return { test: config ? tightenedByLive(next, config, at, burst) : next, alarm: null };
  }
  return {
    test: next,
    alarm: {
      test: next,
      at: servedAt[alarmAt]!,
      runStartAt,
      runError: state.runLength > 0 ? state.runErrors / state.runLength : 0,
      runLength: state.runLength,
    },
  };
}

/**
 * The CUSUM's steps divided by `burst` (clumping.ts): errors that come in bursts weigh as the
 * independent outcomes they are worth. Dividing the steps is dividing the statistic, so the
 * threshold, the table and the run start stay as designed.
 */
function burstDesign(design: ReturnType<typeof bernoulliCusumDesign>, burst: number) {
  if (!(burst > 1)) return design;
  return { ...design, onError: design.onError / burst, onCorrect: design.onCorrect / burst };
}

/**
 * Once `liveOutcomes` outcomes are in (independent ones: outcomes in bursts count n / burst), a promise above the upper bound of the live error
 * (confidence `liveConfidence`) tightens to it, once, and the CUSUM restarts: a promise from a
 * 150-row hold-out is loose, and a rise from what the version really delivers would otherwise take
 * thousands of outcomes to show (A12). The stricter confidence keeps the false-alarm budget: the
 * bound is below the true error in 1 % of versions, and then only by a little.
 */
export function tightenedByLive(
  test: LevelTest,
  config: Pick<PolicyConfig, 'liveOutcomes' | 'liveConfidence'>,
  at: number,
  burst = 1,
): LevelTest {
  // Errors in bursts: the live outcomes are worth n / burst independent ones (clumping.ts).
  const worth = Math.max(1, burst);
  const n = Math.floor(test.live.n / worth);
  if (test.tightened || n < config.liveOutcomes) return test;
  const bound = upperBound(Math.min(n, Math.round(test.live.errors / worth)), n, config.liveConfidence);
  if (!(bound < test.b)) return { ...test, tightened: true };
  const bursts =
    worth > 1 ? `, worth ${Math.round(test.live.n / worth)} independent outcomes (errors in bursts)` : '';
  const tightened = levelTest(
    test.version,
    test.label,
    bound,
    `tightened after ${test.live.n} live outcomes${bursts}: Wilson ${config.liveConfidence * 100}% upper bound of the live error ${test.live.errors}/${test.live.n} (was ${test.baseline})`,
    test.arl0,
    at,
  );
  return { ...tightened, live: test.live, tightened: true };
}

/** A fresh start of the same test (after an alarm was handled or a version starts serving again). */
export function restartLevelTest(test: LevelTest, at: number): LevelTest {
  return { ...test, cusum: initialCusumState(), runStartAt: at };
}

/** A new promise from live evidence: the Wilson upper bound of the errors seen (when a drift is accepted). */
export function rebaselined(
  test: LevelTest,
  errors: number,
  n: number,
  config: PolicyConfig,
  at: number,
): LevelTest {
  const b = Math.max(test.b, upperBound(errors, n, config.promiseConfidence));
  const baseline = `accepted: Wilson ${config.promiseConfidence * 100}% upper bound of the live error ${errors}/${n}`;
  // Already a live promise: it does not tighten again.
  return { ...levelTest(test.version, test.label, b, baseline, test.arl0, at), tightened: true };
}
