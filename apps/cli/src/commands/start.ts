import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '@automl-stream/config';
import { createLogger, type Logger } from '@automl-stream/core';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@automl-stream/db';
import { ensureAdminKey, type RunningServer, startServer } from '@automl-stream/server';
import pino from 'pino';

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

export interface RunningPlatform {
  server: RunningServer;
  embedded: EmbeddedPostgresHandle | null;
  dashboard: ChildProcess | null;
  graphqlUrl: string;
  dashboardUrl: string | null;
  /** A fresh admin key for this run's own clients (dashboard, demo); revoked at the next start. */
  localKey: string | null;
  logger: Logger;
  /** Where the platform's logs go (the terminal shows only what a person needs). */
  logFile: string;
  /** Stops the dashboard, the server (finishing requests) and the embedded Postgres; idempotent. */
  stop(): Promise<void>;
}

/** Builds the dashboard when its build output is missing (first start on a fresh clone). */
export async function ensureDashboardBuilt(print: (line: string) => void): Promise<void> {
  if (existsSync(dashboardEntry)) return;
  print('  building the dashboard (first start only, about 30 s)…');
  await new Promise<void>((resolve, reject) => {
    const vite = path.join(repoRoot, 'node_modules', '.bin', 'vite');
    const child = spawn(existsSync(vite) ? vite : 'npx', existsSync(vite) ? ['build'] : ['vite', 'build'], {
      cwd: dashboardDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`dashboard build failed:\n${stderr.slice(-2000)}`)),
    );
  });
}

/**
 * The whole platform in one process: an embedded Postgres unless DATABASE_URL is set, the GraphQL
 * server with its workers, and the dashboard (a child process serving the SvelteKit build).
 */
export async function startPlatform(options: StartOptions): Promise<RunningPlatform> {
  const { config } = options;
  const print = options.print ?? (() => {});
  mkdirSync(config.database.dataDir, { recursive: true });
  // Logs go to a file so the terminal shows only what a person needs.
  const logFile = path.resolve(config.database.dataDir, 'automl-stream.log');
  const logger = pino(
    { level: config.logLevel, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: logFile, mkdir: true, sync: false }),
  ) as unknown as Logger;

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

  // A failure part-way (port in use, a bad ADMIN_API_KEY) must not leave Postgres or the server running.
  let server: RunningServer | null = null;
  const cleanUp = async () => {
    await server?.stop(5_000).catch(() => {});
    await embedded?.stop().catch(() => {});
  };
  let localKey: string | null = null;
  try {
    server = await startServer({ config, databaseUrl, logger });
    await ensureAdminKey(server.platform, print);
    if (config.auth.enabled) {
      await server.platform.apiKeys.revoke({ name: 'local (automl-stream start)' });
      localKey = (await server.platform.apiKeys.create('local (automl-stream start)', 'admin')).key;
    } else {
      logger.warn('AUTH=off: every request is treated as admin');
      print('  warning: AUTH=off, every request is treated as admin (local experiments only)');
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const running = server;
  const graphqlUrl = `${running.url}/graphql`;

  let dashboard: ChildProcess | null = null;
  let dashboardUrl: string | null = null;
  if (options.dashboard !== false) {
    try {
      // The API is up whatever happens here: a dashboard that cannot be built is reported, not fatal.
      await ensureDashboardBuilt(print);
      const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
      // Jupyter-style: the URL printed for the person at this terminal is a one-time sign-in
      // link; the dashboard's server signs its first visitor in with the local key and keeps the
      // key to itself (the browser gets a session cookie). No ORIGIN: the dashboard then accepts
      // its own pages at 127.0.0.1 and at localhost alike.
      const signInToken = randomBytes(32).toString('base64url');
      dashboardUrl = `http://${host}:${config.server.dashboardPort}/auth/link?token=${signInToken}`;
      const child = spawn(process.execPath, [dashboardEntry], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          PORT: String(config.server.dashboardPort),
          HOST: config.server.host,
          GRAPHQL_URL: graphqlUrl,
          DASHBOARD_SIGNIN_TOKEN: signInToken,
          DASHBOARD_SIGNIN_KEY: localKey ?? '',
        },
      });
      child.stderr?.on('data', (d) => logger.warn({ dashboard: String(d).trim() }));
      child.on('exit', (code, signal) => {
        if (code || (signal && signal !== 'SIGTERM')) {
          logger.error({ code, signal }, 'dashboard exited');
          print(`  the dashboard stopped (exit ${code ?? signal}); see ${logFile}`);
        }
      });
      dashboard = child;
    } catch (error) {
      dashboardUrl = null;
      logger.error({ err: error }, 'dashboard unavailable');
      print(
        `  the dashboard is unavailable (${(error as Error).message.split('\n')[0]}); the API runs without it`,
      );
    }
  }

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
    localKey,
    logger,
    logFile,
    stop: () => {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

export { createLogger };
