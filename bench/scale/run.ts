/**
 * Scale-out benchmark: 2 server replicas + 2 workers on one Postgres against 1 + 1, under the same
 * load. Every role is a process of its own, as deployed (deploy/Dockerfile): servers with
 * WORKERS=false (apps/server/src/main.ts), workers from apps/worker/src/main.ts, and the load
 * generator (bench/scale/load.ts): a fixed number of closed-loop clients doing mixed single-batch
 * predict and labelled ingest over HTTP, spread round-robin over the replicas.
 *
 *   pnpm bench:scale                         # 40 s measured per topology, after 10 s of warm-up
 *   pnpm bench:scale -- --seconds 20 --rounds 2
 *
 * Each topology gets a fresh database with the same seed model. Printed: requests/s and rows/s of
 * each, the ratio 2+2 / 1+1 (PASS at ≥ 1.6×), the CPU count and load average, and where the CPU
 * went during the measured span: each process (servers, workers, load generator) and the Postgres
 * backends serving the run's database, in cores (1.00 = one core busy all the time), against the
 * whole machine's busy cores from /proc/stat.
 *
 * Postgres: a fresh database on DATABASE_URL's server when set, else an embedded Postgres.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberArg } from '../support/args.ts';
import { benchPostgres } from '../support/postgres.ts';
import type { LoadResult, LoadSetup } from './load.ts';

const MEASURE_S = numberArg('seconds', 40);
const WARMUP_S = numberArg('warmup', 10);
const ROUNDS = numberArg('rounds', 1);
const CLIENTS = numberArg('clients', 8);
const TARGET = 1.6;
const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const TICKS = 100; // USER_HZ: /proc times are in 1/100 s on Linux

const ADMIN_KEY = `ams_${randomBytes(8).toString('hex').slice(0, 8)}_${randomBytes(24).toString('base64url')}`;
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** CPU seconds (user + system) a process has used so far, or null when it is gone or not visible. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}
/** The whole machine's busy and total CPU seconds (all cores) from /proc/stat. */
function machineSeconds(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = values.map(Number);
  const idle = n[3]! + n[4]!;
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

interface Role {
  name: string;
  child: ChildProcess;
  output: string[];
}
function startRole(name: string, entry: string, env: Record<string, string>): Role {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, child, output };
}

