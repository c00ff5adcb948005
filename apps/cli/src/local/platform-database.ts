import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@automl-stream/config';
import { createDb, type DbHandle, startEmbeddedPostgres } from '@automl-stream/db';
import { CliError } from '../errors.ts';

export interface PlatformDatabase {
  db: DbHandle;
  /** Where it is, for messages. */
  description: string;
  close(): Promise<void>;
}

const EMBEDDED_USER = 'automl';
const EMBEDDED_DATABASE = 'automl';

/** Port of a running embedded Postgres, from its postmaster.pid (line 4), if the process lives. */
function runningEmbeddedPort(clusterDir: string): number | null {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return null;
  }
}

/**
 * The platform's database, for the commands that have no GraphQL API (API keys): DATABASE_URL
 * when set; otherwise the embedded Postgres under DATA_DIR, reached where a running
 * `automl-stream start` serves it, or started for the duration of the command.
 */
export async function openPlatformDatabase(config: Config): Promise<PlatformDatabase> {
  let url: string;
  let description: string;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (config.database.url) {
    url = config.database.url;
    description = 'DATABASE_URL';
  } else {
    const dataDir = path.resolve(config.database.dataDir);
    const clusterDir = path.join(dataDir, 'postgres');
    if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
      throw new CliError(
        `no platform database in ${dataDir}: run \`automl-stream start\` once first, or set DATA_DIR / DATABASE_URL to the platform's`,
      );
    }
    const port = runningEmbeddedPort(clusterDir);
    if (port !== null) {
      const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
      url = `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
      description = `the embedded Postgres of the running platform (${dataDir})`;
    } else {
      const embedded = await startEmbeddedPostgres({ dataDir });
      url = embedded.url;
      stopEmbedded = () => embedded.stop();
      description = `the embedded Postgres in ${dataDir}`;
    }
  }
  const db = createDb(url, { max: 2, applicationName: 'automl-stream cli' });
  try {
    const [row] = await db.sql<
      { table: string | null }[]
    >`select to_regclass('public.api_keys')::text as table`;
    if (!row?.table) {
      throw new CliError(
        `${description} has no api_keys table: start the platform once (it applies the migrations)`,
      );
    }
  } catch (error) {
    await db.close();
    await stopEmbedded?.();
    throw error;
  }
  return {
    db,
    description,
    close: async () => {
      await db.close();
      await stopEmbedded?.();
    },
  };
}
