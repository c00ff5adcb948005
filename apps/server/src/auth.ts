import type { IncomingMessage } from 'node:http';
import { DomainError, type Platform } from '@automl-stream/core';
import type { Principal } from './context.ts';
import { HTTP_STATUS } from './errors.ts';

const ANONYMOUS_ADMIN: Principal = { keyId: null, name: 'anonymous (AUTH=off)', role: 'admin' };

/** Reads `Authorization: Bearer <key>` (or a bare key) from a header value. */
export function bearer(value: string | null | undefined): string | null {
  if (!value) return null;
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  return (match ? match[1]! : value).trim() || null;
}

/** Who is calling. Throws UNAUTHENTICATED for a missing, malformed, unknown or revoked key. */
export async function authenticate(
  platform: Platform,
  authorization: string | null | undefined,
): Promise<Principal> {
  if (!platform.config.auth.enabled) return ANONYMOUS_ADMIN;
  const key = bearer(authorization);
  if (!key) {
    throw new DomainError(
      'UNAUTHENTICATED',
      'missing API key: send "Authorization: Bearer <key>" (see the README: API keys)',
    );
  }
  const record = await platform.apiKeys.verify(key);
  if (!record) throw new DomainError('UNAUTHENTICATED', 'unknown or revoked API key');
  return { keyId: record.id, name: record.name, role: record.role };
}

/**
 * Per-key token buckets: RATE_LIMIT_PER_MINUTE requests a minute, refilled continuously, with a
 * burst of a tenth of a minute's allowance. Kept per process (each replica limits its share).
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number) {}

  /** Seconds to wait before retrying, or 0 when the request may go ahead. */
  take(key: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const capacity = Math.max(1, Math.ceil(this.perMinute / 10));
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    if (this.buckets.size > 50_000) this.buckets.clear();
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate / 1000);
  }

  check(principal: Principal, fallbackKey: string) {
    const wait = this.take(principal.keyId === null ? fallbackKey : `key:${principal.keyId}`);
    if (wait > 0) {
      throw new DomainError(
        'RATE_LIMITED',
        `rate limit of ${this.perMinute} requests a minute reached: retry in ${wait} s`,
        {
          retryAfterSeconds: wait,
        },
      );
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
