/**
 * One seed of one scenario: the policy's run, the baselines on the same rows, the scenario's own
 * measurements. Runs in a worker thread (worker.ts) or inline.
 */
import type { PolicyConfig } from '../../packages/core/src/policy/index.ts';
import { summarize } from './measure.ts';
import { PolicyRun } from './policy-run.ts';
import { TrainingCache } from './replay.ts';
import type { ScheduleSearch, SeedResult, SeedSetup } from './scenarios.ts';
import { ALL_SCENARIOS } from './scenarios-more.ts';
import { type Plan, planName, runSchedule } from './schedule-run.ts';
import { forestTrainer, type Trainer } from './trainer.ts';

/** Every position set of up to `retrains` positions, ascending, drawn from `positions`. */
function positionSets(positions: number[], retrains: number): number[][] {
  if (retrains === 0) return [[]];
  const sets: number[][] = [[]];
  positions.forEach((p, i) => {
    for (const rest of positionSets(positions.slice(i + 1), retrains - 1)) sets.push([p, ...rest]);
  });
  return sets;
}

/** The position sets a search tries on a stream of `n` rows whose bootstrap needs `firstRows`. */
function searchPositions(search: ScheduleSearch, n: number, firstRows: number): number[][] {
  if (search.kind === 'evenly')
    return search.starts.map((start) => {
      const set: number[] = [];
      for (let p = start; p < n; p += search.every) set.push(p);
      return set;
    });
  const positions: number[] = [];
  for (let p = search.step; p < n; p += search.step) if (p > firstRows) positions.push(p);
  return positionSets(positions, search.retrains).filter((set) => set.length > 0);
}

async function searchSchedules(
  search: ScheduleSearch,
  setup: SeedSetup,
  cache: TrainingCache,
): Promise<NonNullable<SeedResult['searched']>> {
  const out: NonNullable<SeedResult['searched']> = {};
  const n = setup.stream.labels.length;
  for (const positions of searchPositions(search, n, setup.settings.minTrainRows)) {
    for (const window of search.windows) {
      const plan: Plan = { kind: 'at', positions, window };
      const r = await runSchedule(setup.stream, setup.settings, setup.config, cache, plan, setup.events);
      const s = summarize(r, { changes: setup.stream.changes, windows: {}, policy: false });
      out[planName(plan)] = { accuracy: s.accuracy, trainings: s.trainings };
    }
  }
  return out;
}

export async function runSeed(
  id: string,
  seed: number,
  trainer: Trainer = forestTrainer(),
  overrides: Partial<PolicyConfig> = {},
  searchOnRequest = false,
): Promise<SeedResult> {
  const scenario = ALL_SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`no scenario ${id}`);
  if (scenario.custom)
    return { id, seed, policy: null, baselines: {}, extra: await scenario.custom(seed, trainer) };
  const setup = scenario.setup!(seed, trainer);
  setup.config = { ...setup.config, ...overrides };
  setup.settings = { ...setup.settings, outOfBag: Boolean(setup.config.outOfBagGate) };
  const cache = new TrainingCache(setup.stream, trainer);
  const run = new PolicyRun(setup.stream, setup.settings, setup.config, cache);
  const record = await run.run(setup.events);
  // A version promoted by hand is a change the oracle knows about, like a change of the stream.
  const changes = [
    ...setup.stream.changes,
    ...setup.events.filter((e) => e.type === 'manual_promotion').map((e) => e.at),
  ].sort((a, b) => a - b);
  const options = { changes, windows: scenario.windows };
  const policy = summarize(record, { ...options, policy: true });
  const plans: Plan[] = [{ kind: 'never' }];
  if (scenario.everyN) {
    plans.push(...scenario.everyN.map((n) => ({ kind: 'every' as const, n })), { kind: 'oracle', changes });
  }
  const baselines: SeedResult['baselines'] = {};
  for (const plan of plans) {
    const r = await runSchedule(setup.stream, setup.settings, setup.config, cache, plan, setup.events);
    baselines[planName(plan)] = summarize(r, { ...options, policy: false });
  }
  const search = scenario.search;
  const searched =
    search && (!search.onRequest || searchOnRequest)
      ? await searchSchedules(search, setup, cache)
      : undefined;
  const extra = scenario.measure ? await scenario.measure({ seed, setup, record, trainer, run }) : {};
  return { id, seed, policy, baselines, searched, extra };
}
