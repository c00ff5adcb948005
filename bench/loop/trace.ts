/**
 * One seed of one scenario, told as a timeline: the policy's events and trainings, and the
 * accuracy of every strategy per block of rows. For developing the policy, not a figure.
 *
 *   node --import tsx bench/loop/trace.ts A7 3 [block]   (TRACE_FLAGS=1: also every flagged chunk)
 */
import { accuracyBetween, summarize } from './measure.ts';
import { PolicyRun } from './policy-run.ts';
import { TrainingCache } from './replay.ts';
import { ALL_SCENARIOS } from './scenarios-more.ts';
import { type Plan, planName, runSchedule } from './schedule-run.ts';
import { forestTrainer } from './trainer.ts';

const [id = 'A4', seedText = '1', blockText] = process.argv.slice(2);
const scenario = ALL_SCENARIOS.find((s) => s.id === id);
if (!scenario?.setup) throw new Error(`no loop scenario ${id}`);
const seed = Number(seedText);
const trainer = forestTrainer();
const setup = scenario.setup(seed, trainer);
setup.config = { ...setup.config, ...JSON.parse(process.env.POLICY_SET ?? '{}') };
setup.settings = { ...setup.settings, outOfBag: Boolean(setup.config.outOfBagGate) };
const n = setup.stream.labels.length;
const block = Number(blockText ?? (n > 4000 ? 1000 : 200));
const cache = new TrainingCache(setup.stream, trainer);
const run = new PolicyRun(setup.stream, setup.settings, setup.config, cache);
const record = await run.run(setup.events);
console.log(`${id} seed ${seed}: ${setup.stream.description}; changes ${setup.stream.changes.join(', ')}`);
for (const e of record.events) {
  if (e.type === 'feature_flagged' && !process.env.TRACE_FLAGS) continue;
  const rest = Object.entries(e)
    .filter(([k]) => k !== 'at' && k !== 'type')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
    .join(' ');
  console.log(`  ${String(e.at).padStart(6)} ${e.type} ${rest}`);
}
console.log('trainings:');
for (const t of record.trainings)
  console.log(
    `  ${String(t.at).padStart(6)} ${t.trigger.padEnd(9)} [${t.from}, ${t.to}) train ${t.trainRows} → ${t.outcome}`,
  );
const records: [string, typeof record][] = [['policy', record]];
const changes = setup.stream.changes;
const plans: Plan[] = [{ kind: 'never' }];
if (scenario.everyN)
  plans.push(...scenario.everyN.map((k) => ({ kind: 'every' as const, n: k })), { kind: 'oracle', changes });
for (const plan of plans)
  records.push([
    planName(plan),
    await runSchedule(setup.stream, setup.settings, setup.config, cache, plan, setup.events),
  ]);
const header = ['rows'.padEnd(12), ...records.map(([name]) => name.padStart(10))].join('');
console.log(header);
for (let a = 0; a < n; a += block) {
  const cells = records.map(([, r]) =>
    accuracyBetween(r, a, a + block)
      .toFixed(3)
      .padStart(10),
  );
  console.log(`${`${a}-${Math.min(n, a + block)}`.padEnd(12)}${cells.join('')}`);
}
const sums = records.map(([, r]) => summarize(r, { policy: false, changes, windows: {} }));
console.log(`${'all'.padEnd(12)}${sums.map((s) => s.accuracy.toFixed(4).padStart(10)).join('')}`);
console.log(`${'runs'.padEnd(12)}${sums.map((s) => String(s.trainings).padStart(10)).join('')}`);
