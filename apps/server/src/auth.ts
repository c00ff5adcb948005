import { DomainError, type Platform } from '@automl-stream/core';
import type { Principal } from './context.ts';

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
