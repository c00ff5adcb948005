import type { Config } from '@automl-stream/config';
import { type Logger, Platform } from '@automl-stream/core';
import { runMigrations } from '@automl-stream/db';
import { createServerApp, refuseOpenNetworkWithoutAuth, type ServerApp } from './app.ts';

export interface RunningServer {
  platform: Platform;
  app: ServerApp;
  port: number;
  /** http://host:port (127.0.0.1 when bound to all interfaces). */
  url: string;
  /** Graceful: stop accepting, finish in-flight requests, close subscriptions, release queue jobs. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts one server process: migrations (advisory-locked, so replicas may start together), the
 * platform (pool, LISTEN/NOTIFY, queues, serving model, and the workers unless disabled), then
 * HTTP + WebSocket on `port`.
 */
export async function startServer(options: {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  workers?: boolean;
  port?: number;
  /** The key GraphiQL opens with for the person at this machine (`start` only; see local-explorer.ts). */
  localExplorerKey?: () => string | null;
}): Promise<RunningServer> {
  const { config, logger } = options;
  // Before anything starts: AUTH=off beyond loopback is refused unless forced.
  refuseOpenNetworkWithoutAuth(config, config.server.host);
  if (!config.auth.enabled && config.security.authOffAllowRemote) {
    logger.warn(
      { host: config.server.host },
      'AUTH=off with AUTH_OFF_ALLOW_REMOTE=true: anyone who can reach this port is an admin',
    );
  }
  const migrations = await runMigrations(options.databaseUrl);
  if (migrations.applied > 0) logger.info({ applied: migrations.applied }, 'database migrations applied');
  const platform = new Platform({
    config,
    databaseUrl: options.databaseUrl,
    logger,
    workers: options.workers ?? config.workers.enabled,
  });
  await platform.start();
  const app = createServerApp({ platform, localExplorerKey: options.localExplorerKey });
  const port = await app.listen(options.port ?? config.server.port);
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  let stopping: Promise<void> | null = null;
  return {
    platform,
    app,
    port,
    url: `http://${host}:${port}`,
    stop: (timeoutMs = 10_000) =>
      (stopping ??= (async () => {
        await app.close(timeoutMs);
        await platform.stop({ timeoutMs });
      })()),
  };
}
