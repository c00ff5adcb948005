import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Platform } from '@automl-stream/core';
import { type Access, WWW_AUTHENTICATE } from './auth.ts';
import { readBodyWithin } from './body.ts';
import { clientAddress } from './client-address.ts';
import type { Principal } from './context.ts';
import { asDomainError, HTTP_STATUS } from './errors.ts';
import type { FastOperations } from './fast-operations.ts';
import type { ServerMetrics } from './metrics.ts';
import type { OpenStreams } from './open-streams.ts';
import type { OriginPolicy } from './origin.ts';
import type { RateLimiter } from './rate-limit.ts';
import { restRoute } from './rest.ts';
import { assertRole } from './roles.ts';

/** What the node handler hands Yoga with each request (Yoga's server context). */
export interface ServerContext {
  req?: IncomingMessage;
  res?: ServerResponse;
  requestId?: string;
  /** The caller, when the node handler already authenticated and rate-limited the request. */
  principal?: Principal;
  /** Set with `principal`: the request is admitted, the plugins must not check (or charge) it again. */
  admitted?: boolean;
  /** Bytes of the body (declared or counted), for the per-operation size rule. */
  bodyBytes?: number;
}

const ROUTES = ['/graphql', '/health', '/ready', '/metrics', '/ingest/batch', '/predict'];
/** Routes that take a body, and the role they need before it is read. */
const BODY_ROUTES: Record<string, 'reader' | 'writer'> = {
  'POST /graphql': 'reader',
  'POST /ingest/batch': 'writer',
  'POST /predict': 'writer',
};
/** What is read and dropped of a body refused before authentication, before the connection is cut. */
const REFUSED_DRAIN_BYTES = 64 * 1024;
const REFUSED_DRAIN_MS = 2_000;
const REQUEST_ID = /^[\w-]{1,64}$/;

/** Answers with an error before Yoga: GraphQL-shaped on /graphql, the REST routes' `{ error }` elsewhere. */
type Refuse = (
  status: number,
  code: string,
  message: string,
  options?: { headers?: Record<string, string>; details?: Record<string, unknown>; unread?: boolean },
) => void;

export interface HandlerDeps {
  platform: Platform;
  metrics: ServerMetrics;
  access: Access;
  rateLimiter: RateLimiter;
  streams: OpenStreams;
  origins: OriginPolicy;
  yoga: (req: IncomingMessage, res: ServerResponse, context: ServerContext) => unknown;
  /** Answers the documents Yoga already admitted that carry rows, without Yoga's pipeline. */
  fast?: FastOperations | undefined;
  isAccepting: () => boolean;
  /** Responses being written, so that shutdown can end event streams. */
  inFlight: Set<ServerResponse>;
}

/**
 * The HTTP entry point, in front of Yoga. Nothing of a body is read before the caller is known:
 * the key is checked from the headers, then the role (REST write routes), the rate limit and the
 * stream cap, and only then is the body read, up to the limit of the key's role (writers and
 * admins BODY_LIMIT_BYTES, readers READER_BODY_LIMIT_BYTES). A body on any other route is never
 * read. Cross-origin browser requests from origins not in CORS_ORIGINS are refused first.
 */
export function createRequestHandler(deps: HandlerDeps) {
  return (req: IncomingMessage, res: ServerResponse) => handleRequest(deps, req, res);
}

