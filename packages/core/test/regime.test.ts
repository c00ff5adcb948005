import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { detectConceptDrift } from '@automl-stream/drift';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  countLabelledSince,
  insertBatch,
  insertRows,
  readErrorStream,
  readLabelledWindow,
} from '../src/storage/data-storage.ts';

// Three batches of 100 labelled rows, each committed in its own transaction (so the rows of a
// batch share one created_at). Version 1 errs on 1 row in 20 up to row 150, then on every other
// row: the change is in the middle of the second batch.
const BATCHES = 3;
const PER_BATCH = 100;
const CHANGE = 150;

describe('the start of a new regime, to the row', () => {
  let db: TestDatabase;
  const ids: number[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    for (let b = 0; b < BATCHES; b++) {
      await db.sql.begin(async (tx) => {
        const batchPk = (await insertBatch(tx, 1, {
          batchId: `regime-${b}`,
          rowCount: PER_BATCH,
          labelledCount: PER_BATCH,
          source: 'test',
        }))!;
        await insertRows(
          tx,
          1,
          batchPk,
          Array.from({ length: PER_BATCH }, (_, k) => {
            const i = b * PER_BATCH + k;
            const wrong = i < CHANGE ? i % 20 === 0 : i % 2 === 0;
            return { features: [i], label: 1, scoredLabel: wrong ? 0 : 1, scoredVersion: 1 };
          }),
        );
      });
      // Distinct transaction times for the three batches.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const rows = await db.sql<{ id: string }[]>`select id from rows order by id`;
    ids.push(...rows.map((r) => Number(r.id)));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads the error stream with the row of every error, in arrival order', async () => {
    const stream = await readErrorStream(db.sql, 1, 1, 10_000);
    expect(stream.rowId).toEqual(ids);
    expect(stream.wrong.slice(0, 3)).toEqual([1, 0, 0]);
    expect(stream.wrong.slice(CHANGE, CHANGE + 4)).toEqual([1, 0, 1, 0]);
    // One time per batch.
    expect(new Set(stream.at.map((d) => d.getTime())).size).toBe(BATCHES);
  });

  it('locates the change inside its batch, and the retrain window starts at that row', async () => {
    const stream = await readErrorStream(db.sql, 1, 1, 10_000);
    const concept = detectConceptDrift(stream.wrong, stream.at, stream.rowId);
    expect(concept.detected).toBe(true);
    const changeRow = concept.changeRowId!;
    // Within a few rows of the true change (row 150 of 300), not at its batch's first row (100).
    expect(Math.abs(ids.indexOf(changeRow) - CHANGE)).toBeLessThanOrEqual(3);
    expect(concept.changeAt).toBe(stream.at[PER_BATCH]!.toISOString());

    const since = { at: new Date(concept.changeAt!), rowId: changeRow };
    const expected = ids.length - ids.indexOf(changeRow);
    expect(await countLabelledSince(db.sql, 1, since)).toBe(expected);
    const window = await readLabelledWindow(db.sql, 1, 10_000, since);
    expect(window.labels).toHaveLength(expected);
    expect(window.firstRowId).toBe(changeRow);
    expect(window.lastRowId).toBe(ids.at(-1));

    // The time alone would reach back to the first row of the batch: 50 rows of the old regime.
    const byTime = { at: since.at, rowId: null };
    expect(await countLabelledSince(db.sql, 1, byTime)).toBe(ids.length - PER_BATCH);
    expect((await readLabelledWindow(db.sql, 1, 10_000, byTime)).firstRowId).toBe(ids[PER_BATCH]);
  });
});
