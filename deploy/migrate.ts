// One-shot database preparation for a deployment (the Compose `migrate` service, a Kubernetes Job):
//   DATABASE_URL=<the owner role's URL> DATABASE_APP_ROLE=automl_app node --import tsx deploy/migrate.ts
// Applies the migrations, installs pg-boss's schema and the platform's queues, and grants the app
// role (which servers and workers connect as) data access only. Exits 0 when done, 1 on failure.
import { readConfigOrExit } from '../packages/config/src/index.ts';
import { createLogger, prepareDatabase } from '../packages/core/src/index.ts';

const config = readConfigOrExit();
const logger = createLogger(config.logLevel, { name: 'automl-stream-migrate' });
if (!config.database.url) {
  logger.fatal('DATABASE_URL is not set: give the URL of the role that owns the database');
  process.exit(1);
}
try {
  await prepareDatabase({ url: config.database.url, config, logger });
  process.exit(0);
} catch (error) {
  logger.fatal({ err: error }, 'database preparation failed');
  process.exit(1);
}
