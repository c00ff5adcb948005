import { type Config, loadConfig } from '@automl-stream/config';
import { createLogger, type Logger } from '@automl-stream/core';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { type RunningServer, startServer } from './serve.ts';

export interface TestPlatform {
  server: RunningServer;
  database: TestDatabase;
  config: Config;
  /** http://127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port>/graphql */
  graphqlUrl: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  /** An admin key (null with AUTH=off). */
  adminKey: string | null;
  logger: Logger;
  /** Stops the server and drops the database. */
  stop(): Promise<void>;
}

/**
 * A real platform for tests: its own database on the test Postgres (see vitest's global setup),
 * migrated, a server on a free port, workers in-process unless `WORKERS: 'false'`.
 * `env` holds environment-style settings (names as in docs/configuration.md).
 */
export async function startTestPlatform(
  postgresUrl: string,
  env: Record<string, string> = {},
  options: { database?: TestDatabase; port?: number; logger?: Logger } = {},
): Promise<TestPlatform> {
  const database = options.database ?? (await createTestDatabase(postgresUrl, { migrate: false }));
  const config = loadConfig({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DASHBOARD_PORT: '0',
    CHECK_INTERVAL_SECONDS: '3600',
    QUEUE_MAINTENANCE_SECONDS: '5',
    N_ESTIMATORS: '20',
    TRAIN_THREADS: '2',
    // Off unless a test is about rate limits: tight test loops exceed any realistic budget.
    RATE_LIMIT_PER_MINUTE: '0',
    // The fixed forest, unless a test is about the search (it takes up to its budget per training).
    AUTOML_BUDGET_SECONDS: '0',
    ...env,
    DATABASE_URL: database.url,
  });
  const logger = options.logger ?? createLogger(config.logLevel, { name: 'test-platform' });
  const server = await startServer({ config, databaseUrl: database.url, logger, port: options.port ?? 0 });
  const adminKey = config.auth.enabled
    ? (await server.platform.apiKeys.create('test admin', 'admin')).key
    : null;
  return {
    server,
    database,
    config,
    url: server.url,
    graphqlUrl: `${server.url}/graphql`,
    wsUrl: `${server.url.replace('http', 'ws')}/graphql`,
    adminKey,
    logger,
    stop: async () => {
      await server.stop(5_000);
      if (!options.database) await database.drop();
    },
  };
}

/** POSTs a GraphQL operation; returns the parsed JSON body (data and errors) and the HTTP status. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  key: string | null = null,
): Promise<{
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: T;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  return { status: response.status, ...body };
}
