/**
 * A platform for a benchmark: the server with its in-process worker on a database of the caller's,
 * on a free loopback port, no rate limit, an admin key, and a GraphQL caller with that key. Set
 * NODE_ENV before calling (the server's modules are imported here, on first use).
 */
import type { Logger } from '../../packages/core/src/index.ts';

/** Posts one GraphQL operation; throws the first error's message. */
export type GraphqlCall = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** A caller of `${url}/graphql` with a bearer key. */
export function graphqlCaller(url: string, key: string): GraphqlCall {
  return async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors) throw new Error(body.errors[0]!.message);
    return body.data!;
  };
}

/** Starts the server; `settings` are environment settings on top of the benchmark's defaults. */
export async function startBenchPlatform(
  databaseUrl: string,
  logger: Logger,
  settings: Record<string, string> = {},
) {
  const { loadConfig } = await import('../../packages/config/src/index.ts');
  const { startServer } = await import('../../apps/server/src/index.ts');
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: 'true',
    RATE_LIMIT_PER_MINUTE: '0',
    ...settings,
    DATABASE_URL: databaseUrl,
  });
  const server = await startServer({ config, databaseUrl, logger, port: 0 });
  const key = (await server.platform.apiKeys.create('bench', 'admin')).key;
  return { server, key, call: graphqlCaller(server.url, key) };
}
