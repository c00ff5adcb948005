import { type BucketSpend, DomainError, type Logger, type RateLimitStore } from '@automl-stream/core';
import type { Principal } from './context.ts';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (local clock). */
  at: number;
  /** Taken since the last settlement with the shared copy. */
  spent: number;
  usedAt: number;
}

/** A bucket unused for this long is dropped locally (it is full again long before). */
const IDLE_MS = 60_000;

/**
 * Token buckets of one kind (per key, or failed authentications per address): `perMinute` tokens a
 * minute refilled continuously, up to `capacity`. Decisions are local and synchronous; a
 * {@link SharedBuckets} settles them with the other replicas about once a second.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  readonly perMs: number;

  constructor(
    /** Names the kind in the shared table (`<kind>:<key>`). */
    readonly kind: string,
    readonly perMinute: number,
    readonly capacity: number,
  ) {
    this.perMs = perMinute / 60_000;
  }

  has(key: string): boolean {
    return this.buckets.has(key);
  }

  private bucket(key: string, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.capacity, at: now, spent: 0, usedAt: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    bucket.usedAt = now;
    return bucket;
  }

  /** Seconds until a token is there (0: now), without taking one. */
  wait(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return 0;
    const tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * this.perMs);
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / this.perMs / 1000);
  }

  /** Takes a token and returns 0, or returns the seconds to wait (taking nothing). */
  take(key: string, now = Date.now()): number {
    const bucket = this.bucket(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.spent += 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs / 1000);
  }

  /** What each recently used bucket spent since the last call; the counts restart from 0. */
  takeSpending(now = Date.now()): BucketSpend[] {
    const spends: BucketSpend[] = [];
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.usedAt > IDLE_MS && bucket.spent === 0) {
        this.buckets.delete(key);
        continue;
      }
      spends.push({
        key: `${this.kind}:${key}`,
        spent: bucket.spent,
        capacity: this.capacity,
        perSecond: this.perMs * 1000,
      });
      bucket.spent = 0;
    }
    return spends;
  }

  /**
   * Takes the shared level of each bucket (which counts every replica's spending up to the
   * settlement); what this process spent while the settlement was under way comes off it.
   */
  settle(levels: Map<string, number>, now = Date.now()) {
    const prefix = `${this.kind}:`;
    for (const [sharedKey, level] of levels) {
      if (!sharedKey.startsWith(prefix)) continue;
      const key = sharedKey.slice(prefix.length);
      const bucket = this.buckets.get(key);
      if (bucket) {
        bucket.tokens = level - bucket.spent;
        bucket.at = now;
      } else {
        this.buckets.set(key, { tokens: level, at: now, spent: 0, usedAt: now });
      }
    }
  }
}

/**
 * Keeps {@link TokenBuckets} of several replicas in step through Postgres (`rate_limit_buckets`):
 * once a second each process reports what it spent per bucket and takes back the shared level, so
 * N replicas admit a key's budget once, not N times, give or take a second of traffic. Requests
 * never wait on the database except the first of a key in a process ({@link fetch}). When the
 * database is unreachable the local buckets go on deciding alone.
 */
export class SharedBuckets {
  private timer: NodeJS.Timeout | null = null;
  private settling: Promise<void> | null = null;
  private lastCleanup = Date.now();
  private readonly fetching = new Map<string, Promise<void>>();

  constructor(
    private readonly store: RateLimitStore,
    private readonly logger: Logger,
    private readonly kinds: TokenBuckets[],
  ) {}

  start(intervalMs = 1_000) {
    this.timer ??= setInterval(() => void this.settle(), intervalMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One settlement of every kind (skipped while the previous one is still running). */
  settle(): Promise<void> {
    if (this.settling) return this.settling;
    const settling = (async () => {
      await Promise.resolve(); // so that `finally` runs after `this.settling` is set
      try {
        const now = Date.now();
        const spends = this.kinds.flatMap((k) => k.takeSpending(now));
        if (spends.length > 0) {
          const levels = await this.store.settle(spends);
          for (const kind of this.kinds) kind.settle(levels);
        }
        if (now - this.lastCleanup > 60_000) {
          this.lastCleanup = now;
          await this.store.deleteIdle(300);
        }
      } catch (error) {
        this.logger.debug({ err: error }, 'rate-limit settlement failed; limiting locally');
      } finally {
        this.settling = null;
      }
    })();
    this.settling = settling;
    return settling;
  }

  /**
   * Loads a bucket this process has not seen (concurrent callers share one query), so that a key
   * that spent its budget on another replica does not start here with a fresh burst.
   */
  fetch(kind: TokenBuckets, key: string): Promise<void> {
    const id = `${kind.kind}:${key}`;
    let pending = this.fetching.get(id);
    if (!pending) {
      pending = this.store
        .settle([{ key: id, spent: 0, capacity: kind.capacity, perSecond: kind.perMs * 1000 }])
        .then(
          (levels) => kind.settle(levels),
          (error) => this.logger.debug({ err: error }, 'rate-limit bucket not loaded; limiting locally'),
        )
        .finally(() => this.fetching.delete(id));
      this.fetching.set(id, pending);
    }
    return pending;
  }
}

/**
 * Per-key request budgets: RATE_LIMIT_PER_MINUTE a minute, refilled continuously, with a burst of a
 * tenth of a minute's allowance. Shared by the replicas of one database through `shared`; per
 * client address when authentication is off.
 */
export class RateLimiter {
  readonly buckets: TokenBuckets;
  private shared: SharedBuckets | null = null;

  constructor(readonly perMinute: number) {
    this.buckets = new TokenBuckets('rate', perMinute, Math.max(1, Math.ceil(perMinute / 10)));
  }

  share(shared: SharedBuckets) {
    this.shared = shared;
  }

  /** Throws RATE_LIMITED when over budget; a promise only for a key's first request in this process. */
  check(principal: Principal, address: string): void | Promise<void> {
    if (this.perMinute <= 0) return;
    const key = principal.keyId === null ? `addr:${address}` : `key:${principal.keyId}`;
    if (this.shared && !this.buckets.has(key)) {
      return this.shared.fetch(this.buckets, key).then(() => this.spend(key));
    }
    this.spend(key);
  }

  private spend(key: string) {
    const wait = this.buckets.take(key);
    if (wait > 0) {
      throw new DomainError(
        'RATE_LIMITED',
        `rate limit of ${this.perMinute} requests a minute reached: retry in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
  }
}