function handleRequest(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): void {
  // `/pipelines/{name}/predict` is `/predict` for a pipeline: the same role, limits and metrics.
  const path = restRoute((req.url ?? '/').split('?')[0]!).route;
  const requestId = track(deps, req, res, ROUTES.includes(path) ? path : 'other');
  const hasBody =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  const refuse = refuser(req, res, path, hasBody);

  if (!deps.isAccepting()) {
    refuse(503, 'UNAVAILABLE', 'the server is shutting down; retry on another replica', {
      headers: { connection: 'close' },
      unread: true,
    });
    if (!hasBody) req.resume();
    return;
  }
  const originRefusal = deps.origins.refusal(req.headers.origin, req.headers.host);
  if (originRefusal) {
    refuse(403, 'FORBIDDEN', originRefusal, { unread: true });
    return;
  }

  // Requests to the API are admitted from their headers (GET /graphql has no body; GraphiQL's
  // page is served before any GraphQL).
  const role =
    BODY_ROUTES[`${req.method} ${path}`] ??
    (path === '/graphql' && req.method === 'GET' && !wantsPage(req) ? 'reader' : undefined);
  if (role) {
    const sse = path === '/graphql' && (req.headers.accept ?? '').includes('text/event-stream');
    void admit(deps, req, res, { role, sse, requestId, hasBody, refuse });
    return;
  }
  // Everything else (operations routes, GraphiQL's page, preflights, wrong methods and paths)
  // is answered without its body, if it has one.
  if (hasBody) dropBody(req);
  void deps.yoga(req, res, { req, res, requestId });
}

/** The request's id (the client's when well-formed), its place in `inFlight` and its metrics. */
function track(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, route: string): string {
  const started = performance.now();
  const claimed = req.headers['x-request-id'];
  const requestId = typeof claimed === 'string' && REQUEST_ID.test(claimed) ? claimed : randomUUID();
  res.setHeader('x-request-id', requestId);
  deps.inFlight.add(res);
  res.on('close', () => deps.inFlight.delete(res));
  res.on('finish', () => {
    deps.metrics.httpRequests.inc({ route, method: req.method ?? 'GET', status: String(res.statusCode) });
    deps.metrics.httpDuration.observe({ route }, (performance.now() - started) / 1000);
  });
  return requestId;
}

function refuser(req: IncomingMessage, res: ServerResponse, path: string, hasBody: boolean): Refuse {
  return (status, code, message, options = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...options.headers });
    const details = options.details ?? {};
    res.end(
      JSON.stringify(
        path === '/graphql'
          ? { errors: [{ message, extensions: { code, ...details } }] }
          : { error: { code, message, ...details } },
      ),
    );
    // Refused before the body was read: drop it, never hold it.
    if (options.unread && hasBody) dropBody(req);
  };
}

/** Key, role, rate and stream cap from the headers; then the body, within the role's limit. */
async function admit(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  r: { role: 'reader' | 'writer'; sse: boolean; requestId: string; hasBody: boolean; refuse: Refuse },
) {
  const address = clientAddress(req, deps.platform.config.security.trustProxy);
  let principal: Principal;
  try {
    principal = await deps.access.authenticate(req.headers.authorization, address);
    if (r.role === 'writer') assertRole(principal, 'writer');
    await deps.rateLimiter.check(principal, address);
    if (r.sse) {
      const release = deps.streams.open(principal, address, { revoke: () => endStream(res) });
      res.once('close', release);
    }
  } catch (error) {
    return refuseAdmission(deps, error, r.refuse);
  }
  const context = { req, res, requestId: r.requestId, principal, admitted: true } as ServerContext & {
    principal: Principal;
  };
  if (!r.hasBody) return void deps.yoga(req, res, context);
  readWithin(deps, req, res, context, r.refuse);
}

