import type { Platform } from '@automl-stream/core';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One GraphQL result as a subscriber sees it. */
export interface LiveResult<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * Everything one subscription delivered, in arrival order, with polling waits. `ended` is set
 * when the server completed the operation (or the transport failed; then `failure` says why).
 */
export class Feed<T> {
  readonly results: LiveResult<T>[] = [];
  ended = false;
  failure: unknown = null;
  constructor(private readonly stop: () => void) {}

  /** The data of every result, in order (results with errors are skipped). */
  get items(): T[] {
    return this.results.flatMap((r) => (r.data ? [r.data] : []));
  }

  /** Resolves with the first item matching `predicate`, waiting for it up to `timeoutMs`. */
  next(predicate: (item: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
    return waitFor(
      () => this.items.find(predicate),
      `${what} (got ${JSON.stringify(this.items)})`,
      timeoutMs,
    );
  }

  /** Resolves once the subscription ended (completed, errored or closed). */
  whenEnded(what: string, timeoutMs = 10_000): Promise<true> {
    return waitFor(() => this.ended || undefined, what, timeoutMs);
  }

  close() {
    this.stop();
  }
}

/** Polls `probe` every 20 ms until it returns something other than undefined. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A graphql-ws client that never retries, so a refused connection surfaces as its close event. */
export function wsClient(url: string, key: string | null): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: true,
    retryAttempts: 0,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
  });
}

export function wsSubscribe<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Feed<T> {
  let feed: Feed<T>;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => feed.results.push(result as LiveResult<T>),
      error: (error) => {
        feed.failure = error;
        feed.ended = true;
      },
      complete: () => {
        feed.ended = true;
      },
    },
  );
  feed = new Feed<T>(dispose);
  return feed;
}

/**
 * A subscription over Server-Sent Events, as Yoga serves it by default: POST /graphql with
 * `accept: text/event-stream`, then `event: next` / `data: <json>` messages and a final
 * `event: complete`. `status` and `contentType` are those of the HTTP response.
 */
export function sseSubscribe<T>(
  url: string,
  key: string | null,
  query: string,
  variables: Record<string, unknown> = {},
): Feed<T> & { response: Promise<Response> } {
  const abort = new AbortController();
  const feed = new Feed<T>(() => abort.abort()) as Feed<T> & { response: Promise<Response> };
  feed.response = fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: abort.signal,
  });
  void (async () => {
    try {
      const response = await feed.response;
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        // Refused before streaming: the body is a plain GraphQL result.
        feed.results.push((await response.json()) as LiveResult<T>);
        return;
      }
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of message.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
          }
          if (event === 'complete') return;
          if (data.length > 0 && data.join('') !== '') feed.results.push(JSON.parse(data.join('\n')));
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) feed.failure = error;
    } finally {
      feed.ended = true;
    }
  })();
  return feed;
}

/**
 * Listeners on a platform's event bus. Subscriptions have no "subscribed" acknowledgement in
 * either protocol, so a test waits for the server to register its listener before causing the
 * event it expects (an event committed earlier is, by design, not replayed).
 */
export function busListeners(platform: Platform): number {
  return (platform.bus as unknown as { listeners: Set<unknown> }).listeners.size;
}

export function waitForBusListeners(platform: Platform, count: number, what: string): Promise<true> {
  return waitFor(() => busListeners(platform) >= count || undefined, `${count} bus listeners: ${what}`);
}

/** A learnable rule over 3 features: class = x0 + x1 > 1; `shift` moves x0 and x1 (covariate drift). */
export function learnableBatch(n: number, seed: number, shift = 0) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand() + shift, rand() + shift, rand()]);
  const labels = features.map((f) => (f[0]! + f[1]! > 1 + 2 * shift ? 1 : 0));
  return { features, labels };
}
