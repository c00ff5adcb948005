/**
 * The dashboard's server, in front of SvelteKit's handler: sign-in sessions, the GraphQL proxy
 * (HTTP and WebSocket), the host and origin checks, and the security headers of every answer.
 * The browser never receives an API key: it holds a session cookie, and this server adds the
 * session's key to what it forwards to the platform.
 *
 * Routes it answers itself:
 * - `GET /health`: 200 while the process serves (for probes; no data).
 * - `/auth/*`: sign-in, sign-out, the one-time link, the request's access (see auth-routes.ts).
 * - `/graphql`: POST forwarded with the session's key; the WebSocket upgrade relayed (graphql-ws);
 *   both for the dashboard's own operations only (trusted-documents.ts).
 * Everything else goes to SvelteKit: the sign-in page and the pages' code to anyone, the other
 * pages only with a session (or with the read-only display key configured); without one, a
 * page redirects to `/signin`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { handleAuthRoute, sendAuthError } from './auth-routes.ts';
import { proxyGraphQL } from './graphql-proxy.ts';
import { HOST_REFUSED_MESSAGE, isAllowedHost, isOwnOrigin, ORIGIN_REFUSED_MESSAGE } from './guard.ts';
import { HttpError, readCookie, redirect, sendGraphQLError, serializeCookie } from './http.ts';
import { PlatformApi } from './platform-api.ts';
import {
  OneTimeLink,
  type Session,
  type SessionEndReason,
  SessionStore,
  SignInThrottle,
} from './sessions.ts';
import type { DashboardSettings } from './settings.ts';
import { TrustedDocuments } from './trusted-documents.ts';
import { type SocketAccess, WebSocketProxy } from './ws-proxy.ts';

/** What a request may do: a session's key, the read-only display key, or nothing. */
export type Access =
  | { kind: 'session'; session: Session }
  | { kind: 'display'; key: string }
  | { kind: 'none' };

export interface DashboardServerOptions {
  settings: DashboardSettings;
  /** Paths anyone may load besides `/signin`: the pages' code and static files (no data in them). */
  isPublicAsset: (path: string, req: IncomingMessage) => boolean;
  sessions?: SessionStore;
  api?: PlatformApi;
  /** @default the dashboard's own documents (TrustedDocuments.dashboard()) */
  trusted?: TrustedDocuments;
}

