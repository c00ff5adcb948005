import type { IncomingMessage } from 'node:http';
import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * GraphiQL, and the key it may carry for the person who ran `automl-stream start`.
 *
 * Every request needs an API key, so a bare GraphiQL greets its first visitor with
 * `UNAUTHENTICATED`, no docs and no completion. `start` prints a key in its terminal; with
 * `localKey` given (only `start` gives it), the page served to that same person opens with the key
 * in its headers editor (and in the WebSocket's connection parameters, for subscriptions). "That
 * same person" is a request that:
 * - comes from this machine (the peer is a loopback address),
 * - names this machine's loopback in its Host header (a DNS-rebound name such as
 *   `attacker.example` resolving to 127.0.0.1 carries its own name there),
 * - is a browser opening the page, not another site reading it: no `Origin` (cross-origin reads
 *   send one) and, where the browser says, a top-level document (not a frame).
 * Anyone else gets the page without a key (and a comment saying how to add one); the API itself
 * still refuses every request without a key. In production there is no GraphiQL at all.
 */
export interface ExplorerRequest {
  /** The TCP peer (`socket.remoteAddress`); undefined when the request did not come over a socket. */
  remoteAddress: string | undefined;
  host: string | null;
  origin: string | null;
  /** `Sec-Fetch-Dest`, sent by current browsers. */
  fetchDest: string | null;
}

/** 127.0.0.0/8, ::1, and 127.x as an IPv4-mapped IPv6 address. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** `localhost`, `127.x.y.z` or `[::1]`, with or without a port. */
export function isLoopbackHost(host: string | null): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return (
    name.toLowerCase() === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}

export function mayCarryLocalKey(request: ExplorerRequest): boolean {
  return (
    isLoopbackAddress(request.remoteAddress) &&
    isLoopbackHost(request.host) &&
    request.origin === null &&
    (request.fetchDest === null || request.fetchDest === 'document')
  );
}

const FIRST_QUERY = `{
  stats {
    rowsIngested
    predictionsTotal
    activeModelVersion
  }
}
`;
const WITH_KEY = `# Your key (from \`start\`) is in Headers.
# Ctrl-Enter runs; the book icon: Docs.
${FIRST_QUERY}`;
const WITHOUT_KEY = `# Every request needs an API key: in Headers below, put
#   {"Authorization": "Bearer <your key>"}
# (\`automl-stream keys create\` makes one). Ctrl-Enter runs the query.
${FIRST_QUERY}`;

/**
 * Yoga's `graphiql` option: none in production; otherwise a page per request, carrying
 * `localKey()` when the request may have it (see above).
 */
export function graphiqlFor(options: {
  production: boolean;
  localKey?: (() => string | null) | undefined;
}): false | ((request: Request, serverContext?: { req?: IncomingMessage }) => GraphiQLOptions) {
  if (options.production) return false;
  const base: GraphiQLOptions = { title: 'automl-stream', subscriptionsProtocol: 'WS' };
  return (request, serverContext) => {
    const key = options.localKey?.() ?? null;
    const allowed =
      key !== null &&
      mayCarryLocalKey({
        remoteAddress: serverContext?.req?.socket.remoteAddress,
        host: request.headers.get('host'),
        origin: request.headers.get('origin'),
        fetchDest: request.headers.get('sec-fetch-dest'),
      });
    if (!allowed) return { ...base, defaultQuery: WITHOUT_KEY };
    const headers = JSON.stringify({ Authorization: `Bearer ${key}` }, null, 2);
    return {
      ...base,
      defaultQuery: WITH_KEY,
      headers,
      defaultHeaders: headers,
      // Not stored in the browser: the key changes at every start.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
      // Passed on by Yoga's GraphiQL to its graphql-ws client (not part of GraphiQLOptions' type).
      ...({ connectionParams: { authorization: `Bearer ${key}` } } as object),
    };
  };
}
