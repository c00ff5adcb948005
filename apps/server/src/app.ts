import type { Server } from 'node:http';
import type { DomainError, Platform } from '@automl-stream/core';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { Access } from './auth.ts';
import { FastOperations } from './fast-operations.ts';
import { createRequestHandler } from './http-handler.ts';
import { createHttpServer } from './http-server.ts';
import { listItems } from './list-cost.ts';
import { ServerMetrics } from './metrics.ts';
import { OpenStreams } from './open-streams.ts';
import { OriginPolicy } from './origin.ts';
import { RateLimiter, SharedBuckets } from './rate-limit.ts';
import { restRoutes } from './rest.ts';
import { toSchema } from './schema/index.ts';
import { attachWebSockets } from './websocket.ts';
import { createYogaServer, type Yoga } from './yoga.ts';

export interface ServerOptions {
  platform: Platform;
  /**
   * The key GraphiQL opens with for the person at this machine's loopback (see local-explorer.ts).
   * Only `automl-stream start` gives one: the key it prints. @default none
   */
  localExplorerKey?: (() => string | null) | undefined;
  /**
   * Answer the row-carrying mutations of documents Yoga already admitted without Yoga's pipeline
   * (fast-operations.ts). Off only to compare the two paths in tests. @default true
   */
  fastOperations?: boolean;
}

export interface ServerApp {
  yoga: Yoga;
  server: Server;
  metrics: ServerMetrics;
  schema: GraphQLSchema;
  /** The fast path for row-carrying mutations (undefined when off). */
  fast: FastOperations | undefined;
  /** Listens on `port` (0 = any free port); resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, finishes in-flight requests, closes subscriptions with 1001 (going away). */
  close(timeoutMs?: number): Promise<void>;
  /** Open WebSocket connections and SSE streams by key; closes a revoked key's. */
  streams: OpenStreams;
}

/** A refusal over graphql-ws: code and details, without the HTTP status and headers HTTP gets. */
function socketError(domain: DomainError): GraphQLError {
  return new GraphQLError(domain.message, { extensions: { code: domain.code, ...domain.details } });
}

let schemaSingleton: GraphQLSchema | undefined;
/** The schema is built once per process (Pothos builders register types globally). */
export const getSchema = () => (schemaSingleton ??= toSchema());

/**
 * The GraphQL server, wired: Yoga with its plugins (yoga.ts) behind the node request handler
 * (http-handler.ts: access and body limits before any body is read), graphql-ws on the same path
 * (websocket.ts), the REST routes (rest.ts), and rate limits shared with the other replicas.
 */
export function createServerApp({
  platform,
  localExplorerKey,
  fastOperations = true,
}: ServerOptions): ServerApp {
  const { config, logger } = platform;
  const metrics = new ServerMetrics();
  metrics.attach(platform);
  const access = new Access(platform);
  const rateLimiter = new RateLimiter(config.limits.rateLimitPerMinute);
  // Rate limits and failed authentications are settled with the other replicas through Postgres.
  const shared = new SharedBuckets(platform.rateLimits, logger, [rateLimiter.buckets, access.failures]);
  rateLimiter.share(shared);
  shared.start();
  const streams = new OpenStreams(platform, access);
  const origins = new OriginPolicy(config.security.corsOrigins, config.server.publicUrl);
  let accepting = true;
  const isAccepting = () => accepting;
  const rest = restRoutes({ platform, metrics, access, rateLimiter });
  const schema = getSchema();
  const fast = fastOperations
    ? new FastOperations({
        platform,
        schema,
        metrics,
        listItems: (document) => listItems(schema, document, undefined),
        maxListItems: config.limits.maxListItems,
      })
    : undefined;
  const yoga = createYogaServer({
    platform,
    schema,
    metrics,
    access,
    rateLimiter,
    origins,
    rest,
    fast,
    isReady: isAccepting,
    localExplorerKey,
  });
  const http = createHttpServer(
    (inFlight) =>
      createRequestHandler({
        platform,
        metrics,
        access,
        rateLimiter,
        streams,
        origins,
        yoga: (req, res, context) => yoga(req, res, context),
        fast,
        isAccepting,
        inFlight,
      }),
    config.security.maxConnections,
  );
  const webSockets = attachWebSockets(http.server, {
    platform,
    yoga,
    access,
    rateLimiter,
    streams,
    origins,
    isAccepting,
    socketError,
  });

  return {
    yoga,
    server: http.server,
    metrics,
    schema,
    fast,
    streams,
    listen: async (port, host = config.server.host) => {
      refuseOpenNetworkWithoutAuth(config, host);
      await streams.start();
      return http.listen(port, host);
    },
    close: async (timeoutMs = 10_000) => {
      accepting = false;
      metrics.detach();
      shared.stop();
      await streams.stop();
      // Subscriptions end with 1001 "going away" so clients reconnect elsewhere.
      await webSockets.close();
      await http.close(timeoutMs);
    },
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/**
 * AUTH=off makes every caller an admin: such a server listens only on loopback unless
 * AUTH_OFF_ALLOW_REMOTE=true says the exposure is meant.
 */
export function refuseOpenNetworkWithoutAuth(config: ServerOptions['platform']['config'], host: string) {
  if (config.auth.enabled || config.security.authOffAllowRemote || LOOPBACK.test(host)) return;
  throw new Error(
    `AUTH=off serves every request as admin: it listens only on loopback (HOST=127.0.0.1), not on ${host}. ` +
      'Set HOST=127.0.0.1, or turn authentication on (AUTH=on), or set AUTH_OFF_ALLOW_REMOTE=true to expose it anyway.',
  );
}
