import type { GraphQLFormattedError } from 'graphql';

/**
 * Codes the platform puts in `extensions.code` (see the API reference), plus three the clients
 * raise themselves: `NETWORK_ERROR` (the server could not be reached), `BAD_RESPONSE` (an answer
 * that is not a GraphQL response) and `INTERNAL_SERVER_ERROR` (an error without a code: the
 * server masks unexpected failures).
 */
export type ApiErrorCode =
  | 'BAD_USER_INPUT'
  | 'MODEL_NOT_READY'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'GRAPHQL_PARSE_FAILED'
  | 'INTERNAL_SERVER_ERROR'
  | 'NETWORK_ERROR'
  | 'BAD_RESPONSE'
  | (string & {});

/** A failure reported by the platform (or on the way to it), with the server's code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** Every error of the response (the message and code are the first one's). */
  readonly errors: readonly GraphQLFormattedError[];
  /** HTTP status, when the answer came over HTTP. */
  readonly status: number | undefined;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    options: {
      errors?: readonly GraphQLFormattedError[];
      /** HTTP status, when the answer came over HTTP. */
      status?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors ?? [];
    this.status = options.status;
  }

  /** `extensions` of the first error (e.g. `retryAfterSeconds` with RATE_LIMITED). */
  get extensions(): Record<string, unknown> {
    return (this.errors[0]?.extensions as Record<string, unknown> | undefined) ?? {};
  }

  /** Path of the field that failed, when the server gave one. */
  get path(): readonly (string | number)[] | undefined {
    return this.errors[0]?.path;
  }

  /** Built from a GraphQL response's `errors` (the first error sets code and message). */
  static fromGraphQLErrors(errors: readonly GraphQLFormattedError[], status?: number): ApiError {
    const first = errors[0];
    const code =
      typeof first?.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
    return new ApiError(code, first?.message ?? 'the server answered with an empty error list', {
      errors,
      ...(status === undefined ? {} : { status }),
    });
  }
}

interface CloseEventLike {
  code: number;
  reason: string;
}

const isCloseEvent = (value: unknown): value is CloseEventLike =>
  typeof value === 'object' &&
  value !== null &&
  'code' in value &&
  'reason' in value &&
  typeof value.code === 'number';

const isFormattedErrorList = (value: unknown): value is GraphQLFormattedError[] =>
  Array.isArray(value) &&
  value.every((e) => typeof e === 'object' && e !== null && typeof e.message === 'string');

/** graphql-ws closes with 4403 when the server refuses the connection's API key. */
export const WS_REFUSED_CODE = 4403;

/**
 * Turns whatever a transport threw into an ApiError: Apollo's error classes (by shape, so this
 * module does not load Apollo), graphql-ws close events and error lists, fetch failures.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isFormattedErrorList(error)) return ApiError.fromGraphQLErrors(error);
  if (isCloseEvent(error)) {
    if (error.code === WS_REFUSED_CODE) {
      return new ApiError(
        'UNAUTHENTICATED',
        'the server refused the WebSocket connection: the API key is missing, unknown or revoked',
        { cause: error },
      );
    }
    return new ApiError(
      'NETWORK_ERROR',
      `the WebSocket closed (${error.code}${error.reason ? `: ${error.reason}` : ''})`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof Error) {
    const shaped = error as Error & {
      errors?: unknown;
      statusCode?: number;
      bodyText?: string;
      result?: unknown;
    };
    // Apollo 4 CombinedGraphQLErrors: `errors` holds the formatted GraphQL errors.
    if (error.name === 'CombinedGraphQLErrors' && isFormattedErrorList(shaped.errors)) {
      return ApiError.fromGraphQLErrors(shaped.errors);
    }
    // Apollo 4 ServerError: a non-2xx HTTP answer; its body usually still holds GraphQL errors.
    if (error.name === 'ServerError' && typeof shaped.statusCode === 'number') {
      const parsed = parseErrorBody(shaped.bodyText);
      if (parsed) return ApiError.fromGraphQLErrors(parsed, shaped.statusCode);
      return new ApiError('BAD_RESPONSE', `HTTP ${shaped.statusCode}: ${error.message}`, {
        status: shaped.statusCode,
        cause: error,
      });
    }
    if (error.name === 'ServerParseError') {
      return new ApiError('BAD_RESPONSE', `the server's answer is not GraphQL JSON: ${error.message}`, {
        cause: error,
      });
    }
    if (error.name === 'TypeError' || error.name === 'AbortError' || error.name === 'TimeoutError') {
      return new ApiError('NETWORK_ERROR', describeNetworkFailure(error), { cause: error });
    }
    return new ApiError('INTERNAL_SERVER_ERROR', error.message, { cause: error });
  }
  return new ApiError('INTERNAL_SERVER_ERROR', String(error), { cause: error });
}

function parseErrorBody(body: string | undefined): GraphQLFormattedError[] | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    return isFormattedErrorList(parsed.errors) && parsed.errors.length > 0 ? parsed.errors : null;
  } catch {
    return null;
  }
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
export function describeNetworkFailure(error: Error): string {
  if (error.name === 'TimeoutError') return `no answer in time (${error.message})`;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const reason = cause?.code ?? cause?.message ?? error.message;
  return `could not reach the server (${reason})`;
}