async function stopRole(role: Role): Promise<void> {
  if (role.child.exitCode !== null || role.child.signalCode !== null) return;
  const exited = new Promise((r) => role.child.once('exit', r));
  role.child.kill('SIGTERM');
  const timer = setTimeout(() => role.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function waitReady(role: Role, url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (role.child.exitCode !== null) throw new Error(`${role.name} exited:\n${role.output.join('')}`);
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`${role.name} not ready in 2 minutes:\n${role.output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function graphql(url: string, query: string, variables: object = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as {
    data?: unknown;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
}

/** Ingests labelled seed rows, asks for a retrain, and waits until predict answers. */
async function seedModel(url: string): Promise<void> {
  const { createStream } = await import('../../packages/streams/src/index.ts');
  const seed = createStream('hyperplane', { seed: 7, nFeatures: 10, magChange: 0.001, noise: 0.05 }).take(
    2000,
  );
  const ingest = await graphql(
    url,
    'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored } }',
    {
      input: seed,
    },
  );
  if (ingest.errors) throw new Error(`seed ingest failed: ${JSON.stringify(ingest.errors)}`);
  await graphql(url, 'mutation { retrain(reason: "bench: seed model") { __typename } }');
  const probe = 'mutation P($input: PredictInput!) { predict(input: $input) { predictions { id } } }';
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await graphql(url, probe, { input: { features: [seed.features[0]] } });
    if (!r.errors) return;
    if (Date.now() > deadline) throw new Error(`no model in 3 minutes: ${JSON.stringify(r.errors)}`);
    await new Promise((res) => setTimeout(res, 500));
  }
}

interface Outcome {
  topology: string;
  load: LoadResult;
  cpu: { name: string; cores: number | null }[];
  postgresCores: number | null;
  postgresBackends: number;
  machineBusyCores: number;
  loadAvg: number;
}

type Database = Awaited<ReturnType<Awaited<ReturnType<typeof benchPostgres>>['freshDatabase']>>;

async function backendPids(database: Database): Promise<number[]> {
  const name = new URL(database.url).pathname.slice(1);
  const rows = await database.sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}

async function runTopology(database: Database, replicas: number): Promise<Outcome> {
  const common = {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
    LOG_LEVEL: 'error',
    HOST: '127.0.0.1',
    AUTH: 'on',
    ADMIN_API_KEY: ADMIN_KEY,
    RATE_LIMIT_PER_MINUTE: '0',
    N_ESTIMATORS: '30',
    MAX_DEPTH: '8',
    TRAIN_WINDOW: '5000',
    MIN_TRAIN_ROWS: '500',
  };
  const roles: Role[] = [];
  try {
    const urls: string[] = [];
    for (let i = 0; i < replicas; i++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const role = startRole(`server ${i + 1}`, 'apps/server/src/main.ts', {
        ...common,
        WORKERS: 'false',
        PORT: String(port),
      });
      roles.push(role);
      await waitReady(role, url);
      urls.push(url);
    }
    for (let i = 0; i < replicas; i++) {
      roles.push(startRole(`worker ${i + 1}`, 'apps/worker/src/main.ts', { ...common, WORKER_PORT: '0' }));
    }
    await seedModel(urls[0]!);
    const setup: LoadSetup = {
      urls,
      authorization: `Bearer ${ADMIN_KEY}`,
      clients: CLIENTS,
      warmupMs: WARMUP_S * 1000,
      measureMs: MEASURE_S * 1000,
    };
    const load = startRole('load generator', 'bench/scale/load.ts', { SCALE_LOAD: JSON.stringify(setup) });
    roles.push(load);
    return await measure(database, roles, load, `${replicas} + ${replicas}`);
  } finally {
    await Promise.all(roles.map(stopRole));
  }
}

/** Waits for the load generator's measured span, reading every process's CPU at its edges. */
async function measure(database: Database, roles: Role[], load: Role, topology: string): Promise<Outcome> {
  const lines = lineReader(load);
  await lines.until('measuring');
  const pgPids = await backendPids(database);
  const snapshot = () => ({
    roles: roles.map((r) => cpuSeconds(r.child.pid!)),
    pg: pgPids.map(cpuSeconds),
    machine: machineSeconds(),
  });
  const before = snapshot();
  await lines.until('measured');
  const after = snapshot();
  const result = JSON.parse(await lines.until('{')) as LoadResult;
  const span = result.seconds;
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : (b - a) / span);
  const pgDeltas = pgPids.map((_, i) => delta(before.pg[i]!, after.pg[i]!));
  const visible = pgDeltas.filter((d): d is number => d !== null);
  const machineCores = cpus().length;
  return {
    topology,
    load: result,
    cpu: roles.map((r, i) => ({ name: r.name, cores: delta(before.roles[i]!, after.roles[i]!) })),
    postgresCores: visible.length ? visible.reduce((a, b) => a + b, 0) : null,
    postgresBackends: pgPids.length,
    machineBusyCores:
      ((after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)) *
      machineCores,
    loadAvg: loadavg()[0]!,
  };
}

function lineReader(role: Role) {
  let buffer = '';
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  role.child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf('\n');
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    async until(prefix: string): Promise<string> {
      for (;;) {
        const at = lines.findIndex((l) => l.startsWith(prefix));
        if (at >= 0) return lines.splice(0, at + 1).pop()!;
        if (role.child.exitCode !== null) throw new Error(`load generator exited:\n${role.output.join('')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          role.child.once('exit', () => r());
        });
      }
    },
  };
}

