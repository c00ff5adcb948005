/**
 * The dashboard server's settings, read once from the environment at start. Every problem is
 * collected and reported together; values of secret variables are never echoed.
 */

/** Where the platform listens when GRAPHQL_URL is unset: `automl-stream start`'s default PORT. */
export const DEFAULT_GRAPHQL_URL = 'http://127.0.0.1:4000/graphql';

export interface SignInLinkSettings {
  /** The one-time token of the link (DASHBOARD_SIGNIN_TOKEN). */
  token: string;
  /** The key the link signs in with (DASHBOARD_SIGNIN_KEY); null when the platform runs with AUTH=off. */
  key: string | null;
}

export interface DashboardSettings {
  /** HOST. @default 127.0.0.1 (containers set 0.0.0.0) */
  host: string;
  /** PORT. @default 3000 */
  port: number;
  /** ORIGIN: the dashboard's public URL; when unset, the origin is the request's own host over http. */
  origin: URL | null;
  /** GRAPHQL_URL: the platform's /graphql as the dashboard's server reaches it (never the browser). */
  graphqlUrl: URL;
  /** DASHBOARD_API_KEY: a reader key for a read-only display without sign-in; null = sign-in only. */
  displayKey: string | null;
  /** The one-time sign-in link `automl-stream start` prints; null when not configured. */
  signInLink: SignInLinkSettings | null;
  /** SHUTDOWN_TIMEOUT (seconds, as adapter-node): how long requests may finish after SIGTERM. @default 30 */
  shutdownTimeoutMs: number;
  /**
   * ADDRESS_HEADER and XFF_DEPTH (as adapter-node): where a proxy in front puts the client's
   * address, for the sign-in throttle. Null: the socket's address.
   */
  clientAddress: { header: string; xffDepth: number } | null;
}

/** Variables that hold keys or tokens: read once, then removed from the process environment. */
export const SECRET_VARIABLES = [
  'DASHBOARD_API_KEY',
  'DASHBOARD_SIGNIN_KEY',
  'DASHBOARD_SIGNIN_TOKEN',
] as const;

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`the dashboard's settings are invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string) => {
  const raw = env[name]?.trim();
  return raw ? raw : null;
};

function readUrl(env: Env, name: string, fallback: string | null, problems: string[], example: string) {
  const raw = value(env, name) ?? fallback;
  if (raw === null) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} must be an http(s) URL, e.g. ${example} (got "${raw}")`);
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name} must start with http:// or https:// (got "${raw}")`);
    return null;
  }
  return url;
}

function readPort(env: Env, problems: string[]): number {
  const raw = value(env, 'PORT') ?? '3000';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT must be a whole number from 0 to 65535 (got "${raw}")`);
    return 3000;
  }
  return port;
}

/** A key as the platform writes it, or a bare "Bearer <key>" paste: the key alone. */
export function normalizeKey(raw: string): string {
  return raw.replace(/^Bearer\s+/i, '').trim();
}

function readSignInLink(env: Env, problems: string[]): SignInLinkSettings | null {
  const token = value(env, 'DASHBOARD_SIGNIN_TOKEN');
  const key = value(env, 'DASHBOARD_SIGNIN_KEY');
  if (!token) {
    if (key)
      problems.push('DASHBOARD_SIGNIN_KEY is set without DASHBOARD_SIGNIN_TOKEN (the link needs both)');
    return null;
  }
  // A guessable token would be a key to the platform: demand at least 192 bits in base64url.
  if (!/^[A-Za-z0-9_-]{32,}$/.test(token)) {
    problems.push(
      'DASHBOARD_SIGNIN_TOKEN must be at least 32 characters of A-Z a-z 0-9 _ - (e.g. 32 random bytes in base64url)',
    );
    return null;
  }
  return { token, key: key ? normalizeKey(key) : null };
}

export function readSettings(env: Env): DashboardSettings {
  const problems: string[] = [];
  const origin = readUrl(env, 'ORIGIN', null, problems, 'https://dashboard.example.com');
  if (origin && (origin.pathname !== '/' || origin.search || origin.hash)) {
    problems.push(`ORIGIN must be an origin without a path, e.g. ${origin.origin} (got "${env.ORIGIN}")`);
  }
  const graphqlUrl = readUrl(env, 'GRAPHQL_URL', DEFAULT_GRAPHQL_URL, problems, DEFAULT_GRAPHQL_URL);
  const timeout = Number(value(env, 'SHUTDOWN_TIMEOUT') ?? '30');
  if (!Number.isFinite(timeout) || timeout < 0)
    problems.push(`SHUTDOWN_TIMEOUT must be a number of seconds (got "${env.SHUTDOWN_TIMEOUT}")`);
  const displayKey = value(env, 'DASHBOARD_API_KEY');
  const addressHeader = value(env, 'ADDRESS_HEADER')?.toLowerCase() ?? null;
  const xffDepth = Number(value(env, 'XFF_DEPTH') ?? '1');
  if (!Number.isInteger(xffDepth) || xffDepth < 1)
    problems.push(`XFF_DEPTH must be a whole number of at least 1 (got "${env.XFF_DEPTH}")`);
  const settings = {
    host: value(env, 'HOST') ?? '127.0.0.1',
    port: readPort(env, problems),
    origin: origin ? new URL(origin.origin) : null,
    graphqlUrl: graphqlUrl ?? new URL(DEFAULT_GRAPHQL_URL),
    displayKey: displayKey ? normalizeKey(displayKey) : null,
    signInLink: readSignInLink(env, problems),
    shutdownTimeoutMs: Math.max(0, timeout) * 1000,
    clientAddress: addressHeader ? { header: addressHeader, xffDepth } : null,
  };
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** Removes the secret variables from `env` (after reading), so nothing else in the process sees them. */
export function forgetSecrets(env: Env): void {
  for (const name of SECRET_VARIABLES) delete env[name];
}
