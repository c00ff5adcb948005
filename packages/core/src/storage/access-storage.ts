import type { Queryable } from '@automl-stream/db';

/** What one process spent from a token bucket since it last settled with the shared copy. */
export interface BucketSpend {
  key: string;
  /** Tokens taken locally since the last settlement (0 only asks for the bucket's level). */
  spent: number;
  capacity: number;
  perSecond: number;
}

/**
 * Settles local spending with the shared buckets (`rate_limit_buckets`) in one statement: the
 * spending is subtracted, then the bucket is refilled for the time since it was last settled (the
 * database's clock, so replicas with skewed clocks agree) and capped at its capacity. Counting the
 * spending as made at the start of the interval errs by at most one interval's refill in the
 * caller's favour; counting it at the end would refuse callers who are within their rate. A
 * bucket seen for the first time starts full. Returns each bucket's level afterwards; it may be
 * negative when replicas together overspent, which the callers treat as a debt to wait off.
 */
export async function settleRateLimitBuckets(
  sql: Queryable,
  spends: BucketSpend[],
): Promise<Map<string, number>> {
  if (spends.length === 0) return new Map();
  // name: settle-rate-limit-buckets
  // `excluded.tokens` carries capacity - spent for a new bucket; for an existing one the spending
  // is read back from it as capacity - excluded.tokens.
  const rows = await sql<{ key: string; tokens: number }[]>`
    insert into rate_limit_buckets as b (key, tokens, capacity, per_second, updated_at)
    select key, capacity - spent, capacity, per_second, clock_timestamp()
    from unnest(
      ${spends.map((s) => s.key)}::text[],
      ${spends.map((s) => s.spent)}::float8[],
      ${spends.map((s) => s.capacity)}::float8[],
      ${spends.map((s) => s.perSecond)}::float8[]
    ) as t(key, spent, capacity, per_second)
    on conflict (key) do update set
      tokens = least(
        excluded.capacity,
        b.tokens - (excluded.capacity - excluded.tokens)
          + greatest(0, extract(epoch from excluded.updated_at - b.updated_at)) * excluded.per_second
      ),
      capacity = excluded.capacity,
      per_second = excluded.per_second,
      updated_at = excluded.updated_at
    returning key, tokens`;
  return new Map(rows.map((r) => [r.key, Number(r.tokens)]));
}

/** Drops buckets nobody touched for `idleSeconds` (long since full again: nothing is lost). */
export async function deleteIdleRateLimitBuckets(sql: Queryable, idleSeconds: number): Promise<number> {
  // name: delete-idle-rate-limit-buckets
  const rows = await sql`
    delete from rate_limit_buckets
    where updated_at < clock_timestamp() - make_interval(secs => ${idleSeconds})
    returning key`;
  return rows.length;
}

/** Which of these API key ids are still active (not revoked, still stored). */
export async function activeApiKeyIds(sql: Queryable, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  // name: active-api-key-ids
  const rows = await sql<{ id: number }[]>`
    select id from api_keys where id = any(${ids}::int[]) and revoked_at is null`;
  return new Set(rows.map((r) => r.id));
}
