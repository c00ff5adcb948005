import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './policy/config.ts';
import { feedLevelTest, levelTestsFor, rebaselined } from './policy/level.ts';
import { lineageErrorBefore, locateRise } from './policy/lineage.ts';
import type { LevelTest, Outcomes, SinceKind, VersionInfo } from './policy/types.ts';

/*
 * The labels' side of a drift check (spec P4): does the serving version err above what it
 * promised? A Bernoulli CUSUM over its labelled outcomes, in serve order, against the promise of
 * its hold-out (policy/level.ts: the Wilson upper bound, tightened once by the live record),
 * tuned for an in-control run length of 10⁶ outcomes. The check keeps no state between runs: the
 * test is replayed over the version's outcomes in the lineage stream each time (O(outcomes), a
 * few milliseconds for 20,000). On an alarm the rise is located (policy/lineage.ts: inside the
 * version's own outcomes first, then on the lineage, where a version bad from its first row shows
 * a rise at its promotion). Pure: tested without a database.
 */

/** The serving version's side of the level test. */
export interface LevelPromise {
  version: number;
  /** Its hold-out: rows and errors (1 − accuracy, in rows). */
  holdout: { n: number; errors: number };
  /** Where its training window started: a located change or the bootstrap is "clean" (P4b). */
  sinceKind: SinceKind;
  trainRows: number;
  /**
   * A drift-triggered retrain for this version finished without replacing it (the challenger was
   * no better): the drift is accepted here, the promise re-baselined to the errors served before.
   */
  acceptedAt: Date | null;
  /**
   * When it was (last) promoted: only its outcomes from then on are its reign. A version served
   * again (re-promoted, or promoted back by hand) is not judged by the outcomes that ended its
   * earlier reign. Absent: all its outcomes.
   */
  servingSince?: Date | null;
}

/** The lineage's labelled outcomes in serve order (1 = wrong), with the version that served each. */
export interface LineageStream {
  wrong: readonly number[];
  at: readonly Date[];
  rowId: readonly (number | null)[];
  version: readonly number[];
}

export interface LevelMeasurement {
  alarm: boolean;
  /** The serving version's labelled outcomes the test read (after an acceptance: those after it). */
  outcomes: number;
  errors: number;
  statistic: number;
  threshold: number;
  promised: number;
  baseline: string;
  arl0: number;
  /** Expected outcomes to an alarm when the error is at the rate the test is tuned for. */
  expectedDelay: number;
  tunedFor: number;
  /** Where the serving version's outcomes start in the stream. */
  reignStart: number;
  /** On an alarm: the index in the stream where the errors rose, and the rates either side. */
  located: { index: number; before: number; after: number; z: number; where: 'reign' | 'lineage' } | null;
  accepted: { at: string; outcomes: number; errors: number } | null;
  reason: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The stream as the policy's outcomes: serve positions are indices in it. */
function asOutcomes(stream: LineageStream): Outcomes {
  const n = stream.wrong.length;
  return {
    length: n,
    servedAt: Array.from({ length: n }, (_, i) => i),
    version: stream.version,
    wrong: stream.wrong,
    label: new Array<number>(n).fill(0),
  };
}

/** Replays the serving version's level test over the stream (see the module's comment). */
export function measureLevel(
  stream: LineageStream,
  promise: LevelPromise,
  config: PolicyConfig = DEFAULT_POLICY_CONFIG,
): LevelMeasurement {
  const outcomes = asOutcomes(stream);
  const own: number[] = [];
  const from = promise.servingSince?.getTime() ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < outcomes.length; i++)
    if (stream.version[i] === promise.version && stream.at[i]!.getTime() >= from) own.push(i);
  const reignStart = own[0] ?? outcomes.length;
  const info: VersionInfo = {
    version: promise.version,
    since: -1,
    sinceKind: promise.sinceKind,
    trainRows: promise.trainRows,
    holdout: { ...promise.holdout, classes: [] },
    lineageError: lineageErrorBefore(outcomes, reignStart, config.lineageLevelWindow),
    importances: null,
  };
  let test: LevelTest = levelTestsFor(info, config, reignStart).level;
  let fed = own;
  let accepted: LevelMeasurement['accepted'] = null;
  if (promise.acceptedAt) {
    const cut = promise.acceptedAt.getTime();
    const before = own.filter((i) => stream.at[i]!.getTime() <= cut);
    fed = own.filter((i) => stream.at[i]!.getTime() > cut);
    const errs = before.reduce((s, i) => s + stream.wrong[i]!, 0);
    if (before.length > 0) {
      test = rebaselined(test, errs, before.length, config, fed[0] ?? outcomes.length);
      accepted = { at: promise.acceptedAt.toISOString(), outcomes: before.length, errors: errs };
    }
  }
  const errors = fed.map((i) => stream.wrong[i]!);
  const result = feedLevelTest(test, errors, fed, config);
  const t = result.test;
  const located = result.alarm
    ? locateRise(outcomes, { version: promise.version, servedFrom: reignStart, label: null })
    : null;
  const wrong = errors.reduce((s, e) => s + e, 0);
  const measurement: LevelMeasurement = {
    alarm: result.alarm !== null,
    outcomes: errors.length,
    errors: wrong,
    statistic: t.cusum.statistic,
    threshold: t.h,
    promised: t.b,
    baseline: t.baseline,
    arl0: t.arl0,
    expectedDelay: t.arl1,
    tunedFor: t.p1,
    reignStart,
    located: located && {
      index: located.at,
      before: located.before,
      after: located.after,
      z: located.z,
      where: located.where,
    },
    accepted,
    reason: '',
  };
  return { ...measurement, reason: levelReason(measurement, promise.version) };
}

function levelReason(m: LevelMeasurement, version: number): string {
  const record = `v${version} erred on ${m.errors} of ${m.outcomes} labelled outcomes (${m.outcomes ? pct(m.errors / m.outcomes) : 'n/a'})`;
  const promise = `promised ${pct(m.promised)} (${m.baseline})`;
  const test = `CUSUM ${m.statistic.toFixed(2)} of h ${m.threshold.toFixed(2)}, in-control run length ${m.arl0.toExponential(0)} outcomes`;
  if (!m.alarm) return `no concept drift: ${record}, ${promise}; ${test}`;
  const where = m.located
    ? `; the errors rose ${pct(m.located.before)} → ${pct(m.located.after)} (z ${m.located.z.toFixed(1)}) ${m.located.where === 'reign' ? 'while it served' : 'where it started serving'}`
    : '';
  return `concept drift: ${record} against ${promise}; ${test} crossed${where}`;
}
