import { pendingMigrations, type Sql } from '@automl-stream/db';

/**
 * A database that does not answer within this time counts as down: probes have short timeouts of
 * their own, and a hung check must not pile up connections.
 */
export const READY_DB_TIMEOUT_MS = 2_000;

/** What `/ready` reports, on the server and on a worker's probe. */
export interface ReadinessChecks {
  /** The caller's own flag: the server accepting traffic, a worker's queue workers running. */
  queues: boolean;
  /** `select 1` answered within the timeout (and so did the migrations count). */
  database: boolean;
  /** Migrations in `drizzle/` the database has not applied; set when `database` is true. */
  pendingMigrations?: number;
  /** Why the database check failed; set when `database` is false. */
  error?: string;
}

export interface Readiness {
  /** Database up, no migration of this release pending (a newer schema is fine), queues flag true. */
  ready: boolean;
  checks: ReadinessChecks;
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  // The loser must not reject unhandled later: the race's answer is the one that counts.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The readiness of one process: the database answers (`select 1` and the migrations count, both
 * within `timeoutMs`), no migration is pending, and `queues` (the caller's own flag) is true.
 * Never throws: a failed or slow database is reported as `database: false` with the error.
 */
export async function checkReadiness(
  sql: Sql,
  options: { queues: boolean; timeoutMs?: number },
): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READY_DB_TIMEOUT_MS;
  let checks: ReadinessChecks;
  try {
    const pending = await withTimeout(
      (async () => {
        await sql`select 1`;
        return pendingMigrations(sql);
      })(),
      timeoutMs,
      `the database did not answer within ${timeoutMs / 1000} s`,
    );
    checks = {
      queues: options.queues,
      database: true,
      pendingMigrations: Math.max(0, pending),
      ...(pending < 0 ? { schemaAhead: -pending } : {}),
    };
  } catch (error) {
    checks = {
      queues: options.queues,
      database: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
  return {
    ready: checks.database && checks.pendingMigrations === 0 && checks.queues,
    checks,
  };
}
