/**
 * Adapts a push source (a listener registration) to an async iterator, as GraphQL subscriptions
 * need. `latestOnly` keeps just the newest undelivered value (stats ticks); otherwise every value
 * is queued in order (events). `return()` unsubscribes.
 */
export function pushIterator<T>(
  subscribe: (push: (value: T) => void) => () => void,
  options: { latestOnly?: boolean } = {},
): AsyncIterableIterator<T> & { push: (value: T) => void } {
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const push = (value: T) => {
    if (done) return;
    if (options.latestOnly) queue.length = 0;
    queue.push(value);
    wake?.();
  };
  const unsubscribe = subscribe(push);
  const iterator = {
    push,
    [Symbol.asyncIterator]: () => iterator,
    next: async (): Promise<IteratorResult<T>> => {
      while (!done && queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      if (done) return { done: true, value: undefined };
      return { done: false, value: queue.shift()! };
    },
    return: async (): Promise<IteratorResult<T>> => {
      done = true;
      unsubscribe();
      wake?.();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
