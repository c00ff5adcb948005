import { ApiError } from '@automl-stream/sdk/node.ts';

/** Failures worth another try: the server was unreachable, busy, or asked us to slow down. */
const TRANSIENT = new Set(['NETWORK_ERROR', 'RATE_LIMITED', 'UNAVAILABLE']);

/**
 * Runs `attempt` until it succeeds, retrying transient failures with a growing wait (the server's
 * Retry-After for RATE_LIMITED). Safe only for idempotent calls: ingest batches carry a batch id.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  options: {
    attempts?: number;
    signal?: AbortSignal;
    onRetry?: (error: ApiError, waitMs: number) => void;
    /** Codes to retry. @default NETWORK_ERROR, RATE_LIMITED, UNAVAILABLE */
    retryOn?: ReadonlySet<string>;
  } = {},
): Promise<T> {
  const attempts = options.attempts ?? 6;
  const retryOn = options.retryOn ?? TRANSIENT;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (
        !(error instanceof ApiError) ||
        !retryOn.has(error.code) ||
        i >= attempts ||
        options.signal?.aborted
      )
        throw error;
      const retryAfter = Number(error.extensions.retryAfterSeconds);
      const waitMs =
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.min(10_000, 250 * 2 ** i);
      options.onRetry?.(error, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
