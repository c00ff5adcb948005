import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Queryable, Sql } from '@automl-stream/db';
import { badInput } from './errors.ts';
import { pipelineName } from './pipeline-ref.ts';
import { activeApiKeyIds } from './storage/access-storage.ts';
import {
  API_KEYS_CHANNEL,
  type ApiKeyRecord,
  type ApiKeyRole,
  countActiveAdminKeys,
  findActiveKeyByHash,
  findKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKeys,
  revokeOtherKeysNamed,
  touchApiKeys,
} from './storage/api-keys-storage.ts';

export const API_KEY_ROLES: ApiKeyRole[] = ['admin', 'writer', 'reader'];
const KEY_PATTERN = /^ams_([a-z0-9]{8})_[A-Za-z0-9_-]{32}$/;

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** Serialises the registration of ADMIN_API_KEY and of a first admin key across processes. */
const ADMIN_KEY_LOCK = 7_301_946_225;

/** How long a verified key is trusted from memory before the table is asked again (revocation delay). */
const CACHE_MS = 5_000;

/**
 * API keys: `ams_<8-char prefix>_<32 random chars>`, stored as SHA-256 hashes (a key is shown once,
 * at creation). The prefix names a key in listings and revocations without revealing it.
 */
export class ApiKeys {
  private cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  private touched = new Set<number>();

  constructor(private readonly sql: Sql) {}

  async create(
    name: string,
    role: ApiKeyRole,
    sql: Queryable = this.sql,
    /** Limit the key to these pipelines (by name); null or absent: every pipeline. */
    pipelines: string[] | null = null,
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!API_KEY_ROLES.includes(role)) throw badInput(`role must be one of ${API_KEY_ROLES.join(', ')}`);
    const scope = pipelines === null ? null : [...new Set(pipelines.map((p) => pipelineName(p)))].sort();
    if (scope !== null && scope.length === 0) throw badInput('a key limited to pipelines needs at least one');
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw badInput('a key needs a name of 1 to 100 characters');
    const prefix = randomBytes(6)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0')
      .slice(0, 8);
    const key = `ams_${prefix}_${randomBytes(24).toString('base64url')}`;
    const record = await insertApiKey(sql, {
      name: trimmed,
      role,
      prefix,
      keyHash: hashApiKey(key),
      pipelines: scope,
    });
    return { key, record };
  }

  /**
   * Creates an admin key when none is active, or returns null: under a lock, so replicas starting
   * together create one key between them, not one each.
   */
  createFirstAdmin(name: string): Promise<{ key: string; record: ApiKeyRecord } | null> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${ADMIN_KEY_LOCK})`;
      if ((await countActiveAdminKeys(tx)) > 0) return null;
      return this.create(name, 'admin', tx);
    });
  }

  /** The key's record, or null when it is malformed, unknown or revoked. */
  async verify(key: string): Promise<ApiKeyRecord | null> {
    if (!KEY_PATTERN.test(key)) return null;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    const now = Date.now();
    if (cached && cached.until > now) return cached.record;
    const record = (await findActiveKeyByHash(this.sql, hash)) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { record, until: now + CACHE_MS });
    if (record) this.touched.add(record.id);
    return record;
  }

  /** Writes last-used times gathered since the previous flush (one statement, off the request path). */
  async flushUsage(): Promise<void> {
    if (this.touched.size === 0) return;
    const ids = [...this.touched];
    this.touched.clear();
    await touchApiKeys(this.sql, ids);
  }

  /** Which of `ids` are still active (not revoked): open connections are re-checked with it. */
  activeIds(ids: number[]): Promise<Set<number>> {
    return activeApiKeyIds(this.sql, ids);
  }

  /**
   * Calls `fn` with the id of each key revoked from now on, by any process (NOTIFY on
   * `automl_api_keys`); resolves to the function that stops listening.
   */
  async onRevoked(fn: (id: number) => void): Promise<() => Promise<void>> {
    const sub = await this.sql.listen(API_KEYS_CHANNEL, (payload) => {
      try {
        const id = Number((JSON.parse(payload) as { revoked?: unknown }).revoked);
        if (Number.isInteger(id)) fn(id);
      } catch {
        // Not a revocation notice: ignore.
      }
    });
    return () => sub.unlisten();
  }

  list(includeRevoked = false) {
    return listApiKeys(this.sql, includeRevoked);
  }

  async revoke(match: { id?: number; prefix?: string; name?: string }) {
    const revoked = await revokeApiKeys(this.sql, match);
    this.cache.clear();
    return revoked;
  }

  hasAdmin() {
    return countActiveAdminKeys(this.sql).then((n) => n > 0);
  }

  /**
   * Registers a key given from outside (ADMIN_API_KEY), under a lock (replicas start together):
   * - `registered` (new), or `present` (already stored); earlier keys of the same `name` (earlier
   *   values of the variable) are revoked in the same transaction, so rotating the variable
   *   retires the old key instead of leaving it active beside the new one;
   * - `revoked`: this exact key was revoked (the response to a leak). It stays revoked: nothing is
   *   stored, and the caller reports that a new key must be set instead of crash-looping.
   */
  async ensure(
    key: string,
    name: string,
    role: ApiKeyRole,
  ): Promise<{ status: 'registered' | 'present' | 'revoked'; rotated: ApiKeyRecord[] }> {
    if (!KEY_PATTERN.test(key)) {
      throw badInput(
        'ADMIN_API_KEY must look like ams_<8 lowercase letters or digits>_<32 characters of A-Z a-z 0-9 _ ->',
      );
    }
    const hash = hashApiKey(key);
    const outcome = await this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${ADMIN_KEY_LOCK})`;
      const existing = await findKeyByHash(tx, hash);
      if (existing?.revokedAt) return { status: 'revoked' as const, rotated: [] };
      if (!existing)
        await insertApiKey(tx, { name, role, prefix: KEY_PATTERN.exec(key)![1]!, keyHash: hash });
      const rotated = await revokeOtherKeysNamed(tx, name, hash);
      return { status: existing ? ('present' as const) : ('registered' as const), rotated };
    });
    if (outcome.rotated.length > 0) this.cache.clear();
    return outcome;
  }
}

/** Constant-time string comparison (for fixed shared secrets). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
