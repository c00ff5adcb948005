// The drift check's current window counts every served row once (issue #17, defect D6): a client
// that predicts the first rows of a batch and then ingests the batch labelled (the demo does) must
// not see those rows twice, or a stationary stream looks drifted.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  fencePredictionIds,
  insertBatch,
  insertPredictions,
  insertRows,
  readCurrentWindow,
} from '../src/storage/data-storage.ts';

const BATCHES = 40;
const PER_BATCH = 25;
const PREDICTED = 5;

describe('the current window of a drift check', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    for (let b = 0; b < BATCHES; b++) {
      const features = Array.from({ length: PER_BATCH }, (_, k) => [b * PER_BATCH + k, 0.5]);
      // The first rows of each batch are predicted first...
      await insertPredictions(
        db.sql,
        1,
        features.slice(0, PREDICTED).map((f) => ({
          features: f,
          label: 1,
          probabilities: [0.2, 0.8],
          modelVersion: 1,
        })),
        () => fencePredictionIds(db.sql),
      );
      // ...then the whole batch is ingested with its labels.
      await db.sql.begin(async (tx) => {
        const batchPk = (await insertBatch(tx, 1, {
          batchId: `window-${b}`,
          rowCount: PER_BATCH,
          labelledCount: PER_BATCH,
          source: 'test',
        }))!;
        await insertRows(
          tx,
          1,
          batchPk,
          features.map((f) => ({ features: f, label: 1, scoredLabel: 1, scoredVersion: 1 })),
        );
      });
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('holds each row once when the rows were predicted and then ingested', async () => {
    const window = await readCurrentWindow(db.sql, 1, 500, 1);
    const distinct = new Set(window.features.map((f) => f[0]!));
    expect(window.features).toHaveLength(500);
    expect(distinct.size).toBe(500);
    // The newest 500 ingested rows: 500..999.
    expect(Math.min(...distinct)).toBe(BATCHES * PER_BATCH - 500);
    expect(window.predicted).toHaveLength(500);
  });

  it('falls back to predictions for a client that only predicts', async () => {
    const window = await readCurrentWindow(db.sql, 2, 100, 1);
    expect(window.features).toHaveLength(0);
    await insertPredictions(
      db.sql,
      2,
      Array.from({ length: 150 }, (_, i) => ({
        features: [i, 0],
        label: 0,
        probabilities: [0.9, 0.1],
        modelVersion: 1,
      })),
      () => fencePredictionIds(db.sql),
    );
    const predicted = await readCurrentWindow(db.sql, 2, 100, 1);
    expect(predicted.features.map((f) => f[0])).toEqual(Array.from({ length: 100 }, (_, i) => 149 - i));
    expect(predicted.newestRowId).toBeNull();
  });
});
