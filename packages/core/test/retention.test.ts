// Retention (issue #18): rows and predictions partitioned by UTC day (drizzle/0005), old days
// dropped by the partition-maintenance job. Time passing is simulated with maintainPartitions'
// `now` and with rows whose created_at is set explicitly: each lands in the partition of its day.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@automl-stream/config';
import { migrationsFolder, runMigrations } from '@automl-stream/db';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Queues } from '../src/queues.ts';
import { maintainPartitions, utcDay, workPartitionMaintenance } from '../src/retention.ts';
import {
  countLabelledSince,
  countLabelsArrivedSince,
  fencePredictionIds,
  insertBatch,
  insertPredictions,
  insertRows,
  readCurrentWindow,
  readErrorStream,
  readLabelledWindow,
  recordFeedback,
} from '../src/storage/data-storage.ts';
import { listPartitions } from '../src/storage/retention-storage.ts';

const DAY_MS = 86_400_000;
const today = utcDay(new Date());
const dayName = (table: string, offset: number) =>
  `${table}_p${utcDay(new Date(), offset).replaceAll('-', '')}`;
/** Noon UTC `offset` days from today. */
const noon = (offset: number) => new Date(Date.parse(`${today}T12:00:00Z`) + offset * DAY_MS);

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows (id, partition, values) of a table, by id. */
const dump = (db: TestDatabase, table: 'rows' | 'predictions') =>
  table === 'rows'
    ? db.sql`select id::text, batch_pk::text, features, label, scored_label, scored_version, created_at from rows order by id`
    : db.sql`select id::text, features, label, probabilities, model_version, feedback_label, feedback_at, created_at
             from predictions order by id`;

const partitionOf = async (db: TestDatabase, table: 'rows' | 'predictions', id: number) => {
  const [row] = await (table === 'rows'
    ? db.sql<{ p: string }[]>`select tableoid::regclass::text as p from rows where id = ${id}`
    : db.sql<{ p: string }[]>`select tableoid::regclass::text as p from predictions where id = ${id}`);
  return row?.p;
};

