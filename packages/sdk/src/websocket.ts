import { type Client, type ClientOptions, createClient as createWsClient } from 'graphql-ws';
import { WS_REFUSED_CODE } from './api-error.ts';

/** Connection state of the WebSocket, for a "live / reconnecting" badge. */
export type ConnectionState = 'connecting' | 'connected' | 'closed';

export interface WebSocketOptions {
  /** ws:// or wss:// URL of /graphql. @default `url` with http → ws */
  wsUrl?: string;
  /**
   * The WebSocket class. Browsers have one; Node 20 does not: pass `WebSocket` from the `ws`
   * package. @default globalThis.WebSocket
   */
  webSocketImpl?: unknown;
  /** Told on every change, e.g. to re-read state after a reconnect (events are not replayed). */
  onConnectionChange?: (state: ConnectionState) => void;
  /**
   * Ping interval; a ping without a pong within `keepAliveMs / 2` drops the socket and reconnects
   * (a half-open connection after a network change or a laptop's sleep would otherwise hang).
   * @default 10000
   */
  keepAliveMs?: number;
}

/** Longest wait between two reconnection attempts. */
export const MAX_RETRY_WAIT_MS = 10_000;

/** ws:// for http://, wss:// for https://. */
export function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
}

/**
 * A graphql-ws client that connects on the first subscription (lazy), closes when the last one
 * ends, and reconnects on its own forever: every drop (server restart, network loss) is retried
 * with a capped, jittered backoff, and active subscriptions are re-sent on the new connection.
 * The one exception is close code 4403 (the server refused the API key): retrying cannot fix it,
 * so subscribers get an error instead of a silent endless loop.
 */
export function createWebSocketClient(
  url: string,
  apiKey: string | null | undefined,
  options: WebSocketOptions,
): Client {
  const webSocketImpl = options.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  // Queries and mutations still work without one (e.g. server-side rendering on Node 20).
  if (!webSocketImpl) return clientWithoutWebSocket();
  const keepAlive = options.keepAliveMs ?? 10_000;
  let activeSocket: { readyState: number; close(code: number, reason: string): void } | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  const notify = options.onConnectionChange ?? (() => {});
  const clientOptions: ClientOptions = {
    url: options.wsUrl ?? toWebSocketUrl(url),
    webSocketImpl,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (errOrCloseEvent) =>
      !(
        typeof errOrCloseEvent === 'object' &&
        errOrCloseEvent !== null &&
        (errOrCloseEvent as { code?: unknown }).code === WS_REFUSED_CODE
      ),
    retryWait: async (retries) => {
      const wait = Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) * (0.75 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, wait));
    },
    connectionParams: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    keepAlive,
    on: {
      connecting: () => notify('connecting'),
      connected: (socket) => {
        activeSocket = socket as typeof activeSocket;
        notify('connected');
      },
      closed: () => {
        activeSocket = null;
        clearTimeout(pongTimer);
        notify('closed');
      },
      ping: (received) => {
        if (received || keepAlive <= 0) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          // 4408 is not fatal to graphql-ws: the client reconnects.
          if (activeSocket?.readyState === 1) activeSocket.close(4408, 'no pong in time');
        }, keepAlive / 2);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
    },
  };
  return createWsClient(clientOptions);
}

export const MISSING_WEBSOCKET_MESSAGE =
  'subscriptions need a WebSocket implementation: on Node 20 pass `webSocketImpl: WebSocket` from the `ws` package (import WebSocket from "ws")';

/** Stands in when no WebSocket class exists: every subscription fails with a message saying what to pass. */
function clientWithoutWebSocket(): Client {
  return {
    on: () => () => {},
    subscribe: (_payload, sink) => {
      sink.error(new Error(MISSING_WEBSOCKET_MESSAGE));
      return () => {};
    },
    iterate: () => {
      throw new Error(MISSING_WEBSOCKET_MESSAGE);
    },
    terminate: () => {},
    dispose: () => {},
  };
}
