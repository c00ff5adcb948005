import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import type { Config } from '@automl-stream/config';
import { createLogger, type Logger, type Platform } from '@automl-stream/core';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@automl-stream/db';
import { ensureAdminKey, type RunningServer, startServer } from '@automl-stream/server';
import pino from 'pino';
import { dashboardBuildIsCurrent } from '../../../dashboard/build-freshness.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const dashboardDir = path.join(repoRoot, 'apps', 'dashboard');
const dashboardEntry = path.join(dashboardDir, 'build', 'index.js');

export interface StartOptions {
  config: Config;
  /** Start the dashboard (building it first when needed). @default true */
  dashboard?: boolean;
  /** Write progress lines (the URLs, the admin key). */
  print?: (line: string) => void;
}

/**
 * The admin key `start` prints, uses for its own clients (the demo) and puts into GraphiQL for the
 * person at this machine: one key per start, never two.
 * - `first-start`: made because the database had no admin key; stored as a hash only, so shown
 *   once; it stays valid (the one to keep);
 * - `this-run`: later starts cannot show that key again, so they make one that is revoked at the
 *   next start;
 * - `configured`: the ADMIN_API_KEY of the environment.
 */
export interface StartKey {
  key: string;
  kind: 'first-start' | 'this-run' | 'configured';
}

export interface RunningPlatform {
  server: RunningServer;
  embedded: EmbeddedPostgresHandle | null;
  dashboard: ChildProcess | null;
  graphqlUrl: string;
  dashboardUrl: string | null;
  /** Null with AUTH=off. */
  adminKey: StartKey | null;
  logger: Logger;
  /** Where the platform's logs go (the terminal shows only what a person needs). */
  logFile: string;
  /** Stops the dashboard, the server (finishing requests) and the embedded Postgres; idempotent. */
  stop(): Promise<void>;
}

const RUN_KEY_NAME = 'local (automl-stream start)';
const DASHBOARD_KEY_NAME = 'dashboard (automl-stream start)';

/** The admin key of this start (see `StartKey`), after revoking the keys of the previous start. */
async function startKey(platform: Platform): Promise<StartKey> {
  const configured = platform.config.auth.adminApiKey;
  // Registers ADMIN_API_KEY, or makes the first admin key of an empty database (printed by us).
  const made = await ensureAdminKey(platform, () => {});
  await platform.apiKeys.revoke({ name: RUN_KEY_NAME });
  if (configured) return { key: configured, kind: 'configured' };
  if (made) return { key: made, kind: 'first-start' };
  return { key: (await platform.apiKeys.create(RUN_KEY_NAME, 'admin')).key, kind: 'this-run' };
}

/**
 * Runs `vite build` in `dir`. Every line it prints, on stdout or stderr, goes to the log; when it
 * fails, the error's message ends with its last lines before the stack trace (the error itself).
 */
export async function buildDashboard(dir: string, logger: Logger, lastLines = 15): Promise<void> {
  // The dashboard's own Vite (the workspace root has none); npx finds one otherwise.
  const vite = path.join(dashboardDir, 'node_modules', '.bin', 'vite');
  const [command, args] = existsSync(vite) ? [vite, ['build']] : ['npx', ['vite', 'build']];
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (raw) => {
      const line = stripVTControlCharacters(raw);
      lines.push(line);
      logger.info({ dashboardBuild: line });
    });
  }
  const outcome = await new Promise<string>((resolve) => {
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => resolve(code === 0 ? '' : `exit ${code ?? signal}`));
  });
  if (outcome === '') return;
  const stack = lines.findIndex((line) => /^\s+at /.test(line));
  const tail = (stack >= 0 ? lines.slice(0, stack) : lines).filter((l) => l.trim() !== '').slice(-lastLines);
  throw new Error(
    `the dashboard build failed (${outcome})` +
      (tail.length ? `:\n${tail.join('\n')}` : ', printing nothing'),
  );
}

/** What `start` prints when the dashboard cannot start: the error, its lines, where the rest is. */
export function dashboardFailureLines(message: string, logFile: string): string[] {
  const [first, ...rest] = message.split('\n');
  return [
    `  the dashboard is unavailable (the API runs without it): ${first}`,
    ...rest.map((line) => `    | ${line}`),
    `  the whole output is in ${logFile}`,
  ];
}

/** Builds the dashboard when its build is missing (a fresh clone) or older than its sources. */
export async function ensureDashboardBuilt(print: (line: string) => void, logger: Logger): Promise<void> {
  if (dashboardBuildIsCurrent(dashboardDir)) return;
  print(
    existsSync(dashboardEntry)
      ? '  rebuilding the dashboard (its sources changed, about 30 s)…'
      : '  building the dashboard (first start only, about 30 s)…',
  );
  await buildDashboard(dashboardDir, logger);
}

/** The platform's logger and the file it writes to (under DATA_DIR). */
function openLog(config: Config): { logger: Logger; logFile: string } {
  mkdirSync(config.database.dataDir, { recursive: true });
  // Logs go to a file so the terminal shows only what a person needs.
  const logFile = path.resolve(config.database.dataDir, 'automl-stream.log');
  const logger = pino(
    { level: config.logLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: logFile, mkdir: true, sync: false }),
  ) as unknown as Logger;
  return { logger, logFile };
}

