/**
 * `/auth/*`: sign-in with an API key, sign-out, the one-time link of `automl-stream start`, and
 * what the current request may do (for the page header).
 *
 * Answers are JSON: `{ ok: true, ... }` or `{ error: { code, message } }`, the message written
 * for the person at the sign-in page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardServer } from './dashboard-server.ts';
import { HttpError, mediaType, readBody, redirect, sendJson } from './http.ts';
import { normalizeKey } from './settings.ts';

/** Keys are about 50 characters; anything far longer is not a key. */
const MAX_KEY_LENGTH = 512;

/** Why the sign-in page was opened (`/signin?reason=...`); the page words each one. */
export type SignInReason =
  | 'signed-out'
  | 'link-used'
  | 'link-invalid'
  | 'link-refused'
  | 'platform-unreachable';

export function sendAuthError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers = {},
) {
  sendJson(res, status, { error: { code, message } }, headers);
}

export async function handleAuthRoute(
  server: DashboardServer,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'POST /auth/signin':
      return signIn(server, req, res);
    case 'POST /auth/signout':
      return signOut(server, req, res);
    case 'GET /auth/link':
      return followLink(server, req, res, url.searchParams.get('token') ?? '');
    case 'GET /auth/session': {
      const access = server.access(req);
      return sendJson(res, 200, { ok: true, access: access.kind });
    }
    default:
      return sendAuthError(res, 404, 'NOT_FOUND', `no such dashboard route: ${route}`);
  }
}

async function readKey(req: IncomingMessage): Promise<string> {
  if (mediaType(req) !== 'application/json')
    throw new HttpError(415, 'send the key as JSON: {"key": "ams_..."} with Content-Type: application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readBody(req, 8 * 1024)).toString('utf8'));
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'the body is not JSON: send {"key": "ams_..."}');
  }
  const raw = (parsed as { key?: unknown } | null)?.key ?? '';
  if (typeof raw !== 'string') throw new HttpError(400, '"key" must be a string');
  const key = normalizeKey(raw);
  if (key.length > MAX_KEY_LENGTH)
    throw new HttpError(400, `that is not an API key (longer than ${MAX_KEY_LENGTH} characters)`);
  return key;
}

async function signIn(server: DashboardServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const address = server.clientAddress(req);
  const wait = server.throttle.retryAfterSeconds(address);
  if (wait > 0) {
    return sendAuthError(
      res,
      429,
      'RATE_LIMITED',
      `Too many refused sign-ins from this address: try again in ${wait} s.`,
      { 'retry-after': String(wait) },
    );
  }
  const key = await readKey(req);
  // An empty key is a real question: a platform running with AUTH=off accepts requests without one.
  const verdict = await server.api.verifyKey(key || null);
  if (verdict.kind === 'refused') {
    server.throttle.recordFailure(address);
    return sendAuthError(res, 401, 'KEY_REFUSED', `The platform refused this key: ${verdict.message}`);
  }
  if (verdict.kind === 'unreachable') {
    return sendAuthError(
      res,
      502,
      'PLATFORM_UNREACHABLE',
      `The dashboard cannot check the key: ${verdict.message}. Try again once the platform is up.`,
    );
  }
  server.endSessionOf(req, 'signed out');
  const session = server.sessions.create(key || null);
  sendJson(res, 200, { ok: true }, { 'set-cookie': server.sessionCookie(req, session.id) });
}

function signOut(server: DashboardServer, req: IncomingMessage, res: ServerResponse): void {
  server.endSessionOf(req, 'signed out');
  sendJson(res, 200, { ok: true }, { 'set-cookie': server.sessionCookie(req, null) });
}

/**
 * The one-time link: signs in with the key `automl-stream start` made for the person at the
 * terminal, then redirects to the overview, which takes the token out of the address bar.
 */
async function followLink(
  server: DashboardServer,
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
): Promise<void> {
  const toSignIn = (reason: SignInReason) => redirect(res, `/signin?reason=${reason}`);
  const taken = server.link ? server.link.take(token) : 'invalid';
  if (taken === 'invalid') return toSignIn('link-invalid');
  if (taken === 'used') return toSignIn('link-used');
  const verdict = await server.api.verifyKey(taken.key);
  if (verdict.kind === 'unreachable') {
    server.link?.giveBack();
    return toSignIn('platform-unreachable');
  }
  server.link?.markUsed();
  if (verdict.kind === 'refused') return toSignIn('link-refused');
  server.endSessionOf(req, 'signed out');
  const session = server.sessions.create(taken.key);
  redirect(res, '/', { 'set-cookie': server.sessionCookie(req, session.id) });
}