/** Headers on every answer: nothing framed, sniffed, leaked in a Referer, or opened by another origin. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Pages and answers carry session data; SvelteKit's immutable assets replace this with their own.
  'cache-control': 'no-store',
};

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const SWEEP_INTERVAL_MS = 60_000;

export class DashboardServer {
  readonly settings: DashboardSettings;
  readonly sessions: SessionStore;
  readonly api: PlatformApi;
  readonly link: OneTimeLink | null;
  readonly throttle = new SignInThrottle();
  /** The operations the proxy forwards: the dashboard's own. */
  readonly trusted: TrustedDocuments;
  private readonly sockets: WebSocketProxy;
  private readonly isPublicAsset: DashboardServerOptions['isPublicAsset'];
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(options: DashboardServerOptions) {
    this.settings = options.settings;
    this.isPublicAsset = options.isPublicAsset;
    this.sessions = options.sessions ?? new SessionStore();
    this.api = options.api ?? new PlatformApi(options.settings.graphqlUrl);
    const link = options.settings.signInLink;
    this.link = link ? new OneTimeLink(link.token, link.key) : null;
    this.trusted = options.trusted ?? TrustedDocuments.dashboard();
    this.sockets = new WebSocketProxy({
      upstreamUrl: this.api.webSocketUrl,
      trusted: this.trusted,
      stillValid: (access) => access.sessionId === null || this.sessions.use(access.sessionId) !== null,
      onKeyRefused: (access) => {
        if (access.sessionId) this.sessions.end(access.sessionId, 'API key refused');
      },
    });
    this.sessions.onEnd((session: Session, reason: SessionEndReason) =>
      this.sockets.closeSession(session.id, reason),
    );
    this.sweepTimer = setInterval(() => this.sessions.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  /** Connect-style middleware: answers its own routes, calls `next` for SvelteKit's. */
  handleRequest(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    this.route(req, res, next).catch((error: unknown) => {
      const path = (req.url ?? '/').split('?')[0];
      const known = error instanceof HttpError;
      if (!known) console.error('dashboard: request failed', error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = known ? error.status : 500;
      const code = known ? error.code : 'INTERNAL_SERVER_ERROR';
      const message = known ? error.message : 'the dashboard failed to answer; see its log';
      if (path === '/graphql') sendGraphQLError(res, status, code, message);
      else sendAuthError(res, status, code, message);
    });
  }

  /**
   * Upgrade listener. Returns false for paths other than `/graphql` (so Vite's own socket keeps
   * working in development); the caller destroys those sockets in production.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if ((req.url ?? '').split('?')[0] !== '/graphql') return false;
    if (!isAllowedHost(req.headers.host, this.settings.origin)) {
      WebSocketProxy.refuse(socket, 403, HOST_REFUSED_MESSAGE(req.headers.host));
    } else if (!this.fromOwnOrigin(req)) {
      WebSocketProxy.refuse(socket, 403, ORIGIN_REFUSED_MESSAGE);
    } else {
      this.sockets.accept(req, socket, head, this.socketAccess(req));
    }
    return true;
  }

  /** What this request may do (a session is marked as used by it). */
  access(req: IncomingMessage): Access {
    const session = this.sessions.use(readCookie(req.headers.cookie, this.cookieName(req)));
    if (session) return { kind: 'session', session };
    if (this.settings.displayKey) return { kind: 'display', key: this.settings.displayKey };
    return { kind: 'none' };
  }

  /**
   * The client's address: the socket's, or what the proxy in front says (ADDRESS_HEADER; for
   * X-Forwarded-For the XFF_DEPTH-th entry from the right, the one our proxy added).
   */
  clientAddress(req: IncomingMessage): string {
    const from = this.settings.clientAddress;
    const own = req.socket.remoteAddress ?? 'unknown';
    if (!from) return own;
    const value = req.headers[from.header];
    const text = (Array.isArray(value) ? value.join(',') : value) ?? '';
    if (from.header !== 'x-forwarded-for') return text.trim() || own;
    const addresses = text.split(',').map((a) => a.trim());
    return addresses[addresses.length - from.xffDepth] || own;
  }

  /** Ends the session of this request's cookie, if any. */
  endSessionOf(req: IncomingMessage, reason: SessionEndReason): void {
    const id = readCookie(req.headers.cookie, this.cookieName(req));
    if (id) this.sessions.end(id, reason);
  }

  /** The Set-Cookie value that stores `sessionId` in the browser (null: deletes the cookie). */
  sessionCookie(req: IncomingMessage, sessionId: string | null): string {
    return serializeCookie(this.cookieName(req), sessionId ?? '', {
      maxAgeSeconds: sessionId ? this.sessions.maxAgeSeconds() : 0,
      secure: this.secure(req),
    });
  }

  /** Stops the expiry timer and closes every relayed socket (shutdown). */
  close(): void {
    clearInterval(this.sweepTimer);
    this.sockets.closeAll();
  }

  private async route(req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/health' && SAFE_METHODS.has(method)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok\n');
      return;
    }
    if (!isAllowedHost(req.headers.host, this.settings.origin))
      throw new HttpError(403, HOST_REFUSED_MESSAGE(req.headers.host), 'FORBIDDEN');
    if (!SAFE_METHODS.has(method) && !this.fromOwnOrigin(req))
      throw new HttpError(403, ORIGIN_REFUSED_MESSAGE, 'FORBIDDEN');
    if (path.startsWith('/auth/')) return handleAuthRoute(this, req, res, url);
    if (path === '/graphql') return proxyGraphQL(this, req, res);
    if (path === '/signin' || this.isPublicAsset(path, req) || this.access(req).kind !== 'none')
      return next();
    if (SAFE_METHODS.has(method) && !path.endsWith('/__data.json'))
      return redirect(res, `/signin?next=${encodeURIComponent(path + url.search)}`);
    return sendAuthError(res, 401, 'UNAUTHENTICATED', 'no dashboard session: sign in at /signin');
  }

  private socketAccess(req: IncomingMessage): SocketAccess | null {
    const access = this.access(req);
    if (access.kind === 'session') return { sessionId: access.session.id, key: access.session.key };
    if (access.kind === 'display') return { sessionId: null, key: access.key };
    return null;
  }

  private fromOwnOrigin(req: IncomingMessage): boolean {
    return isOwnOrigin(req.headers.origin, req.headers.host, this.settings.origin, this.encrypted(req));
  }

  private encrypted(req: IncomingMessage): boolean {
    return (req.socket as { encrypted?: boolean }).encrypted === true;
  }

  /** Cookies get `Secure` when the dashboard is served over https (directly or per ORIGIN). */
  private secure(req: IncomingMessage): boolean {
    return this.settings.origin?.protocol === 'https:' || this.encrypted(req);
  }

  /** `__Host-` pins the cookie to this exact host over https; browsers accept it only with Secure. */
  private cookieName(req: IncomingMessage): string {
    return this.secure(req) ? '__Host-automl_session' : 'automl_session';
  }
}