describe('migration 0005 on a database with data', () => {
  let db: TestDatabase;
  let before: { rows: readonly unknown[]; predictions: readonly unknown[]; seq: readonly unknown[] };
  /** Migrations from 0005 on (0005 and the ones after it). */
  let pending = 0;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'), { migrate: false });
    // The schema as it was before partitioning: the migrations up to 0004 only.
    const folder = await mkdtemp(path.join(tmpdir(), 'automl-migrations-'));
    try {
      await cp(migrationsFolder, folder, { recursive: true });
      const journalPath = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
      const upTo = journal.entries.findIndex((e) => e.tag.startsWith('0005_'));
      pending = journal.entries.length - upTo;
      journal.entries = journal.entries.slice(0, upTo);
      await writeFile(journalPath, JSON.stringify(journal));
      // A client of its own: drizzle replaces the date serialisers of the client it is given.
      const client = postgres(db.url, { max: 1, onnotice: () => {} });
      try {
        await migrate(drizzle(client), { migrationsFolder: folder });
      } finally {
        await client.end();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const kind = await db.sql<{ relkind: string }[]>`select relkind from pg_class where relname = 'rows'`;
    expect(kind).toEqual([{ relkind: 'r' }]);
    await db.sql`insert into batches (id, batch_id, row_count, labelled_count, created_at)
      values (1, 'old', 2, 2, ${noon(-40)}::timestamptz), (2, 'new', 2, 1, ${noon(0)}::timestamptz)`;
    await db.sql`select setval('batches_id_seq', 2)`;
    await db.sql`insert into rows (id, batch_pk, features, label, scored_label, scored_version, created_at) values
      (5, 1, '{1.5,2.5}', 1, 0, 1, ${noon(-40)}::timestamptz), (9, 1, '{-1,0.25}', 0, 0, 1, ${noon(-40)}::timestamptz),
      (17, 2, '{3,4}', 1, 1, 1, ${noon(0)}::timestamptz), (18, 2, '{5,6}', null, 0, 1, ${noon(0)}::timestamptz)`;
    await db.sql`select setval('rows_id_seq', 20)`;
    await db.sql`insert into predictions (id, features, label, probabilities, model_version, feedback_label, feedback_at, created_at) values
      (100, '{1,2}', 1, '{0.25,0.75}', 1, 0, ${noon(-39)}::timestamptz, ${noon(-40)}::timestamptz),
      (101, '{3,4}', 0, '{0.5,0.5}', 1, null, null, ${noon(-1)}::timestamptz),
      (150, '{5,6}', 1, '{0.125,0.875}', 1, null, null, ${noon(0)}::timestamptz)`;
    await db.sql`select setval('predictions_id_seq', 150)`;
    before = {
      rows: await dump(db, 'rows'),
      predictions: await dump(db, 'predictions'),
      seq: await db.sql`select (select last_value from rows_id_seq) as r, (select last_value from predictions_id_seq) as p`,
    };
    expect(await runMigrations(db.url)).toEqual({ applied: pending });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps every row and prediction with its id and values, and the id sequences where they were', async () => {
    expect(await dump(db, 'rows')).toEqual(before.rows);
    expect(await dump(db, 'predictions')).toEqual(before.predictions);
    expect(before.rows).toHaveLength(4);
    expect(before.predictions).toHaveLength(3);
    expect(
      await db.sql`select (select last_value from rows_id_seq) as r, (select last_value from predictions_id_seq) as p`,
    ).toEqual(before.seq);
    const [kinds] = await db.sql<{ rows: string; predictions: string }[]>`
      select (select relkind::text from pg_class where relname = 'rows') as rows,
             (select relkind::text from pg_class where relname = 'predictions') as predictions`;
    expect(kinds).toEqual({ rows: 'p', predictions: 'p' });
    // Older days in the history partition, today's rows in today's.
    expect(await partitionOf(db, 'rows', 5)).toBe('rows_history');
    expect(await partitionOf(db, 'rows', 17)).toBe(dayName('rows', 0));
    expect(await partitionOf(db, 'predictions', 101)).toBe('predictions_history');
    expect(await partitionOf(db, 'predictions', 150)).toBe(dayName('predictions', 0));
    const names = (await listPartitions(db.sql)).map((p) => p.name);
    expect(names).toEqual([
      'predictions_history',
      dayName('predictions', 0),
      dayName('predictions', 1),
      dayName('predictions', 2),
      'predictions_default',
      'rows_history',
      dayName('rows', 0),
      dayName('rows', 1),
      dayName('rows', 2),
      'rows_default',
    ]);
  });

  it("serves the app's reads and writes: windows, feedback by id, new ids after the old ones, batch cascade", async () => {
    const window = await readLabelledWindow(db.sql, 1, 10);
    expect(window.labels).toEqual([1, 0, 0, 1]);
    expect(window.features).toEqual([
      [1.5, 2.5],
      [-1, 0.25],
      [1, 2],
      [3, 4],
    ]);
    expect([window.firstRowId, window.lastRowId]).toEqual([5, 17]);
    const current = await readCurrentWindow(db.sql, 1, 10, 1);
    expect([current.newestPredictionId, current.newestRowId]).toEqual([150, 18]);
    expect(await recordFeedback(db.sql, 1, [101, 999], [1, 1])).toEqual([101]);
    await fencePredictionIds(db.sql);
    const ids = await insertPredictions(
      db.sql,
      1,
      [{ features: [7, 8], label: 0, probabilities: [0.75, 0.25], modelVersion: 1 }],
      () => fencePredictionIds(db.sql),
    );
    expect(ids[0]).toBeGreaterThan(150);
    const batchPk = (await insertBatch(db.sql, 1, {
      batchId: 'after',
      rowCount: 1,
      labelledCount: 1,
      source: 'test',
    }))!;
    expect(batchPk).toBe(3);
    await insertRows(db.sql, 1, batchPk, [
      { features: [9, 9], label: 1, scoredLabel: null, scoredVersion: null },
    ]);
    const [row] = await db.sql<{ id: string }[]>`select id::text from rows where batch_pk = ${batchPk}`;
    expect(Number(row!.id)).toBe(21);
    // The foreign key to batches still cascades, into the history partition too.
    await db.sql`delete from batches where id = 1`;
    expect((await dump(db, 'rows')).map((r) => (r as { id: string }).id)).toEqual(['17', '18', '21']);
  });
});

