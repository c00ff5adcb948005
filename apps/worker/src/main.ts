// Worker process entry point: `node --import tsx apps/worker/src/main.ts` (DATABASE_URL required).
// Serves its probe on HOST:WORKER_PORT (default 4100; 0 = none): GET /health, /ready, /metrics.
import { readConfigOrExit } from '@automl-stream/config';
import { createLogger } from '@automl-stream/core';
import { guardAgainstDriverFailures } from '@automl-stream/db/driver-failures.ts';
import { startWorker } from './worker.ts';

const config = readConfigOrExit();
const logger = createLogger(config.logLevel, { name: 'automl-stream-worker' });
// A database outage must not crash the process (see driver-failures.ts).
guardAgainstDriverFailures(logger);
if (!config.database.url) {
  logger.fatal('DATABASE_URL is not set: a worker joins a platform through its Postgres.');
  process.exit(1);
}
const worker = await startWorker({
  config,
  databaseUrl: config.database.url,
  logger,
  // WORKER_PORT=0 turns the probe off here; startWorker reads 0 as "any free port" (tests).
  probePort: config.workers.port === 0 ? null : config.workers.port,
});
logger.info({ pid: process.pid, probe: worker.probe?.url ?? null }, 'automl-stream worker started');

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'worker shutting down');
    worker.stop(config.limits.shutdownTimeoutMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