function refuseAdmission(deps: HandlerDeps, error: unknown, refuse: Refuse): void {
  const domain = asDomainError(error);
  if (!domain) {
    deps.platform.logger.error({ err: error }, 'request admission failed');
    refuse(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.', { unread: true });
    return;
  }
  const headers: Record<string, string> = {};
  if (domain.code === 'UNAUTHENTICATED') headers['www-authenticate'] = WWW_AUTHENTICATE;
  if (domain.details.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(domain.details.retryAfterSeconds);
  }
  refuse(HTTP_STATUS[domain.code], domain.code, domain.message, {
    headers,
    details: domain.details,
    unread: true,
  });
}

/** Reads the body up to the role's limit and hands it to Yoga, or answers 413. */
function readWithin(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  context: ServerContext & { principal: Principal },
  refuse: Refuse,
) {
  const { config } = deps.platform;
  const { bodyLimitBytes } = config.limits;
  const readerLimit = config.security.readerBodyLimitBytes;
  const reader = context.principal.role === 'reader' && readerLimit < bodyLimitBytes;
  const limit = reader ? readerLimit : bodyLimitBytes;
  const tooLarge = (size: string, close: boolean) =>
    refuse(
      413,
      'PAYLOAD_TOO_LARGE',
      reader
        ? `the body is ${size} bytes; the limit for reader keys is ${limit} (READER_BODY_LIMIT_BYTES): readers send queries, not data`
        : `the body is ${size} bytes; the limit is ${limit} (BODY_LIMIT_BYTES): send smaller batches`,
      close ? { headers: { connection: 'close' } } : {},
    );
  // An oversized body is read and dropped up to 4 × the limit rather than cut off at once: a
  // client closed on mid-upload sees a broken pipe instead of the 413 that says what to do.
  const drainLimit = 4 * limit;
  // Node's parser holds a body to its Content-Length, so a declared length can be trusted.
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    tooLarge(declared, Number(declared) > drainLimit);
    req.resume();
    return;
  }
  // The body (declared or chunked) is read here, counting, and handed to Yoga only when it fits.
  readBodyWithin(req, limit, drainLimit).then(
    (body) => {
      if (body === null) return tooLarge(`more than ${limit}`, false);
      handOver(deps, req, res, context, body);
    },
    () => req.destroy(),
  );
}

/**
 * Hands Yoga a body read in full, the way Express hands it a parsed body: a JSON object sent to
 * /graphql as that object (Yoga's JSON parser takes it as it is: no stream, no byte-counting
 * transform, no second parse), anything else as its bytes, which Yoga decodes, parses and refuses
 * exactly as it would the stream.
 */
function handOver(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  context: ServerContext,
  body: Buffer,
) {
  const parsed = graphqlJsonBody(req, body);
  const { principal, requestId } = context;
  if (parsed && principal && requestId && deps.fast?.answer(req, res, principal, requestId, parsed)) return;
  (req as IncomingMessage & { body?: unknown }).body = parsed ?? body;
  context.bodyBytes = body.length;
  void deps.yoga(req, res, context);
}

/**
 * The parsed body of a POST /graphql sent as `application/json` (Yoga's test of the media type),
 * when it is a JSON object or array with at least one entry; else undefined (Yoga then reads the
 * bytes: its own messages for invalid JSON, a byte-order mark or an empty object stay its own).
 */
export function graphqlJsonBody(req: IncomingMessage, body: Buffer): object | undefined {
  if ((req.url ?? '').split('?')[0] !== '/graphql') return undefined;
  const type = (req.headers['content-type'] ?? '').split(',')[0]!;
  if (type !== 'application/json' && !type.startsWith('application/json;')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Object.keys(parsed).length === 0) return undefined;
  return parsed;
}

/** GraphiQL's page: a browser's GET asking for HTML (Yoga answers it before any GraphQL). */
function wantsPage(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

/**
 * Ends an SSE response without its `complete` event (so SSE clients reconnect and are then
 * refused with 401), as shutdown does.
 */
function endStream(res: ServerResponse) {
  if (!res.writableEnded) res.end();
}

/**
 * After an answer given without reading the body: drops what the client goes on sending (never
 * holding it), and cuts the connection once that passes REFUSED_DRAIN_BYTES or REFUSED_DRAIN_MS.
 * The answer went out first, so the client reads it rather than a reset; a small body just ends
 * and the connection stays usable.
 */
function dropBody(req: IncomingMessage) {
  let dropped = 0;
  const cut = setTimeout(() => req.destroy(), REFUSED_DRAIN_MS);
  cut.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > REFUSED_DRAIN_BYTES) req.destroy();
  });
  req.once('end', () => clearTimeout(cut));
  req.once('close', () => clearTimeout(cut));
  req.resume();
}
