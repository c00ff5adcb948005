import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { float8ArrayFromBinary } from '../src/storage/copy-binary.ts';
import {
  COPY_MIN_ROWS,
  copyBatchWithRows,
  copyPredictions,
  fencePredictionIds,
  insertBatch,
  insertBatchWithRows,
  insertPredictions,
  insertRows,
  readCurrentWindow,
  readLabelledBefore,
  readLabelledWindow,
} from '../src/storage/data-storage.ts';

/** Values whose text form is easy to get wrong: repeating fractions, extremes, subnormals. */
const AWKWARD = [0.1, 1 / 3, -2.5e-10, 123456789.12345679, 1.7976931348623157e308, 5e-324, 1e21, -7, 0];

describe('bulk inserts of rows and predictions (flat arrays)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores every row in order, values exactly, labels and nulls in place', async () => {
    const batchPk = (await insertBatch(db.sql, 1, {
      batchId: 'b1',
      rowCount: 3,
      labelledCount: 2,
      source: 'cli',
    }))!;
    const rows = [
      { features: AWKWARD.slice(0, 3), label: 1, scoredLabel: 0, scoredVersion: 4 },
      { features: AWKWARD.slice(3, 6), label: null, scoredLabel: null, scoredVersion: null },
      { features: AWKWARD.slice(6, 9), label: 0, scoredLabel: 0, scoredVersion: 4 },
    ];
    await insertRows(db.sql, 1, batchPk, rows);
    const stored = await db.sql<
      {
        batch_pk: string;
        features: number[];
        label: number | null;
        scored_label: number | null;
        scored_version: number | null;
      }[]
    >`select batch_pk, features, label, scored_label, scored_version from rows order by id`;
    expect(stored).toEqual(
      rows.map((r) => ({
        batch_pk: String(batchPk),
        features: r.features,
        label: r.label,
        scored_label: r.scoredLabel,
        scored_version: r.scoredVersion,
      })),
    );
  });

  it('splits batches larger than one statement and keeps their order', async () => {
    const batchPk = (await insertBatch(db.sql, 1, {
      batchId: 'b2',
      rowCount: 10_050,
      labelledCount: 10_050,
      source: 'cli',
    }))!;
    const rows = Array.from({ length: 10_050 }, (_, i) => ({
      features: [i, i / 7],
      label: i % 3,
      scoredLabel: null,
      scoredVersion: null,
    }));
    await insertRows(db.sql, 1, batchPk, rows);
    const stored = await db.sql<{ features: number[]; label: number }[]>`
      select features, label from rows where batch_pk = ${batchPk} order by id`;
    expect(stored).toHaveLength(10_050);
    expect(stored.every((r, i) => r.features[0] === i && r.features[1] === i / 7 && r.label === i % 3)).toBe(
      true,
    );
  });

  it('stores a batch header with its rows in one statement, and nothing for a re-sent batch id', async () => {
    const count = async () => (await db.sql<{ n: number }[]>`select count(*)::int as n from rows`)[0]!.n;
    const before = await count();
    const rows = AWKWARD.map((v, i) => ({
      features: [v, i],
      label: i % 2,
      scoredLabel: null,
      scoredVersion: null,
    }));
    const header = {
      batchId: 'one-statement',
      rowCount: rows.length,
      labelledCount: rows.length,
      source: 'graphql',
    };
    const batchPk = await insertBatchWithRows(db.sql, 1, header, rows);
    expect(batchPk).toBeGreaterThan(0);
    const stored = await db.sql<{ features: number[]; label: number }[]>`
      select features, label from rows where batch_pk = ${batchPk} order by id`;
    expect(stored).toEqual(rows.map((r) => ({ features: r.features, label: r.label })));
    const [batch] = await db.sql<
      { row_count: number }[]
    >`select row_count from batches where id = ${batchPk}`;
    expect(batch?.row_count).toBe(rows.length);

    expect(await insertBatchWithRows(db.sql, 1, header, rows)).toBeNull();
    expect(await count()).toBe(before + rows.length);
  });

  it('returns prediction ids in input order, with features exact and probabilities as float4', async () => {
    const predictions = Array.from({ length: 5 }, (_, i) => ({
      features: [AWKWARD[i]!, AWKWARD[i + 1]!, i],
      label: i % 2,
      probabilities: [1 / (i + 3), 1 - 1 / (i + 3)],
      modelVersion: 2,
    }));
    const ids = await insertPredictions(db.sql, 1, predictions, () => fencePredictionIds(db.sql));
    expect(ids).toHaveLength(5);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const stored = await db.sql<
      { id: string; features: number[]; label: number; probabilities: number[]; model_version: number }[]
    >`
      select id, features, label, probabilities, model_version from predictions where id = any(${ids}::bigint[])`;
    const byId = new Map(stored.map((s) => [Number(s.id), s]));
    predictions.forEach((p, i) => {
      const s = byId.get(ids[i]!)!;
      expect(s.features).toEqual(p.features);
      expect(s.label).toBe(p.label);
      expect(s.model_version).toBe(2);
      // real[] keeps single precision: the stored value is the float nearest the double.
      expect(s.probabilities.map(Math.fround)).toEqual(p.probabilities.map(Math.fround));
    });
  });

  it('binary COPY stores a batch exactly as the single statement does, and nothing for a re-sent batch id', async () => {
    const rows = Array.from({ length: COPY_MIN_ROWS + 5 }, (_, i) => ({
      features: [AWKWARD[i % AWKWARD.length]!, -i / 3, i % 4 === 0 ? Number.NaN : i],
      label: i % 5 === 0 ? null : i % 3,
      scoredLabel: i % 2 === 0 ? null : 1,
      scoredVersion: i % 2 === 0 ? null : 7,
    }));
    const header = { batchId: 'copied', rowCount: rows.length, labelledCount: 0, source: 'graphql' };
    const batchPk = await copyBatchWithRows(db.sql, 1, header, rows);
    expect(batchPk).toBeGreaterThan(0);
    const stored = await db.sql<
      {
        pipeline_id: number;
        features: number[];
        label: number | null;
        scored_label: number | null;
        scored_version: number | null;
        same_time: boolean;
      }[]
    >`select pipeline_id, features, label, scored_label, scored_version,
        created_at = (select created_at from batches where id = ${batchPk}) as same_time
      from rows where batch_pk = ${batchPk} order by id`;
    expect(stored).toEqual(
      rows.map((r) => ({
        pipeline_id: 1,
        features: r.features,
        label: r.label,
        scored_label: r.scoredLabel,
        scored_version: r.scoredVersion,
        same_time: true,
      })),
    );
    expect(await copyBatchWithRows(db.sql, 1, header, rows)).toBeNull();
    const [count] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from rows where batch_pk = ${batchPk}`;
    expect(count?.n).toBe(rows.length);
  });

  it('binary COPY of predictions returns ids in input order and stores the same values', async () => {
    const predictions = Array.from({ length: COPY_MIN_ROWS * 3 }, (_, i) => ({
      features: [AWKWARD[i % AWKWARD.length]!, i / 7],
      label: i % 3,
      probabilities: [1 / (i + 3), 1 / (i + 7), 1 - 1 / (i + 3) - 1 / (i + 7)],
      modelVersion: 3,
    }));
    const ids = await copyPredictions(db.sql, 1, predictions, () => fencePredictionIds(db.sql));
    expect(ids).toHaveLength(predictions.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const stored = await db.sql<
      { id: string; features: number[]; label: number; probabilities: number[]; model_version: number }[]
    >`select id, features, label, probabilities, model_version from predictions where id = any(${ids}::bigint[]) order by id`;
    expect(stored.map((s) => Number(s.id))).toEqual(ids);
    stored.forEach((s, i) => {
      const p = predictions[i]!;
      expect(s.features).toEqual(p.features);
      expect(s.label).toBe(p.label);
      expect(s.model_version).toBe(3);
      expect(s.probabilities.map(Math.fround)).toEqual(p.probabilities.map(Math.fround));
    });
    // The id sequence keeps going after the drawn ids.
    const [next] = await insertPredictions(db.sql, 1, predictions.slice(0, 1), () =>
      fencePredictionIds(db.sql),
    );
    expect(next).toBeGreaterThan(ids.at(-1)!);

    // Ids past 2^32 keep both of their words.
    await db.sql`select setval('predictions_id_seq', ${2 ** 32 - 3})`;
    const high = await copyPredictions(db.sql, 1, predictions.slice(0, COPY_MIN_ROWS), async () => {});
    expect(high[0]).toBe(2 ** 32 - 2);
    const highStored = await db.sql<{ id: string }[]>`
      select id::text from predictions where id >= ${2 ** 32 - 2} order by id`;
    expect(highStored.map((r) => Number(r.id))).toEqual(high);
    expect(high.at(-1)).toBe(2 ** 32 - 3 + COPY_MIN_ROWS);
  });

  it('a COPY that Postgres refuses rejects (and stores nothing) instead of waiting forever', async () => {
    // A constraint of this test's database only: Postgres refuses the last row of the COPY.
    await db.sql`alter table rows add constraint test_no_label_9 check (label is distinct from 9)`;
    try {
      const rows = Array.from({ length: COPY_MIN_ROWS }, (_, i) => ({
        features: [i],
        label: i === COPY_MIN_ROWS - 1 ? 9 : 1,
        scoredLabel: null,
        scoredVersion: null,
      }));
      const header = { batchId: 'refused', rowCount: rows.length, labelledCount: 0, source: 'graphql' };
      await expect(copyBatchWithRows(db.sql, 1, header, rows)).rejects.toThrow();
      const [count] = await db.sql<
        { n: number }[]
      >`select count(*)::int as n from batches where batch_id = 'refused'`;
      expect(count?.n).toBe(0);
      // The pool is usable afterwards.
      expect(await copyBatchWithRows(db.sql, 1, header, rows.slice(0, -1))).toBeGreaterThan(0);
    } finally {
      await db.sql`alter table rows drop constraint test_no_label_9`;
    }
  });

  it('a COPY of predictions that Postgres refuses rejects and stores none of them', async () => {
    await db.sql`alter table predictions add constraint test_no_label_9 check (label <> 9)`;
    try {
      const predictions = Array.from({ length: COPY_MIN_ROWS }, (_, i) => ({
        features: [i],
        label: i === COPY_MIN_ROWS - 1 ? 9 : 1,
        probabilities: [0.5, 0.5],
        modelVersion: 1,
      }));
      const [before] = await db.sql<{ n: number }[]>`select count(*)::int as n from predictions`;
      await expect(copyPredictions(db.sql, 1, predictions, () => fencePredictionIds(db.sql))).rejects.toThrow(
        /refused the COPY/,
      );
      const [after] = await db.sql<{ n: number }[]>`select count(*)::int as n from predictions`;
      expect(after?.n).toBe(before?.n);
      expect(await copyPredictions(db.sql, 1, predictions.slice(0, -1), async () => {})).toHaveLength(
        COPY_MIN_ROWS - 1,
      );
    } finally {
      await db.sql`alter table predictions drop constraint test_no_label_9`;
    }
  });
});

describe('reads of features in binary (array_send)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('gives back every value exactly, NaN (missing) and NULL elements as NaN, as the text form did', async () => {
    const features = [
      AWKWARD.slice(0, 5),
      [Number.NaN, -123.5, -1e-300, 2 ** 53 + 2, Number.POSITIVE_INFINITY],
    ];
    const batchPk = (await insertBatch(db.sql, 1, {
      batchId: 'bin',
      rowCount: 3,
      labelledCount: 3,
      source: 'cli',
    }))!;
    await insertRows(db.sql, 1, batchPk, [
      ...features.map((f, i) => ({ features: f, label: i, scoredLabel: i, scoredVersion: 1 })),
      { features: [1, 2, 3, 4, 5], label: 1, scoredLabel: 1, scoredVersion: 1 },
    ]);
    // A NULL element (written by hand: the platform stores missing values as NaN).
    await db.sql`update rows set features = array[1, null, 3, 4, 5]::float8[] where id = (select max(id) from rows)`;
    const expected = [...features, [1, Number.NaN, 3, 4, 5]];
    const window = await readLabelledWindow(db.sql, 1, 10);
    expect(window.features).toEqual(expected);
    const served = await readCurrentWindow(db.sql, 1, 10, 1);
    expect(served.features).toEqual([...expected].reverse());
    const at = new Date(Date.now() + 60_000);
    const before = await readLabelledBefore(db.sql, 1, 10, { at, rowId: null });
    expect(before.features).toEqual(expected);
    // What postgres.js parses from the text form, for the same rows: the same numbers.
    const text = await db.sql<{ features: number[] }[]>`select features from rows order by id`;
    expect(text.map((r) => r.features)).toEqual(expected);
  });

  it('reads an empty array as [] and refuses an array of another type', async () => {
    const [row] = await db.sql<{ empty: Uint8Array; ints: Uint8Array }[]>`
      select array_send('{}'::float8[]) as empty, array_send('{1,2}'::int4[]) as ints`;
    expect(float8ArrayFromBinary(row!.empty)).toEqual([]);
    expect(() => float8ArrayFromBinary(row!.ints)).toThrow(/float8\[\]/);
  });
});