describe('partition maintenance', () => {
  let db: TestDatabase;
  const batch = async (id: string, at: Date, n: number) => {
    const batchPk = (await insertBatch(db.sql, 1, {
      batchId: id,
      rowCount: n,
      labelledCount: n,
      source: 'test',
    }))!;
    await insertRows(
      db.sql,
      1,
      batchPk,
      Array.from({ length: n }, (_, i) => ({
        features: [i, n],
        label: i % 2,
        scoredLabel: 0,
        scoredVersion: 1,
      })),
    );
    await db.sql`update rows set created_at = ${at} where batch_pk = ${batchPk}`;
    await db.sql`update batches set created_at = ${at} where id = ${batchPk}`;
    return batchPk;
  };
  const prediction = async (at: Date, feedback: number | null) => {
    const [id] = await insertPredictions(
      db.sql,
      1,
      [{ features: [at.getUTCDate(), 0], label: 1, probabilities: [0.5, 0.5], modelVersion: 1 }],
      () => fencePredictionIds(db.sql),
    );
    await db.sql`update predictions set created_at = ${at}, feedback_label = ${feedback},
      feedback_at = ${feedback === null ? null : at} where id = ${id!}`;
    return id!;
  };
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('puts each row in the partition of its day, and a day without one in the default partition', async () => {
    const pk = await batch('today', noon(0), 3);
    const [r] = await db.sql<{ id: string }[]>`select min(id)::text as id from rows where batch_pk = ${pk}`;
    expect(await partitionOf(db, 'rows', Number(r!.id))).toBe(dayName('rows', 0));
    const id = await prediction(noon(2), null);
    expect(await partitionOf(db, 'predictions', id)).toBe(dayName('predictions', 2));
    // No partition 35 days ahead yet: the insert does not fail, the default partition takes it.
    const later = await batch('later', noon(35), 4);
    const [l] = await db.sql<
      { id: string }[]
    >`select min(id)::text as id from rows where batch_pk = ${later}`;
    expect(await partitionOf(db, 'rows', Number(l!.id))).toBe('rows_default');
    expect(await partitionOf(db, 'predictions', await prediction(noon(35), 1))).toBe('predictions_default');
  });

  it('creates the days ahead, moves rows out of the default partition, and drops days past RETAIN_DAYS', async () => {
    const rowsBefore = await db.sql<
      { id: string; created_at: Date }[]
    >`select id::text, created_at from rows order by id`;
    // 40 days from now, keeping 30: today's and the two next days' partitions (and the history)
    // are entirely older than the cutoff; day +35 is not.
    const outcome = await maintainPartitions(db.sql, { retainDays: 30, now: noon(40) });
    expect(outcome.created).toEqual([
      dayName('rows', 35),
      dayName('rows', 40),
      dayName('rows', 41),
      dayName('rows', 42),
      dayName('predictions', 35),
      dayName('predictions', 40),
      dayName('predictions', 41),
      dayName('predictions', 42),
    ]);
    expect(outcome.dropped.sort()).toEqual(
      [
        'predictions_history',
        dayName('predictions', 0),
        dayName('predictions', 1),
        dayName('predictions', 2),
        'rows_history',
        dayName('rows', 0),
        dayName('rows', 1),
        dayName('rows', 2),
      ].sort(),
    );
    const rowsAfter = await db.sql<{ id: string; p: string }[]>`
      select id::text, tableoid::regclass::text as p from rows order by id`;
    const kept = rowsBefore.filter((r) => r.created_at.getTime() === noon(35).getTime()).map((r) => r.id);
    expect(kept).toHaveLength(4);
    expect(rowsAfter.map((r) => r.id)).toEqual(kept);
    expect(new Set(rowsAfter.map((r) => r.p))).toEqual(new Set([dayName('rows', 35)]));
    expect(await db.sql`select count(*)::int as n from rows_default`).toEqual([{ n: 0 }]);
    expect(await db.sql`select count(*)::int as n from predictions`).toEqual([{ n: 1 }]);
    // Batches (metadata) stay, also those whose rows were dropped.
    expect(await db.sql`select batch_id from batches order by id`).toEqual([
      { batch_id: 'today' },
      { batch_id: 'later' },
    ]);
    // A second pass has nothing to do.
    expect(await maintainPartitions(db.sql, { retainDays: 30, now: noon(40) })).toEqual({
      created: [],
      dropped: [],
    });
  });

  it('leaves the training and drift windows working on what remains, and prunes by time', async () => {
    const window = await readLabelledWindow(db.sql, 1, 100);
    expect(window.labels).toEqual([1, 0, 1, 0, 1]);
    expect(window.lastAt?.getTime()).toBe(noon(35).getTime());
    const current = await readCurrentWindow(db.sql, 1, 100, 1);
    // The 4 ingested rows (a window counts each served row once: rows when any are stored).
    expect(current.features).toHaveLength(4);
    expect(current.source).toBe('rows');
    expect((await readErrorStream(db.sql, 1, 1, 100)).wrong).toEqual([0, 0, 1, 0, 1]);
    // A regime start whose row was dropped falls back to its time.
    expect(await countLabelledSince(db.sql, 1, { at: noon(30), rowId: 1 })).toBe(5);
    expect(await countLabelsArrivedSince(db.sql, 1, noon(34))).toBe(5);
    // A window bounded in time reads only the partitions that can hold it.
    const plan = (await db.sql.unsafe(
      `explain (costs off) select count(*) from rows where created_at > '${noon(41).toISOString()}'`,
    )) as { 'QUERY PLAN': string }[];
    const text = plan.map((p) => p['QUERY PLAN']).join('\n');
    expect(text).not.toContain(dayName('rows', 35));
    expect(text).toContain(dayName('rows', 41));
  });

  it('never drops anything with RETAIN_DAYS=0, and never the default partition', async () => {
    const outcome = await maintainPartitions(db.sql, { retainDays: 0, now: noon(400) });
    expect(outcome.dropped).toEqual([]);
    await expect(db.sql`select automl_drop_partition('rows', 'rows_default')`).rejects.toThrow(
      /never dropped/,
    );
    await expect(db.sql`select automl_drop_partition('batches', 'x')`).rejects.toThrow(
      /not a partitioned table/,
    );
  });

  it('runs as a pg-boss job, which drops the partitions older than RETAIN_DAYS', async () => {
    const config = loadConfig({ RETAIN_DAYS: '30' });
    const queues = new Queues(db.url, config, createLogger('silent'));
    await queues.start();
    try {
      // A partition of 45 days ago, as one made then would be, with rows and a prediction in it.
      await maintainPartitions(db.sql, { retainDays: 0, now: noon(-45), daysAhead: 0 });
      const old = await batch('old', noon(-45), 3);
      const [o] = await db.sql<
        { id: string }[]
      >`select min(id)::text as id from rows where batch_pk = ${old}`;
      expect(await partitionOf(db, 'rows', Number(o!.id))).toBe(dayName('rows', -45));
      expect(await partitionOf(db, 'predictions', await prediction(noon(-45), 1))).toBe(
        dayName('predictions', -45),
      );
      // A row 60 days ahead sits in the default partition until the job gives its day one.
      await batch('far', noon(60), 2);
      const send = await workPartitionMaintenance(queues, db.sql, config, createLogger('silent'));
      await send();
      const created = await until(async () => {
        const names = (await listPartitions(db.sql)).map((p) => p.name);
        // Rows first, then predictions: the pass is done when both tables have theirs.
        const done = names.includes(dayName('rows', 60)) && names.includes(dayName('predictions', 0));
        return done ? names : undefined;
      }, 'the job to create the partitions');
      expect(created).toContain(dayName('rows', 0));
      expect(await db.sql`select count(*)::int as n from rows_default`).toEqual([{ n: 0 }]);
      // The same pass drops the partitions of 45 days ago, with their rows and prediction.
      const left = await until(async () => {
        const names = (await listPartitions(db.sql)).map((p) => p.name);
        return names.some((n) => n.endsWith(dayName('rows', -45).slice(-8))) ? undefined : names;
      }, 'the job to drop the old partitions');
      expect(left).not.toContain(dayName('predictions', -45));
      expect(await db.sql`select count(*)::int as n from rows where batch_pk = ${old}`).toEqual([{ n: 0 }]);
      expect(
        await db.sql`select count(*)::int as n from predictions where created_at < ${noon(-30)}`,
      ).toEqual([{ n: 0 }]);
      // Newer days stay, and the batch's metadata is kept.
      expect(left).toContain(dayName('rows', 60));
      expect(await db.sql`select row_count from batches where id = ${old}`).toEqual([{ row_count: 3 }]);
    } finally {
      await queues.stop({ timeoutMs: 3_000 });
    }
  });
});
