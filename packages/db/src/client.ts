import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Database = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;
/** Anything that runs queries: the pool or a transaction (storage functions take this). */
export type Queryable = postgres.ISql;

export interface DbHandle {
  /** postgres.js client: raw SQL, LISTEN/NOTIFY, transactions. */
  sql: Sql;
  /** drizzle over the same pool. */
  db: Database;
  close(timeoutSeconds?: number): Promise<void>;
}

export interface CreateDbOptions {
  /** @default 10 */
  max?: number;
  /** Shown in pg_stat_activity. @default 'automl-stream' */
  applicationName?: string;
}

/** One pool per process; server and worker both build theirs here. */
export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'automl-stream' },
    // Reconnects are on demand; idle connections are recycled so a restarted server is noticed.
    idle_timeout: 60,
    connect_timeout: 10,
  });
  const db = drizzle(sql, { schema });
  return {
    sql,
    db,
    close: (timeoutSeconds = 5) => sql.end({ timeout: timeoutSeconds }),
  };
}
