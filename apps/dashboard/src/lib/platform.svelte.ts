/**
 * The dashboard's one connection to the platform: the SDK's Apollo client (queries and mutations
 * over HTTP, subscriptions over graphql-ws), plus what the pages need on top of it: a reactive
 * link status for the "reconnecting…" banner, and re-read hooks that run when the WebSocket comes
 * back after a drop (the platform does not replay events, so the pages re-read their queries).
 *
 * It talks to the dashboard's own server only (`/graphql` over HTTP and WebSocket), which
 * forwards to the platform with the session's key: the page holds no key.
 *
 * Browser only: the layout creates it in the browser (server-side rendering is off).
 */
import {
  type ApiError,
  type AutomlApolloClient,
  type ConnectionState,
  createClient,
  type TypedDocumentNode,
  toApiError,
} from '@automl-stream/sdk';
import { getContext, setContext } from 'svelte';
import { type LinkEvent, type LinkStatus, nextLinkStatus } from './link-status.ts';

export interface PlatformOptions {
  /** URL of the dashboard's /graphql proxy for queries and mutations (relative is fine). */
  graphqlUrl: string;
  /** ws(s):// URL of the same proxy, for subscriptions. */
  wsUrl: string;
}

/** The reason of a graphql-ws close event, when the error is one (the dashboard's server words it). */
function closeReason(error: unknown): string | null {
  const event = error as { code?: unknown; reason?: unknown } | null;
  return typeof event?.code === 'number' && typeof event.reason === 'string' && event.reason
    ? event.reason
    : null;
}

// Apollo's option types are generic over the document; the dashboard's calls are typed through
// the documents themselves, so the client is driven through this narrower surface.
type LooseClient = {
  query(options: {
    query: unknown;
    variables?: unknown;
    fetchPolicy: 'no-cache';
  }): Promise<{ data?: unknown }>;
  mutate(options: {
    mutation: unknown;
    variables?: unknown;
    fetchPolicy: 'no-cache';
  }): Promise<{ data?: unknown }>;
  subscribe(options: { query: unknown; variables?: unknown; fetchPolicy: 'no-cache' }): {
    subscribe(observer: {
      next: (result: { data?: unknown; error?: unknown }) => void;
      error: (error: unknown) => void;
    }): { unsubscribe(): void };
  };
};

export class PlatformConnection {
  /** What the banner shows; see LinkStatus. */
  status = $state<LinkStatus>('connecting');
  /** Why the link is refused (the server's words), when it is. */
  problem = $state<string | null>(null);
  /** How many times the WebSocket came back after a drop (shown in the footer, useful in tests). */
  reconnects = $state(0);

  readonly client: AutomlApolloClient;
  readonly graphqlUrl: string;
  private readonly loose: LooseClient;
  private readonly rereaders = new Set<() => void>();

  constructor(options: PlatformOptions) {
    this.graphqlUrl = options.graphqlUrl;
    this.client = createClient({
      url: options.graphqlUrl,
      wsUrl: options.wsUrl,
      // No key: the dashboard's server adds the session's. The session cookie goes along by itself.
      apiKey: null,
      onConnectionChange: (state: ConnectionState) => this.apply(state),
    });
    this.loose = this.client as unknown as LooseClient;
  }

  /** A connection to the dashboard's own /graphql (the page's origin, ws:// or wss:// to match). */
  static sameOrigin(location: Location): PlatformConnection {
    const wsUrl = new URL('/graphql', location.href);
    wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return new PlatformConnection({ graphqlUrl: '/graphql', wsUrl: wsUrl.toString() });
  }

  /** The session ended or its key was refused: the banner says so and offers to sign in again. */
  private refuse(message: string) {
    this.problem = message;
    this.apply('refused');
  }

  private apply(event: LinkEvent) {
    const next = nextLinkStatus(this.status, event);
    this.status = next.status;
    if (next.status !== 'refused') this.problem = null;
    if (next.reconnected) {
      this.reconnects += 1;
      for (const reread of this.rereaders) reread();
    }
  }

  /** Registers a re-read to run after every reconnect; returns the function that removes it. */
  onReconnect(reread: () => void): () => void {
    this.rereaders.add(reread);
    return () => this.rereaders.delete(reread);
  }

  /** A query over HTTP, never from a cache (the dashboard keeps its own state). Rejects with an ApiError. */
  async query<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
  ): Promise<TData> {
    try {
      const result = await this.loose.query({ query: document, variables, fetchPolicy: 'no-cache' });
      return result.data as TData;
    } catch (error) {
      throw this.checked(toApiError(error));
    }
  }

  /** A mutation over HTTP. Rejects with an ApiError carrying the server's code and message. */
  async mutate<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables?: TVariables,
  ): Promise<TData> {
    try {
      const result = await this.loose.mutate({ mutation: document, variables, fetchPolicy: 'no-cache' });
      return result.data as TData;
    } catch (error) {
      throw this.checked(toApiError(error));
    }
  }

  /** An HTTP answer saying the session is over turns the banner into "sign in again". */
  private checked(error: ApiError): ApiError {
    if (error.code === 'UNAUTHENTICATED') this.refuse(error.message);
    return error;
  }

  /**
   * A subscription over the WebSocket; survives reconnects (graphql-ws re-sends it). Returns the
   * function that ends it. A refused key or an ended session turns the banner into an explanation.
   */
  subscribe<TData, TVariables>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables | undefined,
    onData: (data: TData) => void,
  ): () => void {
    const fail = (error: unknown) => {
      const apiError: ApiError = toApiError(error);
      if (apiError.code === 'UNAUTHENTICATED' || apiError.code === 'FORBIDDEN') {
        this.refuse(closeReason(error) ?? apiError.message);
      } else {
        console.warn(`subscription failed: ${apiError.code}: ${apiError.message}`);
      }
    };
    const subscription = this.loose
      .subscribe({ query: document, variables, fetchPolicy: 'no-cache' })
      .subscribe({
        next: (result) => {
          if (result.error) fail(result.error);
          else if (result.data) onData(result.data as TData);
        },
        error: fail,
      });
    return () => subscription.unsubscribe();
  }

  close(): Promise<void> {
    this.rereaders.clear();
    return this.client.close();
  }
}

const KEY = Symbol('platform');

export function setPlatform(platform: PlatformConnection): void {
  setContext(KEY, platform);
}

/** The connection the root layout created (call during component initialisation). */
export function getPlatform(): PlatformConnection {
  const platform = getContext<PlatformConnection | undefined>(KEY);
  if (!platform)
    throw new Error(
      'getPlatform() called outside the root layout: the dashboard connection is created there',
    );
  return platform;
}

/** A message for a failed request, with the server's code: "CONFLICT: there is no previous version". */
export function describeError(error: unknown): string {
  const apiError = toApiError(error);
  return `${apiError.code}: ${apiError.message}`;
}
