/**
 * Per-seed measurements of one strategy's run, small enough to send from a worker thread.
 */
import type { RunRecord } from './replay.ts';

/** Triggers that count as retrains ("drift- or level-triggered"); growth and the bootstrap do not. */
export const RETRAIN_TRIGGERS = new Set(['level', 'minority', 'data']);

export interface StrategySummary {
  accuracy: number;
  scored: number;
  /** Every training run: bootstrap, growth, retrains, candidates, baselines' scheduled ones. */
  trainings: number;
  retrainsQueued: number;
  growth: number;
  trainingSeconds: number;
  /** Rows from the first true change to the first reaction (retrain queued, retarget, rollback), null when none. */
  delay: number | null;
  /** Accuracy over named row ranges. */
  windows: Record<string, number>;
}

export function accuracyBetween(record: RunRecord, from: number, to: number): number {
  let right = 0;
  let n = 0;
  for (let i = from; i < Math.min(to, record.correct.length); i++) {
    if (!record.scored[i]) continue;
    n++;
    right += record.correct[i]!;
  }
  return n === 0 ? Number.NaN : right / n;
}

/** The first reaction of a strategy at or after `change`: for the policy its decisions, for baselines their next training. */
export function reactionAfter(record: RunRecord, change: number, policy: boolean): number | null {
  if (policy) {
    const e = record.events.find(
      (e) =>
        e.at >= change &&
        ((e.type === 'queue' && RETRAIN_TRIGGERS.has(e.trigger ?? '')) ||
          e.type === 'retarget' ||
          e.type === 'rollback'),
    );
    return e ? e.at - change : null;
  }
  const t = record.trainings.find((t) => t.at >= change && t.trigger !== 'bootstrap');
  return t ? t.at - change : null;
}

export function summarize(
  record: RunRecord,
  options: { policy: boolean; changes: readonly number[]; windows: Record<string, [number, number]> },
): StrategySummary {
  const windows: Record<string, number> = {};
  for (const [name, [a, b]] of Object.entries(options.windows)) windows[name] = accuracyBetween(record, a, b);
  let scored = 0;
  for (let i = 0; i < record.scored.length; i++) scored += record.scored[i]!;
  const first = options.changes[0];
  return {
    accuracy: accuracyBetween(record, 0, record.correct.length),
    scored,
    trainings: record.trainings.length,
    retrainsQueued: options.policy
      ? record.events.filter((e) => e.type === 'queue' && RETRAIN_TRIGGERS.has(e.trigger ?? '')).length
      : record.trainings.filter((t) => t.trigger !== 'bootstrap' && t.trigger !== 'growth').length,
    growth: record.trainings.filter((t) => t.trigger === 'growth').length,
    trainingSeconds: record.trainings.reduce((s, t) => s + t.seconds, 0),
    delay: first === undefined ? null : reactionAfter(record, first, options.policy),
    windows,
  };
}
