import type { IncomingMessage } from 'node:http';
import { DomainError, hashApiKey, type Platform } from '@automl-stream/core';
import { addressBucket } from './client-address.ts';
import type { Principal } from './context.ts';
import { HTTP_STATUS } from './errors.ts';
import { TokenBuckets } from './rate-limit.ts';

const ANONYMOUS_ADMIN: Principal = { keyId: null, name: 'anonymous (AUTH=off)', role: 'admin' };

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
    return { keyId: record.id, name: record.name, role: record.role };
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

/**
 * Deepest nesting of `{` and `[` in a GraphQL document, skipping strings, block strings and
 * comments; stops counting once past `stopAbove` (the answer is then just "too deep").
 */
export function maxNesting(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { [
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x7d || c === 0x5d) {
      // } ]
      depth = Math.max(0, depth - 1);
    } else if (c === 0x23) {
      // # comment to the end of the line
      while (i < text.length && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22) {
      // "string" or """block string"""
      if (text.startsWith('"""', i)) {
        // Inside a block string only \""" escapes the delimiter.
        i += 3;
        while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < text.length && text.charCodeAt(i) !== 0x22 && text.charCodeAt(i) !== 0x0a) {
          if (text.charCodeAt(i) === 0x5c) i++;
          i++;
        }
      }
    }
  }
  return deepest;
}

/**
 * Reads a request body of unannounced length (chunked), giving up as soon as it passes `limit`
 * bytes: resolves with the bytes, or null when too large. The rest is then read and dropped, up
 * to `drainLimit` bytes in all, after which the connection is cut.
 */
export function readBodyWithin(
  req: IncomingMessage,
  limit: number,
  drainLimit = limit,
): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > drainLimit) req.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}
