// M8 (security audit): predictions commit asynchronously (PREDICTION_SYNC_COMMIT=false), so a crash
// of Postgres itself can lose the newest ones together with the WAL that advanced the id sequence;
// the sequence then comes back behind ids already returned to clients, and those ids would be
// handed out again (late feedback would label someone else's prediction). This crashes a real,
// private Postgres (immediate shutdown: no WAL flushed) right after an asynchronous commit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, type DbHandle, runMigrations } from '@automl-stream/db';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '@automl-stream/db/embedded.ts';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fencePredictionIds,
  insertPredictions,
  PREDICTION_ID_FENCE_GAP,
} from '../src/storage/data-storage.ts';

const predictions = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ features: [i], label: 0, probabilities: [1, 0], modelVersion: 1 }));

describe('prediction ids across a crash of Postgres (M8)', () => {
  let dir: string;
  let pg: EmbeddedPostgresHandle | null = null;
  const handles: DbHandle[] = [];
  const start = async () => {
    pg = await startEmbeddedPostgres({
      dataDir: dir,
      database: 'automl',
      // WAL of asynchronous commits waits up to 10 s for the WAL writer: a crash now loses it.
      settings: { wal_writer_delay: '10000', checkpoint_timeout: '3600', autovacuum: 'off' },
    });
    const sync = createDb(pg.url, { max: 2 });
    const async = createDb(pg.url, { max: 1, synchronousCommit: 'off' });
    handles.push(sync, async);
    return { sync, async };
  };
  const closeAll = async () => {
    while (handles.length)
      await handles
        .pop()!
        .close(1)
        .catch(() => {});
  };
  afterAll(async () => {
    await closeAll();
    await pg?.stop().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never hands out again an id returned before the crash', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'automl-m8-'));
    let { sync, async } = await start();
    await runMigrations(pg!.url);
    const fence = () => fencePredictionIds(sync.sql);
    // Durable history first, then a checkpoint so the crash recovers from a known point.
    const durable = await insertPredictions(sync.sql, 1, predictions(10), fence);
    await sync.sql`checkpoint`;
    // Acknowledged to the client, but committed asynchronously: its WAL is not flushed yet.
    const returned = await insertPredictions(async.sql, 1, predictions(1000), fence);
    const newest = returned[returned.length - 1]!;
    expect(newest).toBeGreaterThan(durable[durable.length - 1]!);

    // Postgres crashes (immediate shutdown: no checkpoint, no WAL flush) and comes back.
    process.kill(pg!.pid!, 'SIGQUIT');
    await closeAll();
    await pg!.stop().catch(() => {});
    ({ sync, async } = await start());
    const [after] = await sync.sql<{ max: string | null }[]>`select max(id)::text as max from predictions`;
    // The crash lost the unflushed predictions: ids up to `newest` were returned, yet are not stored.
    expect(Number(after?.max ?? 0)).toBeLessThan(newest);

    const next = await insertPredictions(async.sql, 1, predictions(1), () => fencePredictionIds(sync.sql));
    expect(next[0]).toBeGreaterThan(newest);
    expect(next[0]).toBeGreaterThan(PREDICTION_ID_FENCE_GAP);
  });
});
