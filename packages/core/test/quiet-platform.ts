import { type Config, loadConfig } from '@automl-stream/config';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, inject } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Platform } from '../src/platform.ts';

/**
 * A platform on a fresh database with no workers and no serving: a test runs checks and retrains
 * itself, in the order it needs. `stop` ends the platform and drops the database.
 */
export async function startQuietPlatform(
  postgresUrl: string,
  env: Record<string, string>,
): Promise<{ db: TestDatabase; config: Config; platform: Platform; stop: () => Promise<void> }> {
  const db = await createTestDatabase(postgresUrl);
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const platform = new Platform({
    config,
    databaseUrl: db.url,
    logger: createLogger('silent'),
    workers: false,
    serving: false,
  });
  await platform.start();
  return {
    db,
    config,
    platform,
    stop: async () => {
      await platform.stop({ timeoutMs: 3_000 });
      await db.drop();
    },
  };
}

/**
 * A quiet platform for the enclosing `describe`: started before its tests, stopped after them.
 * The returned object's `db` and `platform` are set once the suite's `beforeAll` has run.
 */
export function quietPlatformForSuite(env: Record<string, string>): { db: TestDatabase; platform: Platform } {
  const suite = {} as { db: TestDatabase; platform: Platform };
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const started = await startQuietPlatform(inject('postgresUrl'), env);
    suite.db = started.db;
    suite.platform = started.platform;
    stop = started.stop;
  });
  afterAll(() => stop?.());
  return suite;
}
