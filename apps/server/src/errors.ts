import { DomainError, type ErrorCode } from '@automl-stream/core';
import { isConnectionError } from '@automl-stream/db/driver-failures.ts';
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';

/** HTTP status of each expected failure on REST routes (GraphQL answers 200 with errors unless noted). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  MODEL_NOT_READY: 503,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
};

/** An expected failure, whatever layer raised it, or undefined. */
export function asDomainError(error: unknown): DomainError | undefined {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  if (original instanceof DomainError) return original;
  // Retryable. A write cut off during its commit may or may not have landed: resending an ingest
  // with the same batchId is safe either way (it answers duplicate: true if it had).
  if (isConnectionError(original)) {
    return new DomainError('UNAVAILABLE', 'the database is unavailable: retry in a few seconds', {
      retryAfterSeconds: 2,
    });
  }
  if (original instanceof GraphQLError && original !== error) return asDomainError(original);
  return undefined;
}

/** GraphQLError for a DomainError: code and details in extensions; HTTP status for auth and rate limits. */
export function toGraphQLError(domain: DomainError, source?: GraphQLError): GraphQLError {
  const http =
    domain.code === 'UNAUTHENTICATED' || domain.code === 'RATE_LIMITED'
      ? {
          status: HTTP_STATUS[domain.code],
          headers: (domain.code === 'RATE_LIMITED'
            ? { 'Retry-After': String(domain.details.retryAfterSeconds ?? 1) }
            : { 'WWW-Authenticate': 'Bearer realm="automl-stream"' }) as Record<string, string>,
        }
      : undefined;
  return new GraphQLError(domain.message, {
    ...(source?.nodes ? { nodes: source.nodes } : {}),
    ...(source?.source ? { source: source.source } : {}),
    ...(source?.positions ? { positions: source.positions } : {}),
    ...(source?.path ? { path: source.path } : {}),
    extensions: { code: domain.code, ...domain.details, ...(http ? { http } : {}) },
  });
}

/**
 * Expected failures are shown with their code; GraphQL's own errors (syntax, validation, variable
 * coercion) pass through with a BAD_USER_INPUT-style code; anything else is masked.
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const domain = asDomainError(error);
  if (domain) return toGraphQLError(domain, error instanceof GraphQLError ? error : undefined);
  return yogaMaskError(error, message, isDev);
}

/** Adds a code to a GraphQL error that has none (graphql-js's own request errors). */
export function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.source ? { source: error.source } : {}),
    ...(error.positions ? { positions: error.positions } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.originalError ? { originalError: error.originalError } : {}),
    extensions: { ...error.extensions, code },
  });
}
