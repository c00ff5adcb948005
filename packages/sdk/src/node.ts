// The SDK without Apollo: the typed documents, the Node client and ApiError. For Node scripts and
// the CLI, where loading Apollo Client (and its cache) would only cost start-up time.

export type { TypedDocumentNode } from '@graphql-typed-document-node/core';
export { ApiError, type ApiErrorCode, toApiError } from './api-error.ts';
export * from './gql/graphql.ts';
export {
  createNodeClient,
  type NodeClient,
  type NodeClientOptions,
  type VariablesOf,
} from './node-client.ts';
export {
  type ConnectionState,
  MISSING_WEBSOCKET_MESSAGE,
  toWebSocketUrl,
  type WebSocketOptions,
} from './websocket.ts';
