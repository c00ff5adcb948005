import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainError, type Platform } from '@automl-stream/core';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Access } from './auth.ts';
import { clientAddress } from './client-address.ts';
import type { GraphQLContext, Principal } from './context.ts';
import { asDomainError, maskError } from './errors.ts';
import type { ServerContext } from './http-handler.ts';
import type { OpenStreams } from './open-streams.ts';
import type { OriginPolicy } from './origin.ts';
import { documentTooLarge } from './plugins/use-document-limits.ts';
import type { RateLimiter } from './rate-limit.ts';

/** graphql-ws closes with this when a key is refused; the SDK does not retry it. */
const FORBIDDEN = 4403;
/** "Try again later": graphql-ws clients retry it with their backoff. */
const TRY_AGAIN_LATER = 1013;

type SocketExtra = {
  socket: WebSocket;
  request: IncomingMessage;
  principal?: Principal;
  /** The Authorization value the socket was opened with, checked again for every operation. */
  authorization?: string;
  address?: string;
};

export interface WebSocketDeps {
  platform: Platform;
  yoga: YogaServerInstance<ServerContext, GraphQLContext>;
  access: Access;
  rateLimiter: RateLimiter;
  streams: OpenStreams;
  origins: OriginPolicy;
  isAccepting: () => boolean;
  socketError: (domain: DomainError) => GraphQLError;
}

/**
 * graphql-ws on `/graphql`. Upgrades from web pages of other origins are refused (403) before the
 * socket opens; a message is at most READER_BODY_LIMIT_BYTES (bulk writes go over HTTP), so little
 * is read before `connection_init` authenticates. A key's sockets count against
 * MAX_STREAMS_PER_KEY, and the key is checked again for every operation: a revoked key's next
 * operation is refused and its socket closed with 4403 (OpenStreams closes it sooner).
 */
export function attachWebSockets(server: Server, deps: WebSocketDeps) {
  const { config } = deps.platform;
  const wsServer = new WebSocketServer({
    noServer: true,
    maxPayload: Math.min(config.security.readerBodyLimitBytes, config.limits.bodyLimitBytes),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(deps, req);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
  });

  const subscriptions = new WeakMap<object, number>();
  const disposable = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: config.limits.wsConnectionInitTimeoutMs,
      execute: (args) =>
        (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
      subscribe: (args) =>
        (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
      onConnect: (ctx) => onConnect(deps, ctx),
      onSubscribe: (ctx, _id, payload) => onSubscribe(deps, subscriptions, ctx, payload),
      onComplete: (ctx) => {
        subscriptions.set(ctx, Math.max(0, (subscriptions.get(ctx) ?? 1) - 1));
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => {
          const domain = asDomainError(e);
          return (domain ? deps.socketError(domain) : maskError(e, 'Unexpected error.')) as never;
        }),
    },
    wsServer,
  );

  return {
    wsServer,
    /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
    close: async () => {
      for (const client of wsServer.clients) client.close(1001, 'server shutting down');
      await Promise.resolve(disposable.dispose()).catch(() => {});
      wsServer.close();
    },
  };
}

type SocketContext = Context<Record<string, unknown> | undefined, SocketExtra>;

/** Why an upgrade is refused before the socket opens (wrong path, draining, foreign origin), or null. */
function upgradeRefusal(deps: WebSocketDeps, req: IncomingMessage): string | null {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/graphql') return '400 Bad Request';
  if (!deps.isAccepting()) return '503 Service Unavailable';
  if (deps.origins.refusal(req.headers.origin, req.headers.host)) return '403 Forbidden';
  return null;
}

/** `connection_init`: the key from the connection params (or the upgrade's header), and the stream cap. */
async function onConnect(deps: WebSocketDeps, ctx: SocketContext): Promise<boolean> {
  const extra = ctx.extra;
  try {
    const params = ctx.connectionParams ?? {};
    const raw = (params.authorization ??
      params.Authorization ??
      params.apiKey ??
      extra.request.headers.authorization) as string | undefined;
    extra.address = clientAddress(extra.request, deps.platform.config.security.trustProxy);
    extra.authorization = raw;
    extra.principal = await deps.access.authenticate(raw, extra.address);
  } catch (error) {
    const domain = asDomainError(error);
    // graphql-ws closes with 4403 Forbidden when onConnect returns false.
    deps.platform.logger.debug({ reason: domain?.message }, 'websocket connection refused');
    return false;
  }
  try {
    const release = deps.streams.open(extra.principal, extra.address, {
      revoke: () => extra.socket.close(FORBIDDEN, 'API key revoked'),
    });
    extra.socket.once('close', release);
  } catch {
    extra.socket.close(TRY_AGAIN_LATER, 'too many open connections for this key (MAX_STREAMS_PER_KEY)');
    return false;
  }
  return true;
}

/** The key again (it may have been revoked since), its rate budget: the principal, or the errors to answer. */
async function admitOperation(
  deps: WebSocketDeps,
  extra: SocketExtra,
): Promise<{ principal: Principal } | { errors: GraphQLError[] }> {
  let principal: Principal;
  try {
    // Every operation: a key revoked since the socket opened gets no further.
    principal = await deps.access.authenticate(extra.authorization, extra.address ?? 'unknown');
  } catch (error) {
    const domain = asDomainError(error);
    if (!domain) throw error;
    if (domain.code === 'UNAUTHENTICATED') extra.socket.close(FORBIDDEN, 'API key revoked');
    return { errors: [deps.socketError(domain)] };
  }
  try {
    // Operations over a socket spend the key's budget like HTTP requests do.
    await deps.rateLimiter.check(principal, extra.address ?? 'unknown');
  } catch (error) {
    const domain = asDomainError(error);
    if (!domain) throw error;
    return { errors: [deps.socketError(domain)] };
  }
  return { principal };
}

/** An operation over the socket: admitted, counted against WS_MAX_SUBSCRIPTIONS, parsed and validated. */
async function onSubscribe(
  deps: WebSocketDeps,
  subscriptions: WeakMap<object, number>,
  ctx: SocketContext,
  payload: SubscribePayload,
) {
  const { config } = deps.platform;
  const admitted = await admitOperation(deps, ctx.extra);
  if ('errors' in admitted) return admitted.errors;
  // From here to `subscriptions.set` nothing awaits: concurrent operations count one by one.
  const count = (subscriptions.get(ctx) ?? 0) + 1;
  if (count > config.limits.wsMaxSubscriptions) {
    const message = `at most ${config.limits.wsMaxSubscriptions} subscriptions per connection (WS_MAX_SUBSCRIPTIONS)`;
    return [deps.socketError(new DomainError('RATE_LIMITED', message))];
  }
  const tooLarge = documentTooLarge(payload.query, config.security.maxDocumentBytes);
  if (tooLarge) return [tooLarge];
  const { schema, execute, subscribe, contextFactory, parse, validate } = deps.yoga.getEnveloped({
    ...ctx,
    req: ctx.extra.request,
    socket: ctx.extra.socket,
    params: payload,
    principal: admitted.principal,
    admitted: true,
    requestId: randomUUID(),
  });
  let document: ReturnType<typeof parse>;
  try {
    document = parse(payload.query);
  } catch (error) {
    return [error as never];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  subscriptions.set(ctx, count);
  const contextValue = await contextFactory();
  const variableValues = payload.variables ?? null;
  return {
    schema,
    operationName: payload.operationName ?? null,
    document,
    variableValues,
    contextValue,
    rootValue: { execute, subscribe },
  };
}
