/**
 * The pages' graphql-ws socket, relayed to the platform: the browser connects to the dashboard's
 * own `/graphql` without any key, and the relay opens the platform's socket and puts the
 * session's key into `connection_init` (the only message it changes). Subscriptions of the
 * dashboard's own documents, and everything else (next, complete, ping, pong), pass through both
 * ways, and a close on one side closes the other with a code the browser's graphql-ws client
 * understands.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import { type TrustedDocuments, UNTRUSTED_MESSAGE } from './trusted-documents.ts';

const PROTOCOL = 'graphql-transport-ws';
/** The pages' messages are small (subscribe, ping); a larger one is not theirs. */
const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;
/** Messages the page may send before the platform's socket is open. */
const MAX_PENDING_MESSAGES = 64;
/** Sockets one session may hold (tabs × one socket each). */
export const MAX_SOCKETS_PER_SESSION = 16;
/** Sockets of the read-only display, all visitors together. */
export const MAX_DISPLAY_SOCKETS = 500;
/** graphql-ws: the server refused the key; the SDK stops retrying and shows why. */
export const REFUSED_CLOSE_CODE = 4403;

/** Who a relayed socket acts as. */
export interface SocketAccess {
  /** The session's id, or null for the read-only display. */
  sessionId: string | null;
  /** The key for the platform; null when it runs with AUTH=off. */
  key: string | null;
}

export interface WebSocketProxyOptions {
  /** ws(s):// URL of the platform's /graphql. */
  upstreamUrl: string;
  /** The operations the relay forwards. */
  trusted: TrustedDocuments;
  /** Called on every message from the page; false ends the socket (its session is over). */
  stillValid: (access: SocketAccess) => boolean;
  /** The platform refused the key (close 4403): the session it came from must end. */
  onKeyRefused: (access: SocketAccess) => void;
}

/** Close codes the browser may receive, for a close code of the platform's socket. */
export function relayedCloseCode(code: number): number {
  // No status / abnormal closure (the platform went away or never answered): "bad gateway",
  // which graphql-ws retries, unlike 1011.
  if (code === 1005 || code === 1006 || code === 1015) return 1014;
  if ((code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999)) return code;
  return 1014;
}

/** What the relay does with a message of the page. */
export type Screened = { forward: string } | { reply: string };

/**
 * A message of the page, screened: `connection_init` gets the session's key as its payload
 * (whatever the page put there is dropped), a `subscribe` of a document that is not the
 * dashboard's own gets an `error` back instead of being forwarded, and every other message
 * passes unchanged.
 */
export function screenMessage(data: RawData, key: string | null, trusted: TrustedDocuments): Screened {
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString()
    : Buffer.from(data as ArrayBuffer).toString();
  let message: { type?: unknown; id?: unknown; payload?: { query?: unknown } } | null;
  try {
    message = JSON.parse(text);
  } catch {
    return { forward: text }; // not JSON: the platform closes with 4400, as it would for the page itself
  }
  if (typeof message !== 'object' || message === null) return { forward: text };
  if (message.type === 'connection_init')
    return {
      forward: JSON.stringify({
        type: 'connection_init',
        payload: key ? { authorization: `Bearer ${key}` } : {},
      }),
    };
  if (message.type === 'subscribe' && !trusted.allows(message.payload?.query)) {
    return {
      reply: JSON.stringify({
        id: message.id,
        type: 'error',
        payload: [{ message: UNTRUSTED_MESSAGE, extensions: { code: 'FORBIDDEN' } }],
      }),
    };
  }
  return { forward: text };
}

const truncate = (reason: string) => Buffer.from(reason).subarray(0, 120).toString();

