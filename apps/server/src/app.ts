import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { DomainError, Platform } from '@automl-stream/core';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type DocumentNode, GraphQLError, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { Access, graphqlErrorResponse, maxNesting } from './auth.ts';
import { clientAddress } from './client-address.ts';
import type { GraphQLContext } from './context.ts';
import { DocumentCache } from './document-cache.ts';
import { asDomainError, maskError, toGraphQLError, withCode } from './errors.ts';
import { createRequestHandler, type ServerContext } from './http-handler.ts';
import { listCostPlugin } from './list-cost.ts';
import { graphiqlFor } from './local-explorer.ts';
import { ServerMetrics } from './metrics.ts';
import { OpenStreams } from './open-streams.ts';
import { operationLabel } from './operation-names.ts';
import { OriginPolicy } from './origin.ts';
import { RateLimiter, SharedBuckets } from './rate-limit.ts';
import { restRoutes } from './rest.ts';
import { toSchema } from './schema/index.ts';
import { useBoundedSubscriptions } from './use-bounded-subscriptions.ts';
import { type AdmittedRequest, useDocumentLimits } from './use-document-limits.ts';
import { attachWebSockets } from './websocket.ts';

/** Estimated heap each of Yoga's parse caches (documents, parse errors) may hold. */
const DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;

export interface ServerOptions {
  platform: Platform;
  /**
   * The key GraphiQL opens with for the person at this machine's loopback (see local-explorer.ts).
   * Only `automl-stream start` gives one: the key it prints. @default none
   */
  localExplorerKey?: (() => string | null) | undefined;
}

