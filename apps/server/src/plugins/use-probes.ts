import type { Platform, Readiness } from '@automl-stream/core';
import { type Plugin, useReadinessCheck } from 'graphql-yoga';
import type { GraphQLContext } from '../context.ts';
import type { ServerContext } from '../http-handler.ts';

/** Readiness answers are reused this long: probes and strangers cannot pile up database checks. */
const READY_CACHE_MS = 1_000;

/** Why a process is not ready, in a word: the details (the database's error) stay in the logs. */
export function notReadyReason(checks: Readiness['checks']): string {
  if (!checks.queues) return 'shutting_down';
  if (!checks.database) return 'database_unavailable';
  return 'migrations_pending';
}

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

const methodNotAllowed = (request: Request) =>
  json(
    {
      error: {
        code: 'METHOD_NOT_ALLOWED',
        message: `${request.method} is not allowed on ${new URL(request.url).pathname}`,
      },
    },
    405,
  );

export interface ProbeDeps {
  /** The shared check of database and migrations (`Platform.readiness`). */
  readiness: Platform['readiness'];
  logger: Pick<Platform['logger'], 'warn'>;
  /** This server's own flag: false once it stopped accepting (draining). */
  isReady: () => boolean;
}

/**
 * `/ready`: the database, the migrations (`Platform.readiness`, shared with the worker's probe) and
 * this server's own flag, as JSON with a coarse reason; answers are cached for a second.
 */
export function readinessAnswer(deps: ProbeDeps): () => Promise<Response> {
  let cached: { at: number; answer: Promise<Readiness> } | null = null;
  return async () => {
    const now = Date.now();
    if (!cached || now - cached.at > READY_CACHE_MS) {
      cached = { at: now, answer: deps.readiness({ queues: deps.isReady() }) };
    }
    const { ready, checks } = await cached.answer;
    // The database's error text (host names, authentication failures) is not for strangers.
    const { error, ...coarse } = checks;
    if (error) deps.logger.warn({ reason: error }, 'not ready: database check failed');
    const body = {
      status: ready ? 'ready' : 'not_ready',
      ...(ready ? {} : { reason: notReadyReason(checks) }),
      checks: coarse,
    };
    return json(body, ready ? 200 : 503);
  };
}

/**
 * `/ready` through Yoga's readiness check over {@link readinessAnswer} (GET and HEAD; other methods
 * get 405). `/health` is Yoga's own health check (`healthCheckEndpoint`, liveness: 200 with an
 * empty body while the process serves), which Yoga runs before any plugin.
 */
export function useProbes(deps: ProbeDeps): Plugin<GraphQLContext, ServerContext> {
  const answer = readinessAnswer(deps);
  const readiness = useReadinessCheck({
    endpoint: '/ready',
    check: ({ request }) => (isProbeMethod(request) ? answer() : methodNotAllowed(request)),
  }) as Plugin<GraphQLContext, ServerContext>;
  const onRequest = readiness.onRequest!;
  return {
    ...readiness,
    // Yoga's check matches a URL ending in /ready or whose path is /ready, the last through a
    // URLPattern, for every request. Neither can match a URL without "ready" in it (every
    // /graphql request), so those skip it: the same answers, without a pattern match per request.
    onRequest: (payload) => (payload.request.url.includes('ready') ? onRequest(payload) : undefined),
  };
}

const isProbeMethod = (request: Request) => request.method === 'GET' || request.method === 'HEAD';
