/**
 * The baselines, on the same rows as the policy in the same run: never retrain; retrain every N
 * labelled rows on the newest N; an oracle that knows the true change points. Every baseline starts
 * from the same bootstrap version as the policy (one training, shared), serves its models with the
 * same latency, and promotes every model it trains (no gate).
 */
import { growthFactorOf, type PolicyConfig } from '../../packages/core/src/policy/index.ts';
import type { LoopEvent } from './policy-run.ts';
import {
  type LoopSettings,
  Replay,
  type RunRecord,
  type TrainingCache,
  trainingWindow,
  type Window,
} from './replay.ts';
import type { LoopStream } from './streams.ts';

export type Plan =
  | { kind: 'never' }
  | { kind: 'every'; n: number }
  | { kind: 'oracle'; changes: readonly number[] }
  /** Retrain once the labelled rows reach each position, on the newest `window` rows (null: all). */
  | { kind: 'at'; positions: readonly number[]; window: number | null };

export function planName(plan: Plan): string {
  if (plan.kind === 'every') return `every ${plan.n}`;
  if (plan.kind === 'at') return `at ${plan.positions.join(',')} on ${plan.window ?? 'all'}`;
  return plan.kind;
}

/** The window of an `at` plan's next retrain, once the labelled rows reach its next position. */
function atWindow(plan: Extract<Plan, { kind: 'at' }>, done: number, labelled: number): Window | null {
  const next = plan.positions[done];
  if (next === undefined || labelled < next) return null;
  return { from: Math.max(0, labelled - (plan.window ?? labelled)), to: labelled, holdout: 0 };
}

/**
 * The oracle's growth follows the policy's rule (P5): it is the policy with perfect change
 * detection and no gate, so it bounds what detection alone can gain.
 */
function oracleWindow(
  plan: Extract<Plan, { kind: 'oracle' }>,
  state: { regime: number; trainRows: number; done: Set<number> },
  labelled: number,
  settings: LoopSettings,
  config: PolicyConfig,
): Window | null {
  for (const c of plan.changes) {
    if (state.done.has(c) || labelled - c < settings.minTrainRows) continue;
    state.done.add(c);
    state.regime = c;
    return { from: Math.max(c, labelled - settings.trainWindow), to: labelled, holdout: 0 };
  }
  const regimeRows = labelled - state.regime;
  const window = Math.min(regimeRows, settings.trainWindow);
  const kind = state.regime > 0 ? 'change' : 'bootstrap';
  const factor = growthFactorOf({ sinceKind: kind, trainRows: state.trainRows }, config);
  if (
    regimeRows >= factor * state.trainRows &&
    regimeRows >= state.trainRows + config.growthMinExtra &&
    window >= 1.5 * state.trainRows
  ) {
    return { from: labelled - window, to: labelled, holdout: 0 };
  }
  return null;
}

export async function runSchedule(
  stream: LoopStream,
  settings: LoopSettings,
  config: PolicyConfig,
  cache: TrainingCache,
  plan: Plan,
  events: readonly LoopEvent[],
): Promise<RunRecord> {
  const replay = new Replay(stream, settings, cache);
  const name = planName(plan);
  const manual = events.filter((e) => e.type === 'manual_promotion').sort((a, b) => a.at - b.at);
  let version = 0;
  let training = false;
  let lastTrainedAt = -1;
  let atDone = 0;
  const oracle = { regime: 0, trainRows: 0, done: new Set<number>() };
  const launch = async (window: Window, at: number, trigger: string) => {
    training = true;
    const { model, record, readyAt } = await replay.train(window, at, trigger);
    record.outcome = name;
    oracle.trainRows = record.trainRows;
    replay.pending.push({
      readyAt,
      apply: () => {
        training = false;
        replay.serve(++version, model, Math.round(readyAt * settings.rate), window.from);
      },
    });
  };
  for (let p = 0; p < replay.n; p += settings.batchSize) {
    const end = Math.min(replay.n, p + settings.batchSize);
    replay.applyReady(replay.seconds(p));
    while (manual.length > 0 && manual[0]!.at < end) {
      const event = manual.shift()!;
      if (event.type === 'manual_promotion')
        replay.serve(++version, (await event.build()).model, event.at, -1);
    }
    replay.scoreBatch(p, end, null);
    const labelled = replay.labelledBy(end);
    replay.labelledUpTo = labelled;
    if (training) continue;
    if (!replay.model) {
      if (labelled >= settings.minTrainRows) {
        lastTrainedAt = labelled;
        await launch(trainingWindow(settings, -1, end, labelled), end, 'bootstrap');
      }
      continue;
    }
    if (plan.kind === 'every' && labelled - lastTrainedAt >= plan.n) {
      lastTrainedAt = labelled;
      await launch({ from: Math.max(0, labelled - plan.n), to: labelled, holdout: 0 }, end, name);
    } else if (plan.kind === 'at') {
      const window = atWindow(plan, atDone, labelled);
      if (window) {
        atDone++;
        await launch(window, end, name);
      }
    } else if (plan.kind === 'oracle') {
      const window = oracleWindow(plan, oracle, labelled, settings, config);
      if (window)
        await launch(
          window,
          end,
          window.from === oracle.regime && oracle.done.has(window.from) ? 'change' : 'growth',
        );
    }
  }
  return replay.record;
}
