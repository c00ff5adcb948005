/**
 * The browser's side of sign-in: it sends a key once to the dashboard's server (which keeps it
 * and answers with an http-only session cookie), asks what the current visit may do, and signs
 * out. No key is ever stored in the page.
 */

/** What the dashboard's server says this visit may do. */
export type AccessKind = 'session' | 'display' | 'none';

/** Why the sign-in page was opened (`?reason=`), worded for the person. */
const REASONS: Record<string, string> = {
  'signed-out': 'You signed out.',
  'link-used':
    'This sign-in link was already used: it works once. Sign in with an API key (`automl-stream keys create <name> --role reader|admin`), or restart `automl-stream start` for a new link.',
  'link-invalid':
    'This sign-in link is not valid for this dashboard (it changes at every `automl-stream start`). Sign in with an API key.',
  'link-refused':
    'The platform no longer accepts the key of this sign-in link (a newer `automl-stream start` replaced it). Sign in with an API key.',
  'platform-unreachable':
    'The dashboard could not reach the platform to check the sign-in link. Try the link again once the platform is up.',
  expired: 'Your session ended. Sign in again.',
};

export function reasonMessage(reason: string | null): string | null {
  return reason ? (REASONS[reason] ?? null) : null;
}

/** Where to go after sign-in: a path of this dashboard only (anything else would be an open redirect). */
export function nextPath(next: string | null): string {
  // `//host`, `/\host` and absolute URLs leave the site; only a plain path of this one stays.
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  try {
    const url = new URL(next, 'http://dashboard.invalid');
    if (url.origin !== 'http://dashboard.invalid') return '/';
    if (url.pathname === '/signin' || url.pathname.startsWith('/auth/')) return '/';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/';
  }
}

interface AuthAnswer {
  ok?: boolean;
  access?: AccessKind;
  error?: { code: string; message: string };
}

async function post(path: string, body: unknown): Promise<AuthAnswer & { status: number }> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const answer = (await response.json().catch(() => ({}))) as AuthAnswer;
  return { ...answer, status: response.status };
}

/** Signs in with `key`; resolves with null on success, or the message to show. */
export async function signIn(key: string): Promise<string | null> {
  try {
    const answer = await post('/auth/signin', { key });
    if (answer.ok) return null;
    return answer.error?.message ?? `The dashboard answered HTTP ${answer.status}.`;
  } catch (error) {
    return `The dashboard cannot be reached: ${(error as Error).message}`;
  }
}

export async function signOut(): Promise<void> {
  await post('/auth/signout', {});
}

/** What this visit may do; 'none' when the dashboard cannot be asked. */
export async function currentAccess(): Promise<AccessKind> {
  try {
    const response = await fetch('/auth/session', { credentials: 'same-origin' });
    const answer = (await response.json()) as AuthAnswer;
    return answer.access ?? 'none';
  } catch {
    return 'none';
  }
}
