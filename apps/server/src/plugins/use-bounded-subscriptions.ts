import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Results a subscriber may have waiting before it counts as stalled (a burst after a reconnect is fine). */
export const MAX_PENDING_RESULTS = 1_000;
/** How long a subscriber with that many waiting may go without taking one before it is cut off. */
export const STALLED_AFTER_MS = 10_000;
/** Results waiting, however fast the subscriber reads, past which it is cut off at once. */
export const HARD_MAX_PENDING_RESULTS = 50_000;

/** The last result a stalled subscriber gets: the backlog is dropped, and it should subscribe again. */
export const stalledResult = (pending: number): ExecutionResult => ({
  errors: [
    new GraphQLError(
      `this subscription fell ${pending} results behind and was ended: read faster, or subscribe again and re-read the state`,
      { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } },
    ),
  ],
});

/**
 * Reads `source` as fast as it produces, holding what the subscriber has not taken yet. When the
 * subscriber stalls (more than `maxPending` waiting and nothing taken for `stalledAfterMs`, or
 * `hardMax` waiting) the backlog is dropped, `source` is ended (which unsubscribes it from the
 * event bus) and the subscriber gets one `SUBSCRIBER_TOO_SLOW` error. Without this a subscriber
 * that stops reading holds every event from then on.
 */
export function boundedStream<T>(
  source: AsyncIterable<T>,
  overflow: (pending: number) => T,
  options: { maxPending?: number; stalledAfterMs?: number; hardMax?: number; now?: () => number } = {},
): AsyncIterableIterator<T> {
  const maxPending = options.maxPending ?? MAX_PENDING_RESULTS;
  const stalledAfter = options.stalledAfterMs ?? STALLED_AFTER_MS;
  const hardMax = options.hardMax ?? HARD_MAX_PENDING_RESULTS;
  const now = options.now ?? Date.now;
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let lastTaken = now();
  let finished = false;
  let failure: { error: unknown } | null = null;
  let wake = null as (() => void) | null;

  const stop = () => {
    finished = true;
    void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  void (async () => {
    try {
      for (;;) {
        const step = await iterator.next();
        if (finished) return;
        if (step.done) break;
        queue.push(step.value);
        const stalled = queue.length > maxPending && now() - lastTaken >= stalledAfter;
        if (stalled || queue.length > hardMax) {
          const pending = queue.length;
          queue.length = 0;
          queue.push(overflow(pending));
          stop();
          break;
        }
        wake?.();
      }
    } catch (error) {
      failure = { error };
    }
    finished = true;
    wake?.();
  })();

  const bounded: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => bounded,
    async next() {
      while (queue.length === 0 && !finished) await new Promise<void>((r) => (wake = r));
      wake = null;
      lastTaken = now();
      if (queue.length > 0) return { done: false, value: queue.shift()! };
      if (failure) throw failure.error;
      return { done: true, value: undefined };
    },
    async return() {
      queue.length = 0;
      if (!finished) stop();
      wake?.();
      return { done: true, value: undefined };
    },
  };
  return bounded;
}

/** Applies {@link boundedStream} to every subscription, over SSE and graphql-ws alike. */
export function useBoundedSubscriptions(): Plugin {
  return {
    onSubscribe: () => ({
      onSubscribeResult({ result, setResult }) {
        if (result && typeof result === 'object' && Symbol.asyncIterator in result) {
          setResult(boundedStream(result as AsyncIterable<ExecutionResult>, stalledResult));
        }
      },
    }),
  };
}
