import type { Config } from '@automl-stream/config';
import { grantAppRole, runMigrations } from '@automl-stream/db';
import type { Logger } from 'pino';
import postgres from 'postgres';
import { Queues } from './queues.ts';

/**
 * Everything that needs to own the database, done once per release by a separate step (the
 * Compose `migrate` service, a Kubernetes Job) with the owner's URL: the migrations, pg-boss's
 * schema and the platform's queues (creating a queue creates a table), and, when `appRole` is set
 * (DATABASE_APP_ROLE), the data access of the role the servers and workers connect as. Servers
 * and workers then run with no DDL rights at all (security audit M14). Idempotent.
 */
export async function prepareDatabase(options: {
  url: string;
  config: Config;
  logger: Logger;
}): Promise<{ migrationsApplied: number; appRole: string | null }> {
  const { url, config, logger } = options;
  const { applied } = await runMigrations(url);
  const queues = new Queues(url, config, logger);
  await queues.start();
  await queues.stop({ graceful: false, timeoutMs: 5_000 });
  const appRole = config.database.appRole ?? null;
  if (appRole) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await grantAppRole(sql, appRole);
    } finally {
      await sql.end({ timeout: 5 });
    }
  }
  logger.info({ migrationsApplied: applied, appRole }, 'database prepared');
  return { migrationsApplied: applied, appRole };
}
