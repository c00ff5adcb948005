// Crash: the server process is killed with SIGKILL in the middle of ingest traffic. After a
// restart every acknowledged batch is present and whole, no batch is partly present, nothing was
// stored that no client sent, and re-sending the batches that got no answer stores each exactly
// once (duplicate: true for those that had in fact committed before the kill).
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createKey,
  createTestDatabase,
  labelledBatch,
  newApiKey,
  spawnServer,
  type TestDatabase,
  waitFor,
} from '../../apps/server/test/hardening/harness.ts';
import { ingestOnce, newLog, runClient, storedBatches } from './traffic.ts';

const CLIENTS = 8;
/** Big enough that a batch's transaction takes a while, so the kill lands inside some of them. */
const ROWS_PER_BATCH = 2_000;

describe('crash: SIGKILL during ingest', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps every acknowledged batch whole, none partly, and stores each re-sent batch exactly once', async () => {
    const adminKey = newApiKey();
    const env = { WORKERS: 'false', RATE_LIMIT_PER_MINUTE: '10000000' };
    const first = await spawnServer({ databaseUrl: db.url, adminKey, env });
    const keys = await Promise.all(Array.from({ length: CLIENTS }, () => createKey(db.sql, 'writer')));
    const log = newLog();
    let killed = false;
    const clients = Promise.all(
      keys.map((key, i) =>
        runClient({
          url: first.url,
          key,
          transport: i % 2 === 0 ? 'graphql' : 'rest',
          name: `crash${i}`,
          rowsPerBatch: ROWS_PER_BATCH,
          predictRows: 0,
          log,
          stop: () => killed,
        }),
      ),
    );
    // Let traffic settle in, then kill while the clients have batches in flight. One more batch
    // is sent by a client that stops reading: the kill comes as soon as that batch is committed,
    // so at least one batch is certainly committed but never acknowledged.
    await waitFor(
      () => (log.batches.filter((b) => b.outcome === 'acked').length >= 16 ? true : undefined),
      '16 acknowledged batches',
      60_000,
    );
    const probe = { batchId: 'crash0-probe', ...labelledBatch(ROWS_PER_BATCH, 99) };
    const probeRequest = httpRequest(`${first.url}/ingest/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[0]}` },
    });
    probeRequest.on('error', () => {});
    probeRequest.end(
      JSON.stringify({ features: probe.features, labels: probe.labels, batch_id: probe.batchId }),
    );
    log.requests++;
    await waitFor(
      async () =>
        (await db.sql`select 1 from batches where batch_id = ${probe.batchId}`).length > 0 ? true : undefined,
      'the probe batch to commit',
      30_000,
    );
    first.child.kill('SIGKILL');
    killed = true;
    probeRequest.destroy();
    log.batches.push({
      ...probe,
      rows: ROWS_PER_BATCH,
      transport: 'rest',
      outcome: 'unknown',
      error: 'stopped reading',
      at: Date.now(),
    });
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await clients;

    const acked = log.batches.filter((b) => b.outcome === 'acked');
    const unanswered = log.batches.filter((b) => b.outcome !== 'acked');
    // Clients were cut off mid-request (at most one each; none had a reason to fail otherwise).
    expect(unanswered.length).toBeGreaterThan(0);
    expect(unanswered.length).toBeLessThanOrEqual(CLIENTS + 1);
    for (const b of unanswered) expect(b.outcome, `${b.batchId}: ${b.error}`).toBe('unknown');

    // Restart on the same database; nothing is repaired by hand in between.
    const second = await spawnServer({ databaseUrl: db.url, adminKey, env });
    try {
      const afterCrash = await storedBatches(db.sql);
      for (const b of acked) {
        expect(afterCrash.get(b.batchId), `acknowledged ${b.batchId}`).toEqual({
          batchId: b.batchId,
          rowCount: ROWS_PER_BATCH,
          rowsPresent: ROWS_PER_BATCH,
        });
      }
      const sent = new Set(log.batches.map((b) => b.batchId));
      for (const s of afterCrash.values()) {
        expect(sent.has(s.batchId), `${s.batchId} was sent by a client`).toBe(true);
        expect(s.rowsPresent, `${s.batchId} is whole`).toBe(s.rowCount);
      }
      const committedUnanswered = unanswered.filter((b) => afterCrash.has(b.batchId));
      expect(committedUnanswered.map((b) => b.batchId)).toContain(probe.batchId);

      // Each client re-sends the batch it got no answer for, as a client with an idempotency key would.
      const resent = await Promise.all(
        unanswered.map(async (b) => ({
          batch: b,
          answer: await ingestOnce(
            second.url,
            keys[Number(b.batchId.replace(/^crash(\d+)-.*/, '$1'))]!,
            b.transport,
            {
              batchId: b.batchId,
              features: b.features,
              labels: b.labels,
            },
          ),
        })),
      );
      for (const { batch, answer } of resent) {
        expect(answer.outcome, `${batch.batchId}: ${answer.error}`).toBe('acked');
        const wasCommitted = afterCrash.has(batch.batchId);
        expect(answer.duplicate, batch.batchId).toBe(wasCommitted);
        expect(answer.rowsStored).toBe(wasCommitted ? 0 : ROWS_PER_BATCH);
      }
      const final = await storedBatches(db.sql);
      expect(final.size).toBe(log.batches.length);
      for (const b of log.batches) {
        expect(final.get(b.batchId), b.batchId).toEqual({
          batchId: b.batchId,
          rowCount: ROWS_PER_BATCH,
          rowsPresent: ROWS_PER_BATCH,
        });
      }
      const { rows } = (await db.sql<{ rows: number }[]>`select count(*)::int as rows from rows`)[0]!;
      expect(rows).toBe(log.batches.length * ROWS_PER_BATCH);

      console.log(
        `[reliability] crash: ${log.requests} ingest requests before SIGKILL, ${acked.length} acknowledged, ` +
          `${unanswered.length} cut off (${committedUnanswered.length} of them had committed: re-sent as duplicate, ` +
          `${unanswered.length - committedUnanswered.length} stored on re-send); checked ${final.size} batches, ${rows} rows`,
      );
    } finally {
      expect((await second.stop()).code).toBe(0);
    }
  });
});
