// Server process entry point: `node --import tsx apps/server/src/main.ts` (DATABASE_URL required).
// `automl-stream start` (apps/cli) runs the whole platform, with an embedded Postgres by default.
import { readConfigOrExit } from '@automl-stream/config';
import { createLogger } from '@automl-stream/core';
import { guardAgainstDriverFailures } from '@automl-stream/db/driver-failures.ts';
import { ensureAdminKey } from './keys.ts';
import { startServer } from './serve.ts';

const config = readConfigOrExit();
const logger = createLogger(config.logLevel, { name: 'automl-stream-server' });
// A database outage must not crash the process (see driver-failures.ts).
guardAgainstDriverFailures(logger);
if (!config.database.url) {
  logger.fatal(
    'DATABASE_URL is not set: this entry point serves an external Postgres. Use `pnpm start` for the embedded one.',
  );
  process.exit(1);
}
if (!config.auth.enabled)
  logger.warn('AUTH=off: every request is treated as admin. Use this for local experiments only.');
const running = await startServer({ config, databaseUrl: config.database.url, logger }).catch(
  (error: unknown) => {
    logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
await ensureAdminKey(running.platform, (line) => process.stdout.write(`${line}\n`));
logger.info({ url: `${running.url}/graphql` }, 'automl-stream server listening');

let signalled = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) process.exit(1);
    signalled = true;
    logger.info({ signal }, 'shutting down');
    running.stop(config.limits.shutdownTimeoutMs).then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
