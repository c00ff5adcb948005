import type { Sql } from '@automl-stream/db';
import {
  type BucketSpend,
  deleteIdleRateLimitBuckets,
  settleRateLimitBuckets,
} from './storage/access-storage.ts';

export type { BucketSpend };

/**
 * The rate-limit buckets every replica of one database shares (an UNLOGGED table): each process
 * settles what its clients spent and learns the levels the others left.
 */
export class RateLimitStore {
  constructor(private readonly sql: Sql) {}

  /** Adds the spends and answers each bucket's level after them. */
  settle(spends: BucketSpend[]) {
    return settleRateLimitBuckets(this.sql, spends);
  }

  /** Forgets buckets untouched for `idleSeconds`. */
  deleteIdle(idleSeconds: number) {
    return deleteIdleRateLimitBuckets(this.sql, idleSeconds);
  }
}
