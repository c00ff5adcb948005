/**
 * What a lost database connection looks like to the drivers, and a process guard for the two
 * places where the drivers (not our code) let such a loss escape as a crash. Imported by process
 * entry points (server, worker) as `@automl-stream/db/driver-failures.ts`.
 */

/**
 * Error codes of a lost or refused connection (postgres.js, node-postgres, Node's net) and
 * SQLSTATEs of a server shutting down or starting up (57P01-57P03).
 */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P02',
  '57P03',
]);

/** True when the database could not be reached or dropped the connection: retrying later may work. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // SQLSTATE class 08: connection exceptions.
  return typeof code === 'string' && (CONNECTION_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/**
 * postgres.js 3.4.9 writes to a connection's socket from a setImmediate after the socket may have
 * been closed (porsager/postgres#1208: a transaction's ROLLBACK on a connection whose backend just
 * died). The TypeError escapes every caller; the write was for a dead connection and is moot.
 */
export function isDeadSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    /\bnextWrite\b.*postgres[\\/]src[\\/]connection\.js/s.test(error.stack ?? '')
  );
}

export interface GuardLogger {
  warn(object: object, message: string): void;
  fatal(object: object, message: string): void;
}

/**
 * Keeps a server or worker alive through a database outage. Two driver paths turn a lost
 * connection into a process crash:
 * - pg-boss 10 completes and fails jobs without awaiting (`manager.js` onFetch), so a job that
 *   ends while Postgres is down rejects unhandled. The job stays active and expires into a retry
 *   (handlers are idempotent), so logging it is enough.
 * - postgres.js's dead-socket write above.
 * Both are logged and survived. Any other unhandled rejection or uncaught exception is a bug:
 * logged as fatal and the process exits 1, as Node would (a supervisor restarts it).
 */
export function guardAgainstDriverFailures(logger: GuardLogger): void {
  process.on('unhandledRejection', (reason) => {
    if (isConnectionError(reason)) {
      logger.warn(
        { err: reason },
        'database connection lost during a background operation; it will be retried',
      );
      return;
    }
    logger.fatal({ err: reason }, 'unhandled rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    if (isDeadSocketWrite(error)) {
      logger.warn(
        { err: error },
        'postgres.js wrote to a closed connection (porsager/postgres#1208); ignored',
      );
      return;
    }
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });
}
