// M3 (security audit): a pod of the previous release must stay ready after a newer release
// migrated the database (rolling update, rollback): its code works against the expanded schema.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkReadiness } from '../src/readiness.ts';

describe('readiness against the schema version (M3)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('is ready when every migration is applied', async () => {
    const r = await checkReadiness(db.sql, { queues: true });
    expect(r).toEqual({ ready: true, checks: { queues: true, database: true, pendingMigrations: 0 } });
  });

  it('stays ready when the database is ahead (a newer release migrated it), and says so', async () => {
    await db.sql`
      insert into drizzle.__drizzle_migrations (hash, created_at)
      values ('a-newer-release', (extract(epoch from now()) * 1000)::bigint)`;
    const r = await checkReadiness(db.sql, { queues: true });
    expect(r.ready).toBe(true);
    expect(r.checks).toEqual({ queues: true, database: true, pendingMigrations: 0, schemaAhead: 1 });
  });

  it('is not ready while a migration of its own release is pending', async () => {
    await db.sql`delete from drizzle.__drizzle_migrations where hash = 'a-newer-release'`;
    const [last] = await db.sql<{ id: number }[]>`select max(id) as id from drizzle.__drizzle_migrations`;
    await db.sql`delete from drizzle.__drizzle_migrations where id = ${last!.id}`;
    const r = await checkReadiness(db.sql, { queues: true });
    expect(r.ready).toBe(false);
    expect(r.checks.pendingMigrations).toBe(1);
  });
});
