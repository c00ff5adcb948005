import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DomainError, type Platform } from '@automl-stream/core';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { authenticate, graphqlErrorResponse, maxNesting, RateLimiter, readBodyWithin } from './auth.ts';
import type { GraphQLContext, Principal } from './context.ts';
import { asDomainError, maskError, toGraphQLError, withCode } from './errors.ts';
import { listCostPlugin } from './list-cost.ts';
import { graphiqlFor } from './local-explorer.ts';
import { ServerMetrics } from './metrics.ts';
import { restRoutes } from './rest.ts';
import { toSchema } from './schema/index.ts';

export interface ServerOptions {
  platform: Platform;
  /**
   * The key GraphiQL opens with for the person at this machine's loopback (see local-explorer.ts).
   * Only `automl-stream start` gives one: the key it prints. @default none
   */
  localExplorerKey?: (() => string | null) | undefined;
}

interface ServerContext {
  req?: IncomingMessage;
  principal?: Principal;
  requestId?: string;
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
  const rateLimiter = new RateLimiter(config.limits.rateLimitPerMinute);
  let accepting = true;
  const rest = restRoutes({ platform, metrics, rateLimiter, isReady: () => accepting });
  const schema = getSchema();
  const production = config.env === 'production';

  const restPlugin: Plugin = {
    onRequest({ request, endResponse }) {
      const answer = rest(request);
      if (answer) return answer.then(endResponse);
    },
  };

