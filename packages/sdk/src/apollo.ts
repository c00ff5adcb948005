import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { createWebSocketClient, type WebSocketOptions } from './websocket.ts';

export interface CreateClientOptions extends WebSocketOptions {
  /** http(s) URL of the GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` over HTTP and in the WebSocket's connection params. */
  apiKey?: string | null;
  /** fetch for the HTTP link (SvelteKit's `fetch` during server rendering). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Your own cache (type policies...). @default new InMemoryCache() */
  cache?: InMemoryCache;
}

/**
 * An Apollo Client that also owns its WebSocket: `close()` stops both. Everything else is
 * Apollo's API (`query`, `mutate`, `subscribe`, `watchQuery`, the cache).
 */
export class AutomlApolloClient extends ApolloClient {
  constructor(
    options: ApolloClient.Options,
    /** The graphql-ws client behind subscriptions. */
    readonly ws: WsClient,
  ) {
    super(options);
  }

  /** Stops the client's queries and closes the WebSocket. */
  async close(): Promise<void> {
    this.stop();
    await this.ws.dispose();
  }
}

/**
 * Apollo Client 4 for the platform: queries and mutations over HTTP, subscriptions over
 * graphql-ws on the same path, split by operation type. The WebSocket connects on the first
 * subscription and reconnects by itself, re-sending active subscriptions (see `createWebSocketClient`).
 * Works in browsers as is; in Node 20 pass `webSocketImpl` (from `ws`).
 */
export function createClient(options: CreateClientOptions): AutomlApolloClient {
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const http = new HttpLink({
    uri: options.url,
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const ws = createWebSocketClient(options.url, options.apiKey, options);
  const link = ApolloLink.split(
    (operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION,
    new GraphQLWsLink(ws),
    http,
  );
  return new AutomlApolloClient({ link, cache: options.cache ?? new InMemoryCache() }, ws);
}
