import { createHash, timingSafeEqual } from 'node:crypto';
import type { Platform } from '@automl-stream/core';
import { DomainError, pipelineName } from '@automl-stream/core';
import { type Access, WWW_AUTHENTICATE } from './auth.ts';
import { clientAddress } from './client-address.ts';
import type { Role } from './context.ts';
import { asDomainError, HTTP_STATUS } from './errors.ts';
import type { ServerContext } from './http-handler.ts';
import type { ServerMetrics } from './metrics.ts';
import type { RateLimiter } from './rate-limit.ts';
import { assertPipeline, assertRole } from './roles.ts';

/** Routes answered here; `/health` and `/ready` are Yoga's checks (plugins/use-probes.ts). */
const ROUTES = ['/metrics', '/ingest/batch', '/predict'];

const PIPELINE_ROUTE = /^\/pipelines\/([^/]+)(\/ingest\/batch|\/predict)$/;

/**
 * The route of a path: `/pipelines/{name}/ingest/batch` and `/pipelines/{name}/predict` are the
 * original pipeline's routes for the named pipeline (the name as sent, checked by the route).
 */
export function restRoute(path: string): { route: string; pipeline: string | null } {
  const match = PIPELINE_ROUTE.exec(path);
  if (!match) return { route: path, pipeline: null };
  let name = match[1]!;
  try {
    name = decodeURIComponent(name);
  } catch {
    // Left as sent: the name check refuses it.
  }
  return { route: match[2]!, pipeline: name };
}

