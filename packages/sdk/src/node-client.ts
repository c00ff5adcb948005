import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type DocumentNode, type GraphQLFormattedError, getOperationAST, print } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import { ApiError, describeNetworkFailure, toApiError } from './api-error.ts';
import { createWebSocketClient, type WebSocketOptions } from './websocket.ts';

export interface NodeClientOptions extends WebSocketOptions {
  /** http(s) URL of the GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` over HTTP and in the WebSocket's connection params. */
  apiKey?: string | null;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per HTTP request; a request that takes longer fails with NETWORK_ERROR. @default 60000 */
  timeoutMs?: number;
}

/** Variables are optional when the operation has no required ones. */
export type VariablesOf<TVariables> =
  Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface NodeClient {
  /** Runs a query or mutation over HTTP; resolves with `data`, rejects with an ApiError. */
  request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: VariablesOf<TVariables>
  ): Promise<TData>;
  /**
   * Starts a subscription over the WebSocket; `onNext` gets each event's data. Survives server
   * restarts (the subscription is re-sent after the reconnect). Returns the function that ends it.
   */
  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    onNext: (data: TData) => void,
    onError?: (error: ApiError) => void,
  ): () => void;
  /** The same as an async iterator: `for await (const event of client.iterate(Doc))`; `break` ends it. */
  iterate<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...variables: VariablesOf<TVariables>
  ): AsyncIterableIterator<TData>;
  /** The WebSocket client (created on first use), e.g. to listen to its events. */
  readonly ws: WsClient;
  /** Ends every subscription and closes the WebSocket. */
  close(): Promise<void>;
}

const printed = new WeakMap<DocumentNode, { query: string; operationName: string | undefined }>();

function source(document: DocumentNode) {
  let entry = printed.get(document);
  if (!entry) {
    entry = { query: print(document), operationName: getOperationAST(document)?.name?.value };
    printed.set(document, entry);
  }
  return entry;
}

/** GraphQL data or an ApiError, from one execution result. */
function unwrap<TData>(
  result: { data?: unknown; errors?: readonly GraphQLFormattedError[] },
  status?: number,
): TData {
  if (result.errors && result.errors.length > 0) throw ApiError.fromGraphQLErrors(result.errors, status);
  if (result.data === undefined || result.data === null) {
    throw new ApiError(
      'BAD_RESPONSE',
      'the server answered without data or errors',
      status === undefined ? {} : { status },
    );
  }
  return result.data as TData;
}

/**
 * A small client for Node scripts and the CLI: `fetch` for queries and mutations, graphql-ws for
 * subscriptions, the same typed documents as the Apollo client, no cache. Every failure is an
 * ApiError with the server's code (`MODEL_NOT_READY`, `BAD_USER_INPUT`, ...) or `NETWORK_ERROR`.
 */
export function createNodeClient(options: NodeClientOptions): NodeClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  let ws: WsClient | null = null;
  const getWs = () => {
    ws ??= createWebSocketClient(options.url, options.apiKey, options);
    return ws;
  };

  async function request<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables]: VariablesOf<TVariables>
  ): Promise<TData> {
    const { query, operationName } = source(document);
    let response: Response;
    try {
      response = await fetchImpl(options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          query,
          variables: variables ?? {},
          ...(operationName ? { operationName } : {}),
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ApiError('NETWORK_ERROR', `${options.url}: ${describeNetworkFailure(error as Error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let body: { data?: unknown; errors?: GraphQLFormattedError[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ApiError(
        'BAD_RESPONSE',
        `HTTP ${response.status} from ${options.url} is not a GraphQL answer: ${text.slice(0, 200).trim() || '(empty body)'}`,
        { status: response.status },
      );
    }
    return unwrap<TData>(body, response.status);
  }

  function subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    onNext: (data: TData) => void,
    onError: (error: ApiError) => void = () => {},
  ): () => void {
    const { query, operationName } = source(document);
    return getWs().subscribe(
      {
        query,
        variables: (variables ?? {}) as Record<string, unknown>,
        ...(operationName ? { operationName } : {}),
      },
      {
        next: (result) => {
          try {
            onNext(unwrap<TData>(result));
          } catch (error) {
            onError(toApiError(error));
          }
        },
        error: (error) => onError(toApiError(error)),
        complete: () => {},
      },
    );
  }

  async function* iterate<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables]: VariablesOf<TVariables>
  ): AsyncIterableIterator<TData> {
    const { query, operationName } = source(document);
    const results = getWs().iterate({
      query,
      variables: (variables ?? {}) as Record<string, unknown>,
      ...(operationName ? { operationName } : {}),
    });
    try {
      for await (const result of results) yield unwrap<TData>(result);
    } catch (error) {
      throw toApiError(error);
    } finally {
      await results.return?.();
    }
  }

  return {
    request,
    subscribe,
    iterate,
    get ws() {
      return getWs();
    },
    close: async () => {
      await ws?.dispose();
    },
  };
}
