// M11 and L12 (security audit): first admin keys and ADMIN_API_KEY registration are serialised
// across processes, and a revocation never matches every key by accident.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiKeys } from '../src/api-keys.ts';
import { revokeApiKeys } from '../src/storage/api-keys-storage.ts';

describe('API key registration (M11, L12)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('creates one first admin key between replicas starting together', async () => {
    const replicas = Array.from({ length: 4 }, () => new ApiKeys(db.sql));
    const created = await Promise.all(replicas.map((k) => k.createFirstAdmin('admin (first start)')));
    expect(created.filter((c) => c !== null)).toHaveLength(1);
    const [{ n }] =
      (await db.sql`select count(*)::int as n from api_keys where role = 'admin'`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(1);
  });

  it('registers ADMIN_API_KEY once when replicas start together, and reports a revoked one', async () => {
    const key = 'ams_k3y9a2b1_Q7x-Lm2pZr8Tn4Vb6Yc1Wd3Fg5Hj0Ks9';
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => new ApiKeys(db.sql).ensure(key, 'admin (ADMIN_API_KEY)', 'admin')),
    );
    expect(outcomes.map((o) => o.status).sort()).toEqual(['present', 'present', 'present', 'registered']);
    const keys = new ApiKeys(db.sql);
    await keys.revoke({ prefix: 'k3y9a2b1' });
    expect(await keys.ensure(key, 'admin (ADMIN_API_KEY)', 'admin')).toEqual({
      status: 'revoked',
      rotated: [],
    });
    expect(await keys.verify(key)).toBeNull();
  });

  it('refuses a revocation that names no key instead of revoking them all', async () => {
    await expect(revokeApiKeys(db.sql, {})).rejects.toThrow(/an empty match would revoke every key/);
    const [{ n }] = (await db.sql`
      select count(*)::int as n from api_keys where revoked_at is null`) as unknown as [{ n: number }];
    expect(n).toBeGreaterThan(0);
  });
});
