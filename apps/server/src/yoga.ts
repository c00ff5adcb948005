import type { Logger, Platform } from '@automl-stream/core';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Access } from './auth.ts';
import { type GraphQLContext, requestContext } from './context.ts';
import { DocumentCache } from './document-cache.ts';
import { asDomainError, maskError, toGraphQLError } from './errors.ts';
import type { FastOperations } from './fast-operations.ts';
import type { ServerContext } from './http-handler.ts';
import { listCostPlugin } from './list-cost.ts';
import { graphiqlFor } from './local-explorer.ts';
import type { ServerMetrics } from './metrics.ts';
import type { OriginPolicy } from './origin.ts';
import { useAccess } from './plugins/use-access.ts';
import { useArmor } from './plugins/use-armor.ts';
import { useBoundedSubscriptions } from './plugins/use-bounded-subscriptions.ts';
import { type AdmittedRequest, useDocumentLimits } from './plugins/use-document-limits.ts';
import { useErrorCodes } from './plugins/use-error-codes.ts';
import { useMediaTypeHelp } from './plugins/use-media-type-help.ts';
import { useNestingGuard } from './plugins/use-nesting-guard.ts';
import { useOperationMetrics } from './plugins/use-operation-metrics.ts';
import { useProbes } from './plugins/use-probes.ts';
import { useRestRoutes } from './plugins/use-rest-routes.ts';
import type { RateLimiter } from './rate-limit.ts';

/** Estimated heap each of Yoga's parse caches (documents, parse errors) may hold. */
const DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;

export interface YogaDeps {
  platform: Platform;
  schema: GraphQLSchema;
  metrics: ServerMetrics;
  access: Access;
  rateLimiter: RateLimiter;
  origins: OriginPolicy;
  rest: (request: Request, context: ServerContext) => Promise<Response> | undefined;
  /** Learns the documents Yoga admits that the node handler may then answer without Yoga. */
  fast?: FastOperations | undefined;
  /** This server's own readiness flag: false once it stopped accepting. */
  isReady: () => boolean;
  localExplorerKey?: (() => string | null) | undefined;
}

export type Yoga = YogaServerInstance<ServerContext, GraphQLContext>;

/**
 * Yoga with its plugins, in the order a request meets them: Yoga's health check, readiness, REST routes, access (key and rate),
 * the media-type hint, document limits, the nesting guard, error codes, operation metrics, list
 * cost, graphql-armor's limits, and the bound on what a stalled subscriber may hold.
 */
export function createYogaServer(deps: YogaDeps): Yoga {
  const { platform } = deps;
  const { config, logger } = platform;
  const production = config.env === 'production';
  return createYoga<ServerContext, GraphQLContext>({
    schema: deps.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiqlFor({ production, localKey: deps.localExplorerKey }),
    renderGraphiQL,
    maskedErrors: { maskError, isDev: false },
    // The node handler enforces the body limits first, by role, before reading (declared and
    // chunked bodies alike); this covers requests handed to yoga.fetch directly.
    maxRequestBodySize: config.limits.bodyLimitBytes,
    // Browsers may call cross-origin only from CORS_ORIGINS (the node handler refuses the others).
    cors: deps.origins.cors,
    // No file uploads: multipart bodies are one more way in without a preflight.
    multipart: false,
    parserAndValidationCache: {
      documentCache: new DocumentCache<DocumentNode>(DOCUMENT_CACHE_BYTES),
      errorCache: new DocumentCache<unknown>(DOCUMENT_CACHE_BYTES),
    },
    logging: yogaLogging(logger),
    healthCheckEndpoint: '/health',
    plugins: [
      useProbes({
        readiness: (options) => platform.readiness(options),
        logger,
        isReady: deps.isReady,
      }),
      useRestRoutes(deps.rest),
      useAccess({
        access: deps.access,
        rateLimiter: deps.rateLimiter,
        trustProxy: config.security.trustProxy,
      }),
      useMediaTypeHelp(),
      useDocumentLimits(config) as Plugin<GraphQLContext & AdmittedRequest>,
      useNestingGuard(config.limits.maxDepth, production),
      useErrorCodes(),
      useOperationMetrics(deps.metrics),
      listCostPlugin(config.limits.maxListItems, production),
      useArmor(config.limits, production),
      useBoundedSubscriptions(),
      ...(deps.fast ? [useFastOperations(deps.fast)] : []),
    ],
    context: ({ request, principal, requestId }) => graphqlContext(deps, request, principal, requestId),
  });
}

/** The operation's context: the principal the access plugin or the socket set, else authenticated here. */
async function graphqlContext(
  deps: YogaDeps,
  request: Request,
  principal: ServerContext['principal'],
  requestId: ServerContext['requestId'],
): Promise<GraphQLContext> {
  const { platform } = deps;
  try {
    const who =
      principal ?? (await deps.access.authenticate(request.headers.get('authorization'), 'in-process'));
    return requestContext(platform, who, requestId ?? crypto.randomUUID());
  } catch (error) {
    const domain = asDomainError(error);
    throw domain ? toGraphQLError(domain) : error;
  }
}

/** Hands each document Yoga admitted to execution to the fast path, which keeps the hot ones. */
function useFastOperations(fast: FastOperations): Plugin {
  return {
    onExecute({ args }) {
      const { params } = args.contextValue as { params?: Parameters<FastOperations['learn']>[0] };
      if (params) fast.learn(params, args.document);
    },
  };
}

/**
 * Yoga's log lines through ours. Yoga logs every error it hands to maskError at level error, the
 * answers to bad requests too (an unknown pipeline, a bad value): those are the client's, answered
 * with their code, and go to debug; a database that is unavailable, and anything unexpected, stay
 * errors.
 */
export function yogaLogging(logger: Logger) {
  const text = (args: unknown[]) => args.map(String).join(' ');
  return {
    debug: (...args: unknown[]) => logger.debug(text(args)),
    info: (...args: unknown[]) => logger.info(text(args)),
    warn: (...args: unknown[]) => logger.warn(text(args)),
    error: (...args: unknown[]) => {
      const answered = args.length === 1 ? asDomainError(args[0]) : undefined;
      if (answered && answered.code !== 'UNAVAILABLE') {
        logger.debug({ code: answered.code }, `request answered with ${answered.code}: ${answered.message}`);
      } else logger.error(text(args));
    },
  };
}