function print(o: Outcome): void {
  const l = o.load;
  console.log(
    `${o.topology}: ${fmt(l.requests / l.seconds)} requests/s, ${fmt(l.rows / l.seconds, 0)} rows/s ` +
      `(${l.predicts} predicts of 10 rows, ${l.ingests} ingests of 100 rows, ${l.failed} failed in ${fmt(l.seconds)} s); ` +
      `latency p50/p99 ${fmt(l.p50Ms)}/${fmt(l.p99Ms)} ms`,
  );
  if (l.firstError) console.log(`  first error: ${l.firstError}`);
  const cores = (c: number | null) => (c === null ? 'n/a' : fmt(c, 2));
  console.log(
    `  CPU (cores busy): ${o.cpu.map((c) => `${c.name} ${cores(c.cores)}`).join(', ')}, ` +
      `Postgres (${o.postgresBackends} backends) ${cores(o.postgresCores)}; machine ${fmt(o.machineBusyCores, 2)} of ${cpus().length}; load ${fmt(o.loadAvg, 2)}`,
  );
  console.log(`  requests per platform CPU-second (servers + workers + Postgres): ${fmt(perCpuSecond(o))}`);
}

/** Requests served per CPU-second the platform used: the cost of a request, whatever the machine gave. */
function perCpuSecond(o: Outcome): number {
  const platform = o.cpu.filter((c) => c.name !== 'load generator').reduce((a, c) => a + (c.cores ?? 0), 0);
  return o.load.requests / o.load.seconds / (platform + (o.postgresCores ?? 0));
}

const pg = await benchPostgres();
const results: { one: Outcome[]; two: Outcome[] } = { one: [], two: [] };
console.log(
  `scale-out: ${CLIENTS} clients, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured per topology, ${ROUNDS} round(s); ` +
    `${cpus().length} CPUs, load ${loadavg()
      .map((x) => fmt(x, 2))
      .join(' ')}`,
);
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so drift in the machine's load does not favour one side.
    const order = round % 2 === 0 ? [1, 2] : [2, 1];
    for (const replicas of order) {
      const database = await pg.freshDatabase();
      try {
        const outcome = await runTopology(database, replicas);
        print(outcome);
        (replicas === 1 ? results.one : results.two).push(outcome);
      } finally {
        await database.drop();
      }
    }
  }
} finally {
  await pg.stop();
}
const rate = (os: Outcome[]) => os.reduce((a, o) => a + o.load.requests / o.load.seconds, 0) / os.length;
const ratio = rate(results.two) / rate(results.one);
const failed = [...results.one, ...results.two].reduce((a, o) => a + o.load.failed, 0);
console.log(
  `\n${ratio >= TARGET ? 'PASS' : 'FAIL'}  throughput 2+2 / 1+1: ${fmt(ratio, 2)}× (target ≥ ${TARGET}×; ` +
    `${fmt(rate(results.two))} vs ${fmt(rate(results.one))} requests/s, ${failed} failed); ${cpus().length} CPUs, load ${fmt(loadavg()[0]!, 2)}`,
);
// The cost of a request in CPU, whatever share of the machine each topology was given: a second
// replica that made requests dearer (contention in Postgres, duplicated work) shows here.
const efficiency = (os: Outcome[]) => os.reduce((a, o) => a + perCpuSecond(o), 0) / os.length;
const platformCores = (os: Outcome[]) =>
  os.reduce(
    (a, o) =>
      a +
      o.cpu.filter((c) => c.name !== 'load generator').reduce((b, c) => b + (c.cores ?? 0), 0) +
      (o.postgresCores ?? 0),
    0,
  ) / os.length;
console.log(
  `requests per platform CPU-second: 2+2 ${fmt(efficiency(results.two))}, 1+1 ${fmt(efficiency(results.one))} ` +
    `(${fmt(efficiency(results.two) / efficiency(results.one), 2)}×); platform cores busy: 2+2 ${fmt(platformCores(results.two), 2)}, ` +
    `1+1 ${fmt(platformCores(results.one), 2)} of ${cpus().length}`,
);
const machineBusy =
  [...results.one, ...results.two].reduce((a, o) => a + o.machineBusyCores, 0) / (2 * ROUNDS);
if (machineBusy > 0.9 * cpus().length && platformCores(results.two) < 0.5 * cpus().length) {
  console.log(
    `note: the machine was ${fmt((100 * machineBusy) / cpus().length, 0)} % busy while this run's processes used ` +
      `${fmt(platformCores(results.two), 2)} cores: the other processes are the limit, and the ratio above measures the share ` +
      'of the machine each topology was given, not what a second replica adds on free cores.',
  );
}
process.exitCode = ratio >= TARGET && failed === 0 ? 0 : 1;
