import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  fencePredictionIds,
  insertBatch,
  insertBatchWithRows,
  insertPredictions,
  insertRows,
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
});