  // Who is calling, and within their rate, is settled before the document is even parsed: an
  // anonymous client learns nothing about the schema, and a rejected request costs one hash lookup
  // (cached). GraphiQL's page (GET asking for HTML) and CORS preflights are answered earlier by Yoga.
  const accessPlugin: Plugin<GraphQLContext, ServerContext> = {
    onRequest({ request, url, serverContext, endResponse }) {
      if (url.pathname !== '/graphql' || (request.method !== 'GET' && request.method !== 'POST')) return;
      return (async () => {
        try {
          const principal = await authenticate(platform, request.headers.get('authorization'));
          rateLimiter.check(principal, request.headers.get('x-forwarded-for') ?? 'anonymous');
          serverContext.principal = principal;
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
      const name = op && 'name' in op && op.name ? op.name.value : 'anonymous';
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
    // The node handler below enforces BODY_LIMIT_BYTES first (declared and chunked bodies alike);
    // this covers requests handed to yoga.fetch directly.
    maxRequestBodySize: config.limits.bodyLimitBytes,
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
    ],
    context: async ({ request, principal, requestId }): Promise<GraphQLContext> => {
      try {
        // Set by accessPlugin (HTTP) or onConnect (graphql-ws); authenticating here is the fallback.
        const who = principal ?? (await authenticate(platform, request.headers.get('authorization')));
        const id = requestId ?? request.headers.get('x-request-id') ?? randomUUID();
        return { platform, principal: who, requestId: id, logger: logger.child({ requestId: id }) };
      } catch (error) {
        const domain = asDomainError(error);
        throw domain ? toGraphQLError(domain) : error;
      }
    },
  });

  // Responses being written, so that shutdown can end event streams and close kept-alive sockets.
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const route = ['/graphql', '/health', '/ready', '/metrics', '/ingest/batch', '/predict'].includes(path)
      ? path
      : 'other';
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    res.on('finish', () => {
      metrics.httpRequests.inc({ route, method: req.method ?? 'GET', status: String(res.statusCode) });
      metrics.httpDuration.observe({ route }, (performance.now() - started) / 1000);
    });
    // Refusals made here, before Yoga: shaped as GraphQL errors on /graphql, as the REST
    // routes' `{ error }` elsewhere.
    const refuse = (status: number, code: string, message: string, close: boolean) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        ...(close ? { connection: 'close' } : {}),
      });
      res.end(
        JSON.stringify(
          path === '/graphql'
            ? { errors: [{ message, extensions: { code } }] }
            : { error: { code, message } },
        ),
      );
    };
    if (!accepting) {
      refuse(503, 'UNAVAILABLE', 'the server is shutting down; retry on another replica', true);
      req.resume();
      return;
    }
    const limit = config.limits.bodyLimitBytes;
    // An oversized body is read and dropped up to 4 × the limit rather than cut off at once: a
    // client closed on mid-upload sees a broken pipe instead of the 413 that says what to do.
    const drainLimit = 4 * limit;
    const tooLarge = (size: string, close: boolean) =>
      refuse(
        413,
        'PAYLOAD_TOO_LARGE',
        `the body is ${size} bytes; the limit is ${limit} (BODY_LIMIT_BYTES): send smaller batches`,
        close,
      );
    // Node's parser holds a body to its Content-Length, so a declared length can be trusted.
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limit) {
        tooLarge(declared, Number(declared) > drainLimit);
        req.resume();
      } else void yoga(req, res, { req, requestId });
      return;
    }
    if (req.headers['transfer-encoding'] === undefined) {
      void yoga(req, res, { req, requestId });
      return;
    }
    // A chunked body announces no length: read it here, counting, and hand Yoga the bytes (as a
    // parsed body, the way Express does) only when it fits.
    readBodyWithin(req, limit, drainLimit).then(
      (body) => {
        if (body === null) return tooLarge(`more than ${limit}`, false);
        (req as IncomingMessage & { body?: Buffer }).body = body;
        void yoga(req, res, { req, requestId });
      },
      () => req.destroy(),
    );
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // One message carries one operation: the same ceiling as an HTTP body.
  const wsServer = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: config.limits.bodyLimitBytes,
  });
  const wsSubscriptions = new WeakMap<object, number>();
  const wsDisposable = useServer<Record<string, unknown> | undefined, { principal?: Principal }>(
    {
      connectionInitWaitTimeout: config.limits.wsConnectionInitTimeoutMs,
      execute: (args) =>
        (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) =>
        (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onConnect: async (ctx) => {
        try {
          const params = ctx.connectionParams ?? {};
          const raw = (params.authorization ??
            params.Authorization ??
            params.apiKey ??
            ctx.extra.request.headers.authorization) as string | undefined;
          (ctx.extra as { principal?: Principal }).principal = await authenticate(platform, raw);
          return true;
        } catch (error) {
          const domain = asDomainError(error);
          // graphql-ws closes with 4403 Forbidden when onConnect returns false.
          logger.debug({ reason: domain?.message }, 'websocket connection refused');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const count = (wsSubscriptions.get(ctx) ?? 0) + 1;
        if (count > config.limits.wsMaxSubscriptions) {
          return [
            socketError(
              new DomainError(
                'RATE_LIMITED',
                `at most ${config.limits.wsMaxSubscriptions} subscriptions per connection (WS_MAX_SUBSCRIPTIONS)`,
              ),
            ),
          ];
        }
        const principal = (ctx.extra as { principal?: Principal }).principal;
        // Operations over a socket spend the key's budget like HTTP requests do.
        if (principal) {
          try {
            rateLimiter.check(principal, ctx.extra.request.socket.remoteAddress ?? 'anonymous');
          } catch (error) {
            const domain = asDomainError(error);
            if (!domain) throw error;
            return [socketError(domain)];
          }
        }
        const {
          schema: s,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
          requestId: randomUUID(),
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(s, document);
        if (errors.length > 0) return errors;
        wsSubscriptions.set(ctx, count);
        const contextValue = await contextFactory();
        return {
          schema: s,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      onComplete: (ctx) => {
        wsSubscriptions.set(ctx, Math.max(0, (wsSubscriptions.get(ctx) ?? 1) - 1));
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          const domain = asDomainError(e);
          return (domain ? socketError(domain) : maskError(e, 'Unexpected error.')) as never;
        }),
    },
    wsServer,
  );

  return {
    yoga,
    server,
    metrics,
    schema,
    listen: (port, host = config.server.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: async (timeoutMs = 10_000) => {
      accepting = false;
      metrics.detach();
      // Subscriptions end with 1001 "going away" so clients reconnect elsewhere.
      for (const client of wsServer.clients) client.close(1001, 'server shutting down');
      await Promise.resolve(wsDisposable.dispose()).catch(() => {});
      wsServer.close();
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
