import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runMigrations } from '../src/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), { migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('apply on an empty database, then are a no-op, also from several processes at once', async () => {
    // Four migrators race on the empty database: exactly one applies, the rest find nothing.
    const results = await Promise.all([1, 2, 3, 4].map(() => runMigrations(db.url)));
    const applied = results.map((r) => r.applied).sort();
    expect(applied[3]).toBeGreaterThan(0);
    expect(applied.slice(0, 3)).toEqual([0, 0, 0]);
    expect(await runMigrations(db.url)).toEqual({ applied: 0 });

    // The tables themselves: the partitions of rows and predictions (drizzle/0005) are left out.
    const tables = await db.sql<{ table_name: string }[]>`
      select relname as table_name from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') and not relispartition
      order by relname`;
    expect(tables.map((t) => t.table_name)).toEqual([
      'api_keys',
      'batches',
      'drift_checks',
      'events',
      'model_history',
      'model_versions',
      'pipelines',
      'platform_settings',
      'predictions',
      'rate_limit_buckets',
      'rows',
      'training_jobs',
    ]);
    // The default pipeline exists from the start, its schema not yet known.
    expect(await db.sql`select name, schema, schema_version from pipelines`).toEqual([
      { name: 'default', schema: null, schema_version: 0 },
    ]);
  });

  it('enforces one production model and unique batch ids', async () => {
    await db.sql`insert into batches (batch_id, row_count, labelled_count) values ('b1', 1, 0)`;
    await expect(
      db.sql`insert into batches (batch_id, row_count, labelled_count) values ('b1', 1, 0)`,
    ).rejects.toThrow(/batches_batch_id_key/);
    const insert = (version: number, status: string) => db.sql`
      insert into model_versions (version, status, params, metrics, feature_importances, n_features, n_classes,
        train_rows, holdout_rows, training_ms, artifact, reference_sample, reference_rows, reference_predictions)
      values (${version}, ${status}, '{}', '{}', '{1}', 1, 2, 10, 2, 1, '\\x00', '\\x00', 1, '{1,1}')`;
    await insert(1, 'production');
    await expect(insert(2, 'production')).rejects.toThrow(/model_versions_one_production/);
    await insert(2, 'candidate');
  });

  it('creates the database objects from separate OS-level connections too', async () => {
    const other = postgres(db.url, { max: 1, onnotice: () => {} });
    const [row] = await other<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await other.end();
    expect(row?.n).toBeGreaterThan(0);
  });
});
