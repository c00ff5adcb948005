import { clumpingOf, initialClumping, updateClumping } from '@automl-stream/drift';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './policy/config.ts';
import { feedLevelTest, type LevelAlarm, levelTestsFor, rebaselined } from './policy/level.ts';
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
 * a rise at its promotion). A class rarer than a tenth of the hold-out has a test of its own
 * (P4c: its outcomes against its hold-out promise, run lengths Bonferroni-adjusted), so a minority
 * class the model stops recognising is caught while the overall error hardly moves. Pure: tested
 * without a database.
 */

/** The serving version's side of the level test. */
export interface LevelPromise {
  version: number;
  /** Its hold-out: rows and errors (1 − accuracy, in rows), or its forward check's. */
  holdout: { n: number; errors: number };
  /** The hold-out is the forward check's (forward-promise.ts): the window's rows are serially dependent. */
  forward?: boolean;
  /** The rows the forward check scored, when they count as fewer independent ones (`holdout.n`). */
  rows?: number;
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
  /**
   * Its hold-out per true class (label index, rows, errors): a minority class's promise. Absent
   * (versions stored before it was recorded): no minority tests.
   */
  classes?: readonly { label: number; n: number; errors: number }[];
  /** The label's names, by index, for the explanations. */
  classNames?: readonly string[];
}

/** The lineage's labelled outcomes in serve order (1 = wrong), with the version that served each. */
export interface LineageStream {
  wrong: readonly number[];
  at: readonly Date[];
  rowId: readonly (number | null)[];
  version: readonly number[];
  /** The true label of each outcome (absent: no minority tests). */
  label?: readonly number[];
}

/** A minority class's test that alarmed (the overall test did not). */
export interface MinorityAlarm {
  label: number;
  name: string;
  outcomes: number;
  errors: number;
  promised: number;
  baseline: string;
  statistic: number;
  threshold: number;
  arl0: number;
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
  /** The minority class whose own test alarmed while the overall test did not (null otherwise). */
  minority: MinorityAlarm | null;
  /** The factor the CUSUM divided its steps by: the lineage's errors come in bursts (1: independent). */
  burst: number;
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
    label: stream.label ?? new Array<number>(n).fill(0),
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
    holdout: {
      ...promise.holdout,
      classes: stream.label ? [...(promise.classes ?? [])] : [],
      ...(promise.forward ? { forward: true } : {}),
      ...(promise.rows ? { rows: promise.rows } : {}),
    },
    lineageError: lineageErrorBefore(outcomes, reignStart, config.lineageLevelWindow),
    importances: null,
  };
  const tests = levelTestsFor(info, config, reignStart);
  const cut = promise.acceptedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const reign = {
    before: own.filter((i) => stream.at[i]!.getTime() <= cut),
    after: own.filter((i) => stream.at[i]!.getTime() > cut),
  };
  const burst = config.burstAware ? clumpingOf(updateClumping(initialClumping(), stream.wrong)).factor : 1;
  const overall = replay(tests.level, stream, reign, config, burst);
  const minority = overall.alarm
    ? null
    : minorityAlarm(tests.minority, stream, reign, promise, config, burst);
  const alarmed = overall.alarm ?? minority?.alarm ?? null;
  const located = alarmed
    ? locateRise(outcomes, { version: promise.version, servedFrom: reignStart, label: alarmed.test.label })
    : null;
  const t = overall.test;
  const measurement: LevelMeasurement = {
    alarm: alarmed !== null,
    outcomes: overall.fed.length,
    errors: overall.fed.reduce((s, i) => s + stream.wrong[i]!, 0),
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
    accepted: overall.accepted && { ...overall.accepted, at: promise.acceptedAt!.toISOString() },
    minority: minority?.measured ?? null,
    burst,
    reason: '',
  };
  return { ...measurement, reason: levelReason(measurement, promise.version) };
}

/**
 * One test over the version's outcomes (for a minority test, those of its class): re-baselined on
 * the outcomes up to an acceptance (`before`), fed those after it.
 */
