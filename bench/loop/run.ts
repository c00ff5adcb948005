/**
 * The loop benchmark: the retraining policy (packages/core/src/policy) on the acceptance scenarios
 * A1–A17 of the specification and on real tables, in memory, with the real forest and the real
 * statistics, every stream beside the baselines computed on the same rows in the same run (never
 * retrain; retrain every N rows on the newest N; an oracle that retrains at the true change points).
 *
 *   pnpm bench:loop                 # all scenarios, 20 seeds each (A13: 40)
 *   pnpm bench:loop -- --quick      # 4 seeds each (A13: 8), figures scaled to the seeds run
 *   pnpm bench:loop -- --only A4,A5 --seeds 10 --workers 2
 *   pnpm bench:loop -- --only F1 --search   # also F1's search over evenly spaced schedules (~4 min)
 *
 * Prints one table (per stream and strategy: prequential accuracy, training runs, retrains,
 * growth retrains, detection delay, training seconds) and PASS/FAIL per figure; exits 1 on FAIL.
 * Where a scenario asks (`Scenario.search`: T1, T7), an `(info)` line says whether any fixed
 * schedule within the run budget, chosen after the fact, could meet the accuracy figure.
 * Results go to bench/loop/out/results.json. See bench/loop/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tsWorker } from '../support/worker.ts';
import type { StrategySummary } from './measure.ts';
import type { Figure, Scenario, SeedResult } from './scenarios.ts';
import { ALL_SCENARIOS } from './scenarios-more.ts';
import { TABLES_DIR } from './streams.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const seedsArg = arg('--seeds');
const only = arg('--only')?.split(',');
const workers = Number(arg('--workers') ?? 2);
/** Policy settings to try instead of the defaults (`--set growthFactor=2,cooldownRows=500`); not for results. */
const overrides: Record<string, number> = Object.fromEntries(
  (arg('--set') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [k, v] = kv.split('=');
      return [k!, Number(v)];
    }),
);
const outName = arg('--out') ?? 'results.json';
/** Also the searches too slow for every run (Scenario.search.onRequest: F1's evenly spaced schedules). */
const searchAll = process.argv.includes('--search');

function seedsOf(s: Scenario): number {
  if (seedsArg) return s.id === 'A13' ? 2 * Number(seedsArg) : Math.min(s.seeds, Number(seedsArg));
  if (quick) return Math.max(1, Math.round(s.seeds / 5));
  return s.seeds;
}

const TABLE_FILES = ['digits', 'breast_cancer', 'seattle_weather', 'seattle_temps', 'sf_temps', 'fashion'];
/** The recorded streams need Debian's python3-vega-datasets, the held-out ones dataset-fashion-mnist (tables.py says when one is missing). */
const RECORDED: Record<string, string> = {
  T7: 'seattle_weather',
  T8: 'seattle_temps',
  T9: 'sf_temps',
  F1: 'fashion',
  F2: 'fashion',
  F3: 'fashion',
};

function ensureTables(): void {
  if (TABLE_FILES.every((t) => existsSync(`${TABLES_DIR}${t}.json`))) return;
  execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./tables.py', import.meta.url))], {
    stdio: 'inherit',
  });
}

interface Reply {
  ok: boolean;
  result?: SeedResult;
  error?: string;
}

