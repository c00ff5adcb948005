import type { Queryable } from '@automl-stream/db';

export type ApiKeyRole = 'admin' | 'writer' | 'reader';

export interface ApiKeyRecord {
  id: number;
  name: string;
  role: ApiKeyRole;
  /** The pipelines (by name) the key may use; null: every pipeline. */
  pipelines: string[] | null;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface Row {
  id: number;
  name: string;
  role: ApiKeyRole;
  pipelines: string[] | null;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const toRecord = (r: Row): ApiKeyRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  pipelines: r.pipelines,
  prefix: r.prefix,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export async function insertApiKey(
  sql: Queryable,
  key: { name: string; role: ApiKeyRole; prefix: string; keyHash: string; pipelines?: string[] | null },
) {
  // name: insert-api-key
  const [row] = await sql<Row[]>`
    insert into api_keys (name, role, pipelines, prefix, key_hash)
    values (${key.name}, ${key.role}, ${key.pipelines ?? null}::text[], ${key.prefix}, ${key.keyHash})
    returning id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at`;
  return toRecord(row!);
}

/** The key with this hash, revoked or not. */
export async function findKeyByHash(sql: Queryable, keyHash: string): Promise<ApiKeyRecord | undefined> {
  // name: find-api-key-any
  const [row] = await sql<Row[]>`
    select id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at from api_keys where key_hash = ${keyHash}`;
  return row && toRecord(row);
}

/** Revokes the active keys named `name` other than the one with `keepHash` (a rotated key's predecessors). */
export async function revokeOtherKeysNamed(sql: Queryable, name: string, keepHash: string) {
  // name: revoke-rotated-keys
  const rows = await sql<Row[]>`
    update api_keys set revoked_at = now()
    where revoked_at is null and name = ${name} and key_hash <> ${keepHash}
    returning id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at`;
  return rows.map(toRecord);
}

export async function findActiveKeyByHash(
  sql: Queryable,
  keyHash: string,
): Promise<ApiKeyRecord | undefined> {
  // name: find-api-key
  const [row] = await sql<Row[]>`
    select id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at from api_keys
    where key_hash = ${keyHash} and revoked_at is null`;
  return row && toRecord(row);
}

export async function listApiKeys(sql: Queryable, includeRevoked: boolean): Promise<ApiKeyRecord[]> {
  // name: list-api-keys
  const rows = await sql<Row[]>`
    select id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at from api_keys
    where ${includeRevoked} or revoked_at is null order by id`;
  return rows.map(toRecord);
}

/**
 * Channel on which a revocation is announced (`{"revoked": <key id>}`), so that every server closes
 * the revoked key's open sockets and streams at once instead of when its cache expires.
 */
export const API_KEYS_CHANNEL = 'automl_api_keys';

/** Revokes by id, prefix or name (at least one); returns the revoked keys. Announced on API_KEYS_CHANNEL at commit. */
export async function revokeApiKeys(sql: Queryable, match: { id?: number; prefix?: string; name?: string }) {
  // With every field unset the filter below matches every key: refuse instead of revoking them all.
  if (match.id === undefined && match.prefix === undefined && match.name === undefined) {
    throw new Error('revokeApiKeys needs an id, a prefix or a name: an empty match would revoke every key');
  }
  // name: revoke-api-keys
  const rows = await sql<Row[]>`
    with revoked as (
      update api_keys set revoked_at = now()
      where revoked_at is null
        and (${match.id ?? null}::int is null or id = ${match.id ?? null}::int)
        and (${match.prefix ?? null}::text is null or prefix = ${match.prefix ?? null}::text)
        and (${match.name ?? null}::text is null or name = ${match.name ?? null}::text)
      returning id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at
    )
    select id, name, role, pipelines, prefix, created_at, revoked_at, last_used_at,
      pg_notify(${API_KEYS_CHANNEL}, json_build_object('revoked', id)::text)
    from revoked`;
  return rows.map(toRecord);
}

export async function countActiveAdminKeys(sql: Queryable): Promise<number> {
  // name: count-admin-keys
  const [row] = await sql<
    { n: number }[]
  >`select count(*)::int as n from api_keys where role = 'admin' and revoked_at is null`;
  return row?.n ?? 0;
}

export async function touchApiKeys(sql: Queryable, ids: number[]) {
  // name: touch-api-keys
  await sql`update api_keys set last_used_at = now() where id = any(${ids}::int[])`;
}
