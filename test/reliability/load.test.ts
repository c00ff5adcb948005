// Load: 20 concurrent clients (10 over GraphQL, 10 over REST, each with its own writer key)
// ingest labelled batches with unique batch ids and predict, against one server process, for
// RELIABILITY_SECONDS (15 s here by default; the figure is 60: RELIABILITY_SECONDS=60).
// Zero errors, and the database holds exactly what was acknowledged: the same batches with the
// same rows, the same prediction ids, nothing more.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKey,
  createTestDatabase,
  type ServerProcess,
  spawnServer,
  type TestDatabase,
  trainFirstModel,
} from '../../apps/server/test/hardening/harness.ts';
import { newLog, reliabilitySeconds, runClient, storedBatches } from './traffic.ts';

const CLIENTS = 20;
const SECONDS = reliabilitySeconds(15);

describe(`load: ${CLIENTS} clients for ${SECONDS} s`, () => {
  let db: TestDatabase;
  let server: ServerProcess;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    server = await spawnServer({
      databaseUrl: db.url,
      env: {
        WORKERS: 'true',
        MIN_TRAIN_ROWS: '200',
        // Every key may send as fast as it can: this test measures the platform, not the limiter.
        RATE_LIMIT_PER_MINUTE: '10000000',
      },
    });
    await trainFirstModel(server.graphqlUrl, server.adminKey);
  });
  afterAll(async () => {
    if (server) expect((await server.stop()).code).toBe(0);
    await db?.drop();
  });

  it(
    'serves every request without error and stores exactly what it acknowledged',
    { timeout: (SECONDS + 120) * 1000 },
    async () => {
      const keys = await Promise.all(Array.from({ length: CLIENTS }, () => createKey(db.sql, 'writer')));
      const log = newLog();
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      await Promise.all(
        keys.map((key, i) =>
          runClient({
            url: server.url,
            key,
            transport: i % 2 === 0 ? 'graphql' : 'rest',
            name: `load${i}`,
            rowsPerBatch: 20,
            predictRows: 5,
            log,
            stop: () => Date.now() >= deadline,
          }),
        ),
      );
      const elapsed = (Date.now() - started) / 1000;
      expect(log.errors).toEqual([]);
      expect(server.running).toBe(true);

      // The database against the acknowledgements, batch by batch and prediction by prediction.
      const stored = await storedBatches(db.sql);
      stored.delete('seed');
      const acked = log.batches.filter((b) => b.outcome === 'acked');
      expect(acked).toHaveLength(log.batches.length);
      expect([...stored.keys()].sort()).toEqual(acked.map((b) => b.batchId).sort());
      for (const b of acked) {
        const s = stored.get(b.batchId)!;
        expect(s.rowCount, b.batchId).toBe(b.rows);
        expect(s.rowsPresent, b.batchId).toBe(b.rows);
      }
      const { rows } = (
        await db.sql<{ rows: number }[]>`
      select count(*)::int as rows from rows r join batches b on b.id = r.batch_pk where b.batch_id <> 'seed'`
      )[0]!;
      const rowsAcked = acked.reduce((n, b) => n + b.rows, 0);
      expect(rows).toBe(rowsAcked);
      const predictionIds = (await db.sql<{ id: string }[]>`select id::text from predictions`).map(
        (r) => r.id,
      );
      expect(predictionIds.sort()).toEqual([...log.predictionIds].sort());

      console.log(
        `[reliability] load: ${CLIENTS} clients, ${elapsed.toFixed(1)} s, ${log.requests} requests ` +
          `(${(log.requests / elapsed).toFixed(0)}/s), ${log.errors.length} errors; checked ${acked.length} batches, ` +
          `${rows} rows and ${predictionIds.length} predictions against the acknowledgements`,
      );
    },
  );
});