async function runAll(scenarios: Scenario[]): Promise<SeedResult[]> {
  const tasks = scenarios.flatMap((s) =>
    Array.from({ length: seedsOf(s) }, (_, i) => ({ id: s.id, seed: i + 1, overrides, search: searchAll })),
  );
  const results: SeedResult[] = [];
  let next = 0;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(workers, tasks.length) }, async () => {
      const worker = tsWorker(new URL('./worker.ts', import.meta.url));
      let settle: { resolve: (reply: Reply) => void; reject: (error: unknown) => void } | null = null;
      worker.on('message', (reply: Reply) => settle?.resolve(reply));
      worker.on('error', (error) => settle?.reject(error));
      try {
        while (next < tasks.length) {
          const task = tasks[next++]!;
          const reply = await new Promise<Reply>((resolve, reject) => {
            settle = { resolve, reject };
            worker.postMessage(task);
          });
          if (!reply.ok) throw new Error(`${task.id} seed ${task.seed} failed:\n${reply.error}`);
          results.push(reply.result!);
          done++;
          if (done % 20 === 0 || done === tasks.length) {
            process.stderr.write(
              `  ${done}/${tasks.length} runs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
            );
          }
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : Number.NaN;
};

interface Row {
  name: string;
  accuracy: number;
  trainings: number;
  retrains: number;
  growth: number;
  delay: string;
  seconds: number;
}

function aggregate(name: string, summaries: StrategySummary[]): Row {
  const delays = summaries.map((s) => s.delay).filter((d): d is number => d !== null);
  return {
    name,
    accuracy: mean(summaries.map((s) => s.accuracy)),
    trainings: mean(summaries.map((s) => s.trainings)),
    retrains: mean(summaries.map((s) => s.retrainsQueued)),
    growth: mean(summaries.map((s) => s.growth)),
    delay: delays.length
      ? `${medianOf(delays)}${delays.length < summaries.length ? ` (${delays.length}/${summaries.length})` : ''}`
      : '—',
    seconds: mean(summaries.map((s) => s.trainingSeconds)),
  };
}

function rowsOf(results: SeedResult[]): Row[] {
  const withPolicy = results.filter((r) => r.policy);
  if (withPolicy.length === 0) return [];
  const rows = [
    aggregate(
      'policy',
      withPolicy.map((r) => r.policy!),
    ),
  ];
  for (const name of Object.keys(withPolicy[0]!.baselines))
    rows.push(
      aggregate(
        name,
        withPolicy.map((r) => r.baselines[name]!),
      ),
    );
  return rows;
}

/**
 * "At most half of the best every-N's training runs". Where half of them is below 2 — the bootstrap
 * plus one reaction, the least any policy that reacts to a change needs — the figure cannot be met
 * together with the accuracy figure (docs/policy.md, "Where this differs"): it is printed for
 * information and the figure becomes "no more runs than the best every-N".
 */
function runsFigures(policy: Row, best: Row): Figure[] {
  const half = best.trainings / 2;
  // Two decimals: a mean of 20 seeds is a multiple of 0.05, and 3.05 must not print as 3.0.
  const label = `training runs ≤ half of ${best.name}'s (${best.trainings.toFixed(2)})`;
  const value = policy.trainings.toFixed(2);
  if (half >= 2) return [{ label, value, pass: policy.trainings <= half }];
  return [
    {
      label: `(info) ${label}; half is below bootstrap + one reaction (2)`,
      value: `${value} (${policy.trainings <= half ? 'met' : 'not met'})`,
      pass: true,
    },
    {
      label: `training runs ≤ ${best.name}'s (${best.trainings.toFixed(2)})`,
      value,
      pass: policy.trainings <= best.trainings,
    },
  ];
}

function bestEveryN(rows: Row[]): Row | null {
  const every = rows.filter((r) => r.name.startsWith('every'));
  return every.length ? every.reduce((a, r) => (r.accuracy > a.accuracy ? r : a)) : null;
}

/**
 * What the search over fixed schedules (Scenario.search) found within the run budget, chosen after
 * the fact with every seed's outcome known: whether any of them meets the accuracy figure, and how
 * far the policy is from the best. For information: the figures above stay as the issue states them.
 */
function searchFigures(results: SeedResult[], rows: Row[]): Figure[] {
  const best = bestEveryN(rows);
  const policy = rows.find((r) => r.name === 'policy');
  const names = Object.keys(results[0]?.searched ?? {});
  if (!best || !policy || names.length === 0) return [];
  const budget = best.trainings / 2;
  const within = names
    .map((name) => ({
      name,
      accuracy: mean(results.map((r) => r.searched![name]!.accuracy)),
      trainings: mean(results.map((r) => r.searched![name]!.trainings)),
    }))
    .filter((s) => s.trainings <= budget);
  if (within.length === 0) return [];
  const top = within.reduce((a, s) => (s.accuracy > a.accuracy ? s : a));
  const meets = top.accuracy >= best.accuracy;
  return [
    {
      label: `(info) the best of ${within.length} fixed schedules within the run budget (${budget.toFixed(2)}), chosen after the fact: ${top.name}, ${top.trainings.toFixed(2)} runs`,
      value: `${top.accuracy.toFixed(4)}: ${meets ? 'meets' : 'no schedule searched meets'} the accuracy figure; the policy ${(policy.accuracy - top.accuracy >= 0 ? '+' : '') + ((policy.accuracy - top.accuracy) * 100).toFixed(2)} points`,
      pass: true,
    },
  ];
}

/** The issue's figures for every drifting stream. */
function issueFigures(rows: Row[]): Figure[] {
  const policy = rows.find((r) => r.name === 'policy');
  const oracle = rows.find((r) => r.name === 'oracle');
  const best = bestEveryN(rows);
  if (!policy || !best || !oracle) return [];
  return [
    {
      label: `accuracy ≥ the best every-N (${best.name}: ${best.accuracy.toFixed(4)})`,
      value: policy.accuracy.toFixed(4),
      pass: policy.accuracy >= best.accuracy,
    },
    ...runsFigures(policy, best),
    {
      label: `within 1 point of the oracle (${oracle.accuracy.toFixed(4)})`,
      value: policy.accuracy.toFixed(4),
      pass: policy.accuracy >= oracle.accuracy - 0.01,
    },
  ];
}

function report(scenarios: Scenario[], results: SeedResult[]): { failures: string[]; json: unknown[] } {
  const failures: string[] = [];
  const json: unknown[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  console.log(
    `\n${pad('stream', 8)}${pad('strategy', 12)}${lpad('accuracy', 9)}${lpad('runs', 7)}${lpad('retrains', 9)}${lpad('growth', 7)}${lpad('delay', 12)}${lpad('train s', 9)}`,
  );
  for (const s of scenarios) {
    const mine = results.filter((r) => r.id === s.id).sort((a, b) => a.seed - b.seed);
    if (mine.length === 0) continue;
    console.log(`\n${pad(s.id, 8)}${s.title} (${mine.length} seed${mine.length > 1 ? 's' : ''})`);
    const rows = rowsOf(mine);
    for (const r of rows) {
      console.log(
        `${pad('', 8)}${pad(r.name, 12)}${lpad(r.accuracy.toFixed(4), 9)}${lpad(r.trainings.toFixed(2), 7)}${lpad(r.retrains.toFixed(2), 9)}${lpad(r.growth.toFixed(1), 7)}${lpad(r.delay, 12)}${lpad(r.seconds.toFixed(2), 9)}`,
      );
    }
    const figures = [
      ...s.figures(mine),
      ...(s.everyN ? [...issueFigures(rows), ...searchFigures(mine, rows)] : []),
    ];
    for (const f of figures) {
      console.log(`${pad('', 8)}${f.pass ? 'PASS' : 'FAIL'}  ${f.label}: ${f.value}`);
      if (!f.pass) failures.push(`${s.id}: ${f.label}: ${f.value}`);
    }
    json.push({
      id: s.id,
      title: s.title,
      seeds: mine.length,
      rows,
      figures,
      extra: mine.map((r) => ({ seed: r.seed, ...r.extra })),
      perSeed: mine.map((r) => ({
        seed: r.seed,
        ...Object.fromEntries(
          [['policy', r.policy] as const, ...Object.entries(r.baselines)]
            .filter(([, v]) => v !== null)
            .map(([k, v]) => [k, { accuracy: v!.accuracy, runs: v!.trainings }]),
        ),
      })),
    });
  }
  return { failures, json };
}

async function main(): Promise<void> {
  ensureTables();
  const missing = Object.keys(RECORDED).filter((id) => !existsSync(`${TABLES_DIR}${RECORDED[id]}.json`));
  if (missing.length)
    console.log(
      `${missing.join(', ')} skipped: apt-get install python3-vega-datasets dataset-fashion-mnist, then rerun`,
    );
  const scenarios = ALL_SCENARIOS.filter((s) => (!only || only.includes(s.id)) && !missing.includes(s.id));
  if (scenarios.length === 0)
    throw new Error(
      `--only ${only?.join(',')} names no scenario; ids: ${ALL_SCENARIOS.map((s) => s.id).join(', ')}`,
    );
  const started = performance.now();
  console.log(
    `Loop benchmark: ${scenarios.length} streams, ${quick ? 'quick' : 'full'} (${scenarios.reduce((n, s) => n + seedsOf(s), 0)} runs), ${workers} worker threads${Object.keys(overrides).length ? `, policy overrides ${JSON.stringify(overrides)}` : ''}`,
  );
  const results = await runAll(scenarios);
  const { failures, json } = report(scenarios, results);
  const minutes = (performance.now() - started) / 60_000;
  const out = fileURLToPath(new URL('./out/', import.meta.url));
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}${outName}`, JSON.stringify({ quick, minutes, scenarios: json }, null, 1));
  console.log(
    `\n${failures.length === 0 ? 'PASS' : 'FAIL'}: ${failures.length} figure(s) failed, ${minutes.toFixed(1)} min`,
  );
  for (const f of failures) console.log(`  FAIL ${f}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

await main();
