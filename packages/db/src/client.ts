import net from 'node:net';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
// postgres 3.4.9 carries patches/postgres@3.4.9.patch (pnpm patchedDependencies): the
// connection-loss fix of porsager/postgres#1208 (PR #1209), see docs/deployment-and-security.md.
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Database = PostgresJsDatabase<typeof schema>;
export type Sql = postgres.Sql;
/** Anything that runs queries: the pool or a transaction (storage functions take this). */
export type Queryable = postgres.ISql;

export interface DbHandle {
  /** postgres.js client: raw SQL, LISTEN/NOTIFY, transactions. */
  sql: Sql;
  /** drizzle (typed queries over the schema), on its own small pool. */
  readonly db: Database;
  close(timeoutSeconds?: number): Promise<void>;
}

export interface CreateDbOptions {
  /** @default 10 */
  max?: number;
  /** Shown in pg_stat_activity. @default 'automl-stream' */
  applicationName?: string;
  /** Postgres `synchronous_commit` for this pool's sessions. @default the server's (on) */
  synchronousCommit?: 'on' | 'off';
  /**
   * Postgres `statement_timeout` (ms) for this pool's sessions: a statement running longer is
   * cancelled with an error, so one expensive request cannot hold a connection (and the requests
   * queued behind it) for minutes. 0 or unset: the server's (none).
   */
  statementTimeoutMs?: number;
}

/**
 * The sockets of a pool's connections, with Nagle's algorithm off (postgres.js leaves it on).
 * With it on, the small messages that end a COPY (CopyDone and the statements sent right behind
 * it) wait for the acknowledgement of the data before them, which the database's side delays by
 * up to 40 ms (TCP delayed ACK): every batch stored by COPY stalled that long, and a batch of
 * 1,000 rows took about 50 ms instead of 2 (bench/api/service.ts). Connected here the way
 * postgres.js connects (host after host, or the Unix socket of `path`); postgres.js takes the
 * socket while it is still connecting (its writes wait for the connection) and handles its
 * errors, connect timeout and TLS as for its own.
 */
function noDelaySockets(): (options: { host: string[]; port: number[]; path: string | false }) => net.Socket {
  let next = 0;
  return (options) => {
    if (options.path) return net.connect({ path: options.path });
    const i = next++ % options.host.length;
    const host = options.host[i]!;
    const socket = net.connect({ host, port: options.port[i] ?? 5432, noDelay: true });
    // postgres.js names the TLS server after the socket's host.
    return Object.assign(socket, { host });
  };
}

/** One pool per process; server and worker both build theirs here. */
export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'automl-stream',
      ...(options.synchronousCommit ? { synchronous_commit: options.synchronousCommit } : {}),
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    },
    // Reconnects are on demand; idle connections are recycled so a restarted server is noticed.
    idle_timeout: 60,
    connect_timeout: 10,
    // Delay before reconnecting a lost connection, growing with consecutive failures. postgres.js's
    // default grows to 20 s during an outage, so a restarted database would wait that long to be
    // used again; capped at 2 s, the platform is back within 2 s of the database.
    backoff: (failures: number) => Math.min(0.1 * 2 ** failures, 2),
    // postgres.js takes a socket factory (`socket`), though its types leave the option out.
    ...({ socket: noDelaySockets() } as object),
  });
  // drizzle's postgres-js driver rewrites its client's (de)serialisers (JSON and timestamps become
  // pass-through), which would change what every raw query sends and returns. So drizzle gets a
  // small client of its own, created on first use.
  let drizzleClient: postgres.Sql | null = null;
  let db: Database | null = null;
  return {
    sql,
    get db() {
      if (!db) {
        drizzleClient = postgres(url, {
          max: 2,
          onnotice: () => {},
          connection: { application_name: `${options.applicationName ?? 'automl-stream'}:drizzle` },
          ...({ socket: noDelaySockets() } as object),
        });
        db = drizzle(drizzleClient, { schema });
      }
      return db;
    },
    close: async (timeoutSeconds = 5) => {
      await Promise.all([
        sql.end({ timeout: timeoutSeconds }),
        drizzleClient?.end({ timeout: timeoutSeconds }),
      ]);
    },
  };
}
