import type { Config } from '@automl-stream/config';
import { type Logger, Platform } from '@automl-stream/core';
import { runMigrations } from '@automl-stream/db';
import { WorkerMetrics } from './metrics.ts';
import { startProbe, type WorkerProbe } from './probe.ts';

export interface RunningWorker {
  platform: Platform;
  /** Jobs handled by this worker and the process's default metrics (the probe's `/metrics`). */
  metrics: WorkerMetrics;
  /** The HTTP probe (`/health`, `/ready`, `/metrics`); null when `probePort` was null. */
  probe: WorkerProbe | null;
  /**
   * Finishes or releases the job in hand (pg-boss hands it to another worker), then closes. From
   * the call on, the probe answers 503 on `/health` and `/ready`; it closes last.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * A worker process: drift checks and retraining from the pg-boss queues, and an HTTP probe for
 * orchestrators and Prometheus. Run any number of them against the same database; pg-boss gives
 * each job to exactly one (SKIP LOCKED).
 *
 * The probe listens before migrations run, so that a taken port fails the start before any work,
 * and `/ready` tells the truth (pending migrations, queues not yet running) meanwhile.
 */
export async function startWorker(options: {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  /**
   * The probe's port on `config.server.host`: a number (0 = an ephemeral port, see `probe.port`),
   * or null for no probe. The entry point maps WORKER_PORT=0 to null. @default null
   */
  probePort?: number | null;
}): Promise<RunningWorker> {
  const { config, logger } = options;
  // Constructing connects nothing: pools and pg-boss connect on first use (after migrations).
  const platform = new Platform({
    config,
    databaseUrl: options.databaseUrl,
    logger,
    workers: true,
    serving: false,
  });
  const metrics = new WorkerMetrics();
  metrics.attach(platform.queues);
  let stoppingFlag = false;
  let probe: WorkerProbe | null = null;
  try {
    if (options.probePort !== undefined && options.probePort !== null) {
      probe = await startProbe({
        host: config.server.host,
        port: options.probePort,
        platform,
        metrics,
        isStopping: () => stoppingFlag,
        logger,
      });
      logger.info({ url: probe.url }, 'worker probe listening (/health, /ready, /metrics)');
    }
    await runMigrations(options.databaseUrl);
    await platform.start();
  } catch (error) {
    stoppingFlag = true;
    metrics.detach();
    await platform.stop({ timeoutMs: 5_000 }).catch(() => {});
    await probe?.close();
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    platform,
    metrics,
    probe,
    stop: (timeoutMs = 15_000) =>
      (stopping ??= (async () => {
        stoppingFlag = true;
        try {
          await platform.stop({ timeoutMs });
        } finally {
          metrics.detach();
          await probe?.close();
        }
      })()),
  };
}
