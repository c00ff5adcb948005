import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDb, type DbHandle } from './client.ts';
import { runMigrations } from './migrate.ts';

/** Replaces the database name in a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase extends DbHandle {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh database for one test file, migrated unless `migrate: false`. Test isolation is per
 * database, so files can run in parallel against one server.
 */
export async function createTestDatabase(
  serverUrl: string,
  options: { migrate?: boolean; prefix?: string } = {},
): Promise<TestDatabase> {
  // AUTOML_TEST_DB_PREFIX lets runs that share one Postgres (CI beside a developer's run) tell
  // their databases apart, so each cleans up only its own.
  const prefix = options.prefix ?? process.env.AUTOML_TEST_DB_PREFIX ?? 'automl_test';
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(serverUrl, name);
  if (options.migrate !== false) await runMigrations(url);
  const handle = createDb(url, { max: 10, applicationName: 'automl-stream:test' });
  return {
    ...handle,
    url,
    name,
    drop: async () => {
      await handle.close(2);
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}