interface RestDeps {
  platform: Platform;
  metrics: ServerMetrics;
  access: Access;
  rateLimiter: RateLimiter;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether an Authorization header carries the metrics token (compared in constant time). */
function hasMetricsToken(authorization: string | null, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

/** A refusal with an HTTP status of its own (415), outside the domain's error codes. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function errorResponse(error: unknown): Response {
  if (error instanceof HttpRefusal) {
    return json({ error: { code: error.code, message: error.message } }, error.status);
  }
  const domain = asDomainError(error);
  if (!domain) return json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' } }, 500);
  const headers: Record<string, string> = {};
  if (domain.code === 'RATE_LIMITED' || domain.details.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(domain.details.retryAfterSeconds ?? 1);
  }
  if (domain.code === 'UNAUTHENTICATED') headers['www-authenticate'] = WWW_AUTHENTICATE;
  return json(
    { error: { code: domain.code, message: domain.message, ...domain.details } },
    HTTP_STATUS[domain.code],
    headers,
  );
}

/**
 * The body as a JSON object with only the `allowed` fields: a misspelt field (`batchid`) would
 * otherwise be ignored silently, and a batch meant to be idempotent would be stored twice.
 */
async function readJson(request: Request, allowed: string[]): Promise<Record<string, unknown>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpRefusal(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `send a JSON body with Content-Type: application/json (got "${type || 'none'}")`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw new DomainError('BAD_USER_INPUT', 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('BAD_USER_INPUT', 'the body must be a JSON object');
  }
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new DomainError(
      'BAD_USER_INPUT',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown
        .slice(0, 5)
        .map((k) => JSON.stringify(k.slice(0, 40)))
        .join(', ')}: this route takes ${allowed.join(', ')}`,
      { unknownFields: unknown.slice(0, 20).map((k) => k.slice(0, 40)) },
    );
  }
  return body as Record<string, unknown>;
}

type Guard = (
  request: Request,
  context: ServerContext,
  access: { role: Role; pipeline: string },
  handler: () => Promise<Response>,
) => Promise<Response>;

/** Runs `handler` for a principal with `role`: admitted by the node handler, or checked here. */
function guardWith(deps: RestDeps): Guard {
  const { security } = deps.platform.config;
  return async (request, context, { role, pipeline }, handler) => {
    try {
      // Admitted by the node handler (key, role and rate checked before the body was read), or
      // reached through yoga.fetch: check here.
      const admitted = context.admitted ? context.principal : undefined;
      const address = clientAddress(context.req, security.trustProxy);
      const principal =
        admitted ?? (await deps.access.authenticate(request.headers.get('authorization'), address));
      assertRole(principal, role);
      assertPipeline(principal, pipelineName(pipeline));
      if (!admitted) await deps.rateLimiter.check(principal, address);
      return await handler();
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** `GET /metrics`: Prometheus text, behind METRICS_TOKEN (off when auth is on and no token is set). */
async function metricsRoute(deps: RestDeps, request: Request): Promise<Response> {
  const { platform } = deps;
  const token = platform.config.security.metricsToken;
  if (!token && platform.config.auth.enabled) {
    return json(
      {
        error: {
          code: 'NOT_FOUND',
          message:
            '/metrics is off: set METRICS_TOKEN and scrape with "Authorization: Bearer <METRICS_TOKEN>"',
        },
      },
      404,
    );
  }
  if (token && !hasMetricsToken(request.headers.get('authorization'), token)) {
    return json(
      {
        error: { code: 'UNAUTHENTICATED', message: '/metrics needs "Authorization: Bearer <METRICS_TOKEN>"' },
      },
      401,
      { 'www-authenticate': 'Bearer realm="automl-stream metrics"' },
    );
  }
  return new Response(await deps.metrics.registry.metrics(), {
    headers: { 'content-type': deps.metrics.registry.contentType },
  });
}

/** `POST /ingest/batch`, answered in the original pipeline's shape. */
async function ingestRoute(platform: Platform, pipeline: string, request: Request): Promise<Response> {
  const body = await readJson(request, [
    'features',
    'records',
    'labels',
    'label_column',
    'batch_id',
    'batchId',
  ]);
  const runtime = await platform.pipelines.forWrite(pipeline, platform.config.pipelines.autoCreate);
  const result = await runtime.data.ingest({
    features: body.features,
    records: body.records,
    labels: body.labels,
    labelColumn: (body.label_column ?? null) as string | null,
    batchId: (body.batch_id ?? body.batchId ?? null) as string | null,
    source: 'rest',
  });
  return json({
    status: result.duplicate ? 'duplicate' : 'success',
    batch_id: result.batchId,
    duplicate: result.duplicate,
    rows_stored: result.rowsStored,
    labelled_rows: result.labelledRows,
    batch_accuracy: result.batchAccuracy,
    model_version: result.modelVersion,
  });
}

/** `POST /predict`, answered in the original pipeline's shape. */
async function predictRoute(platform: Platform, pipeline: string, request: Request): Promise<Response> {
  const body = await readJson(request, ['features', 'records']);
  const runtime = await platform.pipelines.forWrite(pipeline, false);
  const result = await runtime.data.predict({ features: body.features, records: body.records });
  return json({
    predictions: result.predictions.map((p) => p.label),
    probabilities: result.predictions.map((p) => p.probabilities),
    classes: result.predictions.map((p) => p.classValue),
    class_probabilities: result.predictions.map((p) => p.classProbabilities),
    unseen_categories: result.unseenCategories,
    absent_columns: result.absentColumns,
    prediction_ids: result.predictions.map((p) => String(p.id)),
    model_version: result.modelVersion,
  });
}

/** 405 on a known route with another method, 404 elsewhere; undefined for /graphql (Yoga's). */
function unrouted(request: Request, url: URL): Promise<Response> | undefined {
  if (ROUTES.includes(restRoute(url.pathname).route)) {
    const message = `${request.method} is not allowed on ${url.pathname}`;
    return Promise.resolve(json({ error: { code: 'METHOD_NOT_ALLOWED', message } }, 405));
  }
  if (url.pathname === '/graphql') return undefined;
  const message = `no route ${request.method} ${url.pathname}: the API is /graphql (POST, GET, WebSocket); REST: POST /ingest/batch, POST /predict (and /pipelines/{name}/ingest/batch, /pipelines/{name}/predict); GET /health, /ready, /metrics`;
  return Promise.resolve(json({ error: { code: 'NOT_FOUND', message } }, 404));
}

/**
 * Metrics and the REST-compatibility routes, answered before GraphQL. The REST routes are the
 * original pipeline's (`POST /ingest/batch`, `POST /predict`), over the same services.
 */
export function restRoutes(
  deps: RestDeps,
): (request: Request, context: ServerContext) => Promise<Response> | undefined {
  const { platform } = deps;
  const guarded = guardWith(deps);
  return (request, context) => {
    const url = new URL(request.url);
    const { route, pipeline: named } = restRoute(url.pathname);
    const access = { role: 'writer' as const, pipeline: named ?? 'default' };
    switch (`${request.method} ${route}`) {
      case 'GET /metrics':
        return named === null ? metricsRoute(deps, request) : unrouted(request, url);
      case 'POST /ingest/batch':
        return guarded(request, context, access, () => ingestRoute(platform, access.pipeline, request));
      case 'POST /predict':
        return guarded(request, context, access, () => predictRoute(platform, access.pipeline, request));
      default:
        return unrouted(request, url);
    }
  };
}