export interface ServerApp {
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  server: Server;
  metrics: ServerMetrics;
  schema: GraphQLSchema;
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
 * The GraphQL server: Yoga over HTTP (with SSE subscriptions and offline GraphiQL), graphql-ws on
 * the same path, REST-compatibility and operations routes, API-key auth, limits and metrics.
 */
export function createServerApp({ platform, localExplorerKey }: ServerOptions): ServerApp {
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
  const rest = restRoutes({ platform, metrics, access, rateLimiter, isReady: () => accepting });
  const schema = getSchema();
  const production = config.env === 'production';

  const restPlugin: Plugin<GraphQLContext, ServerContext> = {
    onRequest({ request, serverContext, endResponse }) {
      const answer = rest(request, serverContext);
      if (answer) return answer.then(endResponse);
    },
  };

  // Who is calling, and within their rate, is settled before the document is even parsed: an
  // anonymous client learns nothing about the schema, and a rejected request costs one hash lookup
  // (cached). The node handler does this before reading the body; this covers what it passes on
  // unchecked (a GET asking for HTML when GraphiQL is off, in production) and requests handed to
  // yoga.fetch directly. GraphiQL's page and CORS preflights are answered earlier by Yoga.
  const accessPlugin: Plugin<GraphQLContext, ServerContext> = {
    onRequest({ request, url, serverContext, endResponse }) {
      if (serverContext.admitted) return;
      if (url.pathname !== '/graphql' || (request.method !== 'GET' && request.method !== 'POST')) return;
      return (async () => {
        try {
          const address = clientAddress(serverContext.req, config.security.trustProxy);
          const principal = await access.authenticate(request.headers.get('authorization'), address);
          await rateLimiter.check(principal, address);
          serverContext.principal = principal;
          serverContext.admitted = true;
        } catch (error) {
          const domain = asDomainError(error);
          if (!domain) throw error;
          endResponse(graphqlErrorResponse(domain));
        }
      })();
    },
  };

  // Yoga answers a body it cannot read (text/plain, no content type) with a bare 415: say what to send.
  const mediaTypePlugin: Plugin = {
    onResponse({ request, response, setResponse }) {
      if (response.status !== 415 || response.body) return;
      const type = request.headers.get('content-type') ?? 'none';
      setResponse(
        new Response(
          JSON.stringify({
            errors: [
              {
                message: `send the operation as JSON with Content-Type: application/json (got "${type}")`,
                extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
              },
            ],
          }),
          { status: 415, headers: { 'content-type': 'application/json; charset=utf-8' } },
        ),
      );
    },
  };

  // graphql-armor's rejections carry no code and a misleading "Syntax Error:" prefix; give them
  // QUERY_TOO_COMPLEX and name the setting to raise. In production the numbers stay hidden.
  const tooComplex = (setting: string, limit: string) => ({
    exposeLimits: !production,
    errorMessage: `${limit} limit exceeded`,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        throw new GraphQLError(
          `${error.message.replace(/^Syntax Error: /, '').replace(/\.$/, '')} (${setting})`,
          {
            extensions: { code: 'QUERY_TOO_COMPLEX' },
          },
        );
      },
    ],
  });
  // graphql-js parses recursively and overflows the stack at about 1,500 nested braces, before
  // any depth rule could see the document: refuse deep nesting from the text itself.
  const maxDocumentNesting = Math.max(64, 4 * config.limits.maxDepth);
  const nestingGuardPlugin: Plugin = {
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : params.source.body;
      const depth = maxNesting(text, maxDocumentNesting);
      if (depth > maxDocumentNesting) {
        throw new GraphQLError(
          production
            ? 'Document nesting limit exceeded (GRAPHQL_MAX_DEPTH)'
            : `Document nesting limit of ${maxDocumentNesting} braces and brackets exceeded (4 × GRAPHQL_MAX_DEPTH)`,
          { extensions: { code: 'QUERY_TOO_COMPLEX' } },
        );
      }
    },
  };

  // graphql-js reports bad documents and variables without a code; give them one, so every
  // error a client sees has `extensions.code`.
  const errorCodesPlugin: Plugin<GraphQLContext> = {
    onValidate:
      () =>
      ({ result, setResult }) => {
        if (result.length > 0) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      },
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (!('errors' in result) || !result.errors?.length) return;
        // Errors outside any field (no path) are request errors: variables that do not coerce.
        setResult({
          ...result,
          errors: result.errors.map((e) => (e.path ? e : withCode(e, 'BAD_USER_INPUT'))),
        });
      },
    }),
  };

  const metricsPlugin: Plugin<GraphQLContext> = {
    onExecute({ args }) {
      const op = (args.document as DocumentNode).definitions.find((d) => d.kind === 'OperationDefinition');
      const type = op && 'operation' in op ? op.operation : 'unknown';
      // A label value per client-chosen name would be a time series per name, held forever.
      const name = operationLabel(op && 'name' in op ? op.name?.value : undefined);
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.graphqlOperations.inc({ type, name, outcome: failed ? 'error' : 'ok' });
          if (!('data' in result) || !result.data) return;
          const data = result.data as Record<
            string,
            { predictions?: unknown[]; rowsStored?: number } | undefined
          >;
          for (const value of Object.values(data)) {
            if (value && Array.isArray(value.predictions))
              metrics.predictionsServed.inc(value.predictions.length);
            if (value && typeof value.rowsStored === 'number') metrics.rowsIngested.inc(value.rowsStored);
          }
        },
      };
    },
  };

  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiqlFor({ production, localKey: localExplorerKey }),
    renderGraphiQL,
    maskedErrors: { maskError, isDev: false },
    // The node handler enforces the body limits first, by role, before reading (declared and
    // chunked bodies alike); this covers requests handed to yoga.fetch directly.
    maxRequestBodySize: config.limits.bodyLimitBytes,
    // Browsers may call cross-origin only from CORS_ORIGINS (the node handler refuses the others).
    cors: origins.cors,
    // No file uploads: multipart bodies are one more way in without a preflight.
    multipart: false,
    parserAndValidationCache: {
      documentCache: new DocumentCache<DocumentNode>(DOCUMENT_CACHE_BYTES),
      errorCache: new DocumentCache<unknown>(DOCUMENT_CACHE_BYTES),
    },
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(' ')),
      info: (...args) => logger.info(args.map(String).join(' ')),
      warn: (...args) => logger.warn(args.map(String).join(' ')),
      error: (...args) => logger.error(args.map(String).join(' ')),
    },
    plugins: [
      restPlugin,
      accessPlugin,
      mediaTypePlugin,
      useDocumentLimits(config) as Plugin<GraphQLContext & AdmittedRequest>,
      nestingGuardPlugin,
      errorCodesPlugin,
      metricsPlugin,
      listCostPlugin(config.limits.maxListItems, production),
      EnvelopArmorPlugin({
        maxDepth: { n: config.limits.maxDepth, ...tooComplex('GRAPHQL_MAX_DEPTH', 'Query depth') },
        maxAliases: { n: config.limits.maxAliases, ...tooComplex('GRAPHQL_MAX_ALIASES', 'Aliases') },
        maxTokens: { n: config.limits.maxTokens, ...tooComplex('GRAPHQL_MAX_TOKENS', 'Token') },
        costLimit: { maxCost: config.limits.maxCost, ...tooComplex('GRAPHQL_MAX_COST', 'Query cost') },
        maxDirectives: {
          n: config.limits.maxDirectives,
          ...tooComplex('GRAPHQL_MAX_DIRECTIVES', 'Directives'),
        },
        blockFieldSuggestion: { enabled: production },
      }),
      useBoundedSubscriptions(),
    ],
    context: async ({ request, principal, requestId }): Promise<GraphQLContext> => {
      try {
        // Set by accessPlugin (HTTP) or onConnect (graphql-ws); authenticating here is the fallback.
        const who =
          principal ?? (await access.authenticate(request.headers.get('authorization'), 'in-process'));
        const id = requestId ?? randomUUID();
        return { platform, principal: who, requestId: id, logger: logger.child({ requestId: id }) };
      } catch (error) {
        const domain = asDomainError(error);
        throw domain ? toGraphQLError(domain) : error;
      }
    },
  });

  // Responses being written, so that shutdown can end event streams and close kept-alive sockets.
  const inFlight = new Set<ServerResponse>();
  const server = createServer(
    {
      // A client that has not sent its headers within 10 s is cut off (checked every second).
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 5_000,
    },
    createRequestHandler({
      platform,
      metrics,
      access,
      rateLimiter,
      streams,
      origins,
      yoga: (req: IncomingMessage, res: ServerResponse, context: ServerContext) => yoga(req, res, context),
      isAccepting: () => accepting,
      inFlight,
    }),
  );
  server.maxConnections = config.security.maxConnections;

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const webSockets = attachWebSockets(server, {
    platform,
    yoga,
    access,
    rateLimiter,
    streams,
    origins,
    isAccepting: () => accepting,
    socketError,
  });

  return {
    yoga,
    server,
    metrics,
    schema,
    streams,
    listen: async (port, host = config.server.host) => {
      refuseOpenNetworkWithoutAuth(config, host);
      await streams.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      });
    },
    close: async (timeoutMs = 10_000) => {
      accepting = false;
      metrics.detach();
      shared.stop();
      await streams.stop();
      // Subscriptions end with 1001 "going away" so clients reconnect elsewhere.
      await webSockets.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const res of inFlight) {
        // SSE subscriptions never finish on their own: end the stream cleanly (without a
        // `complete` event, so graphql-sse clients reconnect, to another replica). Any other
        // response finishes normally and then closes its socket instead of keeping it alive.
        if (!res.headersSent) res.setHeader('connection', 'close');
        res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
        if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) res.end();
      }
      const deadline = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, timeoutMs);
      await closed;
      clearTimeout(deadline);
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