export class WebSocketProxy {
  private readonly server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });
  private readonly bySession = new Map<string, Set<WebSocket>>();
  private displaySockets = 0;

  constructor(private readonly options: WebSocketProxyOptions) {}

  /** Answers an upgrade with an HTTP error instead of a socket. */
  static refuse(socket: Duplex, status: number, message: string): void {
    const reason = status === 403 ? 'Forbidden' : status === 429 ? 'Too Many Requests' : 'Bad Request';
    const body = `${message}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  /**
   * Takes an upgrade whose host and origin were checked. Without access the socket is accepted
   * and closed with 4403 at once: the page then says "sign in again" instead of retrying forever.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, access: SocketAccess | null): void {
    if (access && this.full(access)) {
      WebSocketProxy.refuse(socket, 429, 'too many open dashboard connections; close some tabs');
      return;
    }
    this.server.handleUpgrade(req, socket, head, (client) => {
      if (!access) client.close(REFUSED_CLOSE_CODE, 'no dashboard session: sign in again');
      else this.relay(client, access);
    });
  }

  /** Closes the sockets of a session that ended (sign-out, expiry, refused key). */
  closeSession(sessionId: string, reason: string): void {
    for (const client of this.bySession.get(sessionId) ?? [])
      client.close(REFUSED_CLOSE_CODE, truncate(reason));
  }

  /** Closes every socket (shutdown): 1001, so pages reconnect to whatever serves next. */
  closeAll(): void {
    for (const client of this.server.clients) client.close(1001, 'the dashboard is shutting down');
  }

  private full(access: SocketAccess): boolean {
    if (access.sessionId === null) return this.displaySockets >= MAX_DISPLAY_SOCKETS;
    return (this.bySession.get(access.sessionId)?.size ?? 0) >= MAX_SOCKETS_PER_SESSION;
  }

  private track(client: WebSocket, access: SocketAccess): () => void {
    if (access.sessionId === null) {
      this.displaySockets += 1;
      return () => {
        this.displaySockets -= 1;
      };
    }
    const id = access.sessionId;
    const set = this.bySession.get(id) ?? new Set<WebSocket>();
    set.add(client);
    this.bySession.set(id, set);
    return () => {
      set.delete(client);
      if (set.size === 0) this.bySession.delete(id);
    };
  }

  private relay(client: WebSocket, access: SocketAccess): void {
    const untrack = this.track(client, access);
    const upstream = new WebSocket(this.options.upstreamUrl, PROTOCOL, { perMessageDeflate: false });
    const pending: string[] = [];
    let opened = false;

    client.on('message', (data, isBinary) => {
      if (!this.options.stillValid(access)) {
        client.close(REFUSED_CLOSE_CODE, 'session expired: sign in again');
        return;
      }
      // graphql-ws speaks text only; a binary frame is not a message of the page's client.
      if (isBinary) {
        client.close(4400, 'binary messages are not graphql-ws messages');
        return;
      }
      const screened = screenMessage(data, access.key, this.options.trusted);
      if ('reply' in screened) {
        client.send(screened.reply);
        return;
      }
      const message = screened.forward;
      if (upstream.readyState === WebSocket.OPEN) upstream.send(message);
      else if (pending.length < MAX_PENDING_MESSAGES) pending.push(message);
      else client.close(4429, 'too many messages before the platform answered');
    });
    client.on('close', () => {
      untrack();
      if (upstream.readyState === WebSocket.OPEN) upstream.close(1000);
      else upstream.terminate();
    });
    client.on('error', () => client.terminate());

    upstream.on('open', () => {
      opened = true;
      for (const message of pending.splice(0)) upstream.send(message);
    });
    upstream.on('message', (data, isBinary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    });
    upstream.on('close', (code, reason) => {
      if (code === REFUSED_CLOSE_CODE) this.options.onKeyRefused(access);
      const text =
        reason.toString() ||
        (opened ? 'the platform closed the connection' : 'the platform cannot be reached');
      if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING)
        client.close(relayedCloseCode(code), truncate(text));
    });
    // An error is followed by 'close', which tells the page.
    upstream.on('error', () => {});
  }
}