/** DATABASE_URL, or else an embedded Postgres under DATA_DIR, started here. */
async function startDatabase(
  config: Config,
  print: (line: string) => void,
  logger: Logger,
): Promise<{ embedded: EmbeddedPostgresHandle | null; databaseUrl: string }> {
  let embedded: EmbeddedPostgresHandle | null = null;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    print(`  starting the embedded Postgres (data in ${path.resolve(config.database.dataDir, 'postgres')})…`);
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.dataDir,
      onLog: (line) => logger.debug({ postgres: line }),
    });
    databaseUrl = embedded.url;
  }
  return { embedded, databaseUrl };
}

/** The GraphQL server with its workers, and the admin key of this start (null with AUTH=off). */
async function startApi(
  config: Config,
  databaseUrl: string,
  embedded: EmbeddedPostgresHandle | null,
  print: (line: string) => void,
  logger: Logger,
): Promise<{ server: RunningServer; adminKey: StartKey | null }> {
  // A failure part-way (port in use, a bad ADMIN_API_KEY) must not leave Postgres or the server running.
  let server: RunningServer | null = null;
  const cleanUp = async () => {
    await server?.stop(5_000).catch(() => {});
    await embedded?.stop().catch(() => {});
  };
  let adminKey: StartKey | null = null;
  try {
    // GraphiQL opens with the printed key for the person at this machine (see local-explorer.ts).
    server = await startServer({
      config,
      databaseUrl,
      logger,
      localExplorerKey: () => adminKey?.key ?? null,
    });
    if (config.auth.enabled) {
      adminKey = await startKey(server.platform);
      // Earlier releases gave the dashboard a key of its own; it now signs people in instead.
      await server.platform.apiKeys.revoke({ name: DASHBOARD_KEY_NAME });
    } else {
      logger.warn('AUTH=off: every request is treated as admin');
      print('  warning: AUTH=off, every request is treated as admin (local experiments only)');
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { server, adminKey };
}

interface DashboardSetup {
  config: Config;
  graphqlUrl: string;
  adminKey: StartKey | null;
  print: (line: string) => void;
  logger: Logger;
  logFile: string;
}

/**
 * Builds the dashboard when needed and starts it as a child process; on failure, says why and
 * returns nulls.
 */
async function startDashboard(
  setup: DashboardSetup,
): Promise<{ dashboard: ChildProcess | null; dashboardUrl: string | null }> {
  const { config, print, logger, logFile } = setup;
  try {
    // The API is up whatever happens here: a dashboard that cannot be built is reported, not fatal.
    await ensureDashboardBuilt(print, logger);
    const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
    // Jupyter-style: the URL printed for the person at this terminal is a one-time sign-in
    // link; the dashboard's server signs its first visitor in with the local key and keeps the
    // key to itself (the browser gets a session cookie). No ORIGIN: the dashboard then accepts
    // its own pages at 127.0.0.1 and at localhost alike.
    const signInToken = randomBytes(32).toString('base64url');
    const dashboardUrl = `http://${host}:${config.server.dashboardPort}/auth/link?token=${signInToken}`;
    return { dashboard: spawnDashboard(setup, signInToken), dashboardUrl };
  } catch (error) {
    logger.error({ err: error }, 'dashboard unavailable');
    for (const line of dashboardFailureLines((error as Error).message, logFile)) print(line);
    return { dashboard: null, dashboardUrl: null };
  }
}

/** The dashboard's server (the SvelteKit build), its stderr going to the log. */
function spawnDashboard(setup: DashboardSetup, signInToken: string): ChildProcess {
  const { config, print, logger, logFile } = setup;
  const child = spawn(process.execPath, [dashboardEntry], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      PORT: String(config.server.dashboardPort),
      HOST: config.server.host,
      GRAPHQL_URL: setup.graphqlUrl,
      DASHBOARD_SIGNIN_TOKEN: signInToken,
      DASHBOARD_SIGNIN_KEY: setup.adminKey?.key ?? '',
    },
  });
  child.stderr?.on('data', (d) => logger.warn({ dashboard: String(d).trim() }));
  child.on('exit', (code, signal) => {
    if (code || (signal && signal !== 'SIGTERM')) {
      logger.error({ code, signal }, 'dashboard exited');
      print(`  the dashboard stopped (exit ${code ?? signal}); see ${logFile}`);
    }
  });
  return child;
}

/**
 * The whole platform in one process: an embedded Postgres unless DATABASE_URL is set, the GraphQL
 * server with its workers, and the dashboard (a child process serving the SvelteKit build).
 */
export async function startPlatform(options: StartOptions): Promise<RunningPlatform> {
  const { config } = options;
  const print = options.print ?? (() => {});
  const { logger, logFile } = openLog(config);
  const { embedded, databaseUrl } = await startDatabase(config, print, logger);
  const { server: running, adminKey } = await startApi(config, databaseUrl, embedded, print, logger);
  const graphqlUrl = `${running.url}/graphql`;

  const { dashboard, dashboardUrl } =
    options.dashboard !== false
      ? await startDashboard({ config, graphqlUrl, adminKey, print, logger, logFile })
      : { dashboard: null, dashboardUrl: null };

  let stopping: Promise<void> | null = null;
  const stopAll = async () => {
    dashboard?.kill('SIGTERM');
    await running.stop(10_000);
    await embedded?.stop();
    logger.flush?.();
  };
  return {
    server: running,
    embedded,
    dashboard,
    graphqlUrl,
    dashboardUrl,
    adminKey,
    logger,
    logFile,
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

export { createLogger };
