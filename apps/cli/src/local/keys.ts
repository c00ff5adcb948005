import type { Config } from '@automl-stream/config';
import { ApiKeys } from '@automl-stream/core';
import { openPlatformDatabase } from './platform-database.ts';

/**
 * The key store of the platform's database, opened the way the platform opens it (DATABASE_URL,
 * else the embedded Postgres under DATA_DIR): `keys` has no GraphQL API, so the command reaches
 * the table through core's ApiKeys. `close` stops the database (and the embedded server, if any).
 */
export async function openKeyStore(config: Config): Promise<{ keys: ApiKeys; close: () => Promise<void> }> {
  const database = await openPlatformDatabase(config);
  return { keys: new ApiKeys(database.db.sql), close: () => database.close() };
}

/** The key store `keys` works with. */
export type KeyStore = Awaited<ReturnType<typeof openKeyStore>>['keys'];
