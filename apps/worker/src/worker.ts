import type { Config } from '@automl-stream/config';
import { type Logger, Platform } from '@automl-stream/core';
import { runMigrations } from '@automl-stream/db';

export interface RunningWorker {
  platform: Platform;
  /** Finishes or releases the job in hand (pg-boss hands it to another worker), then closes. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * A worker process: drift checks and retraining from the pg-boss queues, no HTTP. Run any number
 * of them against the same database; pg-boss gives each job to exactly one (SKIP LOCKED).
 */
export async function startWorker(options: {
  config: Config;
  databaseUrl: string;
  logger: Logger;
}): Promise<RunningWorker> {
  await runMigrations(options.databaseUrl);
  const platform = new Platform({
    config: options.config,
    databaseUrl: options.databaseUrl,
    logger: options.logger,
    workers: true,
    serving: false,
  });
  await platform.start();
  let stopping: Promise<void> | null = null;
  return { platform, stop: (timeoutMs = 15_000) => (stopping ??= platform.stop({ timeoutMs })) };
}
