import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const { runMigrations, startEmbeddedPostgres } = await import('../../packages/db/src/index.ts');
const { createTestDatabase } = await import('../../packages/db/src/testing.ts');

export type BenchDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * The Postgres a benchmark runs on: DATABASE_URL's server when set, else an embedded one in a
 * temporary folder. `freshDatabase` makes a migrated database of its own (drop it when done);
 * `stop` ends the embedded server and removes its folder.
 */
export async function benchPostgres(): Promise<{
  freshDatabase: () => Promise<BenchDatabase>;
  stop: () => Promise<void>;
}> {
  const tempDir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), 'automl-bench-'));
  const embedded = tempDir ? await startEmbeddedPostgres({ dataDir: tempDir }) : null;
  return {
    freshDatabase: async () => {
      const database = await createTestDatabase(process.env.DATABASE_URL ?? embedded!.url, {
        migrate: false,
        prefix: 'automl_bench',
      });
      await runMigrations(database.url);
      return database;
    },
    stop: async () => {
      await embedded?.stop();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
