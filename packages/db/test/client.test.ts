import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

/** Ends a COPY of `text` and sends `select 1` right behind it; resolves with the select's rows. */
async function copyThenSelect(sql: DbHandle['sql'], text: string): Promise<number> {
  const connection = await sql.reserve();
  try {
    const stream: Writable = await connection`copy copy_probe (v) from stdin`.writable();
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(text, resolve);
    });
    return (await connection`select 1`).length;
  } finally {
    connection.release();
  }
}

describe('the pool', () => {
  let database: TestDatabase;
  let db: DbHandle;
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false });
    db = createDb(database.url, { max: 1 });
    await db.sql`create table copy_probe (v text)`;
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('ends a COPY without waiting on a delayed acknowledgement (Nagle off)', async () => {
    // 200 kB of data, then the small CopyDone and a statement behind it: with Nagle's algorithm on,
    // those wait for the acknowledgement of the data, which the database's side delays by up to
    // 40 ms, every time.
    const text = `${'x'.repeat(99)}\n`.repeat(2_000);
    await copyThenSelect(db.sql, text);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      expect(await copyThenSelect(db.sql, text)).toBe(1);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    expect(times[7]).toBeLessThan(25);
    const [stored] = await db.sql<{ n: number }[]>`select count(*)::int as n from copy_probe`;
    expect(stored?.n).toBe(16 * 2_000);
  });
});