function replay(
  test: LevelTest,
  stream: LineageStream,
  reign: { before: readonly number[]; after: readonly number[] },
  config: PolicyConfig,
  burst: number,
): {
  test: LevelTest;
  alarm: LevelAlarm | null;
  accepted: { outcomes: number; errors: number } | null;
  fed: readonly number[];
} {
  const { before, after } = reign;
  let accepted: { outcomes: number; errors: number } | null = null;
  let start = test;
  if (before.length > 0) {
    const errs = before.reduce((s, i) => s + stream.wrong[i]!, 0);
    start = rebaselined(test, errs, before.length, config, after[0] ?? stream.wrong.length);
    accepted = { outcomes: before.length, errors: errs };
  }
  const errors = after.map((i) => stream.wrong[i]!);
  return { ...feedLevelTest(start, errors, after, config, burst), accepted, fed: after };
}

/** The first minority class whose own test alarmed, with what it measured. */
function minorityAlarm(
  tests: readonly LevelTest[],
  stream: LineageStream,
  reign: { before: readonly number[]; after: readonly number[] },
  promise: LevelPromise,
  config: PolicyConfig,
  burst: number,
): { alarm: LevelAlarm; measured: MinorityAlarm } | null {
  if (tests.length === 0 || !stream.label) return null;
  const byClass = new Map(tests.map((t) => [t.label!, { before: [] as number[], after: [] as number[] }]));
  for (const i of reign.before) byClass.get(stream.label[i]!)?.before.push(i);
  for (const i of reign.after) byClass.get(stream.label[i]!)?.after.push(i);
  for (const test of tests) {
    const r = replay(test, stream, byClass.get(test.label!)!, config, burst);
    if (!r.alarm) continue;
    const label = test.label!;
    return {
      alarm: r.alarm,
      measured: {
        label,
        name: promise.classNames?.[label] ?? String(label),
        outcomes: r.fed.length,
        errors: r.fed.reduce((s, i) => s + stream.wrong[i]!, 0),
        promised: r.test.b,
        baseline: r.test.baseline,
        statistic: r.test.cusum.statistic,
        threshold: r.test.h,
        arl0: r.test.arl0,
      },
    };
  }
  return null;
}

function levelReason(m: LevelMeasurement, version: number): string {
  const record = `v${version} erred on ${m.errors} of ${m.outcomes} labelled outcomes (${m.outcomes ? pct(m.errors / m.outcomes) : 'n/a'})`;
  const promise = `promised ${pct(m.promised)} (${m.baseline})`;
  const bursts =
    m.burst > 1
      ? ` (the lineage's errors come in bursts, ${m.burst.toFixed(1)} times the variance of independent ones: each outcome weighs 1/${m.burst.toFixed(1)})`
      : '';
  const test = `CUSUM ${m.statistic.toFixed(2)} of h ${m.threshold.toFixed(2)}, in-control run length ${m.arl0.toExponential(0)} outcomes${bursts}`;
  if (!m.alarm) return `no concept drift: ${record}, ${promise}; ${test}`;
  const where = m.located
    ? `; the errors rose ${pct(m.located.before)} → ${pct(m.located.after)} (z ${m.located.z.toFixed(1)}) ${m.located.where === 'reign' ? 'while it served' : 'where it started serving'}`
    : '';
  if (!m.minority) return `concept drift: ${record} against ${promise}; ${test} crossed${where}`;
  const c = m.minority;
  const cls = `class ${c.name}`;
  const classRecord = `on ${cls}, a minority class, v${version} erred on ${c.errors} of ${c.outcomes} outcomes (${c.outcomes ? pct(c.errors / c.outcomes) : 'n/a'}) against promised ${pct(c.promised)} (${c.baseline})`;
  const classTest = `its CUSUM ${c.statistic.toFixed(2)} of h ${c.threshold.toFixed(2)} crossed (in-control run length ${c.arl0.toExponential(0)}, Bonferroni over the minority classes)`;
  return `concept drift in ${cls}: ${classRecord}; ${classTest}${where}; overall ${record}, ${promise}, not alarmed`;
}
