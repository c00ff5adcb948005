import { DomainError, hashApiKey, type Platform } from '@automl-stream/core';
import { addressBucket } from './client-address.ts';
import type { Principal } from './context.ts';
import { HTTP_STATUS } from './errors.ts';
import { TokenBuckets } from './rate-limit.ts';

const ANONYMOUS_ADMIN: Principal = {
  keyId: null,
  name: 'anonymous (AUTH=off)',
  role: 'admin',
  pipelines: null,
};

/** Reads `Authorization: Bearer <key>` (or a bare key) from a header value. */
export function bearer(value: string | null | undefined): string | null {
  if (!value) return null;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return (match ? match[1]! : value).trim() || null;
}

/** How long a key verified here lets its address past the failed-authentication limit. */
const KNOWN_GOOD_MS = 5_000;
/** How long a revocation heard of is remembered (longer than the key cache of ApiKeys). */
const REVOKED_MS = 15_000;

/** `WWW-Authenticate` of every 401 (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="automl-stream"';

/**
 * Who is calling. Every way in (HTTP, REST, graphql-ws at connect and at each operation) asks
 * here. Failed authentications are limited per client address (AUTH_FAILURES_PER_MINUTE) before
 * any key is looked up, so guessing keys costs the guesser, not the database; an address over its
 * limit still gets in with a key that worked for it moments ago.
 */
export class Access {
  readonly failures: TokenBuckets;
  private readonly knownGood = new Map<string, number>();
  private readonly revokedIds = new Map<number, number>();

  constructor(private readonly platform: Platform) {
    const perMinute = platform.config.security.authFailuresPerMinute;
    this.failures = new TokenBuckets('authfail', perMinute, Math.max(1, perMinute));
  }

  /** Throws UNAUTHENTICATED for a missing, malformed, unknown or revoked key, RATE_LIMITED past the failure limit. */
  async authenticate(authorization: string | null | undefined, address: string): Promise<Principal> {
    if (!this.platform.config.auth.enabled) return ANONYMOUS_ADMIN;
    const key = bearer(authorization);
    if (!key) {
      throw new DomainError(
        'UNAUTHENTICATED',
        'missing API key: send "Authorization: Bearer <key>" (see docs/deployment.md: API keys)',
      );
    }
    const now = Date.now();
    const limited = this.failures.perMinute > 0;
    const hash = limited ? hashApiKey(key) : '';
    const bucket = addressBucket(address);
    if (limited && !((this.knownGood.get(hash) ?? 0) > now)) {
      const wait = this.failures.wait(bucket, now);
      if (wait > 0) {
        throw new DomainError(
          'RATE_LIMITED',
          `too many failed authentications from your address (AUTH_FAILURES_PER_MINUTE=${this.failures.perMinute}): retry in ${wait} s`,
          { retryAfterSeconds: wait },
        );
      }
    }
    const record = await this.platform.apiKeys.verify(key);
    if (!record || (this.revokedIds.get(record.id) ?? 0) > now) {
      if (limited) this.failures.take(bucket, now);
      throw new DomainError('UNAUTHENTICATED', 'unknown or revoked API key');
    }
    if (limited) {
      if (this.knownGood.size > 10_000) this.knownGood.clear();
      this.knownGood.set(hash, now + KNOWN_GOOD_MS);
    }
    return { keyId: record.id, name: record.name, role: record.role, pipelines: record.pipelines };
  }

  /** Keys revoked elsewhere: refused here at once, before the key cache would notice. */
  revoked(ids: Iterable<number>) {
    const until = Date.now() + REVOKED_MS;
    for (const id of ids) this.revokedIds.set(id, until);
    this.knownGood.clear();
    if (this.revokedIds.size > 1_000) {
      const now = Date.now();
      for (const [id, expires] of this.revokedIds) if (expires <= now) this.revokedIds.delete(id);
    }
  }
}

/**
 * A GraphQL-shaped error answer for a request refused before execution (401, 403, 429): the
 * status says what happened, `extensions.code` says it to GraphQL clients, and a rate limit also
 * carries `Retry-After`.
 */
export function graphqlErrorResponse(error: DomainError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (error.code === 'RATE_LIMITED') headers['retry-after'] = String(error.details.retryAfterSeconds ?? 1);
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = WWW_AUTHENTICATE;
  return new Response(
    JSON.stringify({
      errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }],
    }),
    { status: HTTP_STATUS[error.code], headers },
  );
}
