// Wake-ups through Postgres notifications, delivered when the transaction that caused them
// commits: a queued job wakes its queue's workers in every process (instead of waiting for their
// next poll), and a growth run ended as superseded is stopped by the process that runs it
// (instead of at its next progress write).
import { loadConfig } from '@automl-stream/config';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { driftCheckQueue, inTransaction, QUEUE_JOBS_CHANNEL, Queues } from '../src/queues.ts';
import {
  insertTrainingJob,
  supersedeGrowthJob,
  TRAINING_STOP_CHANNEL,
} from '../src/storage/training-storage.ts';

/** Notifications on `channel`, in arrival order, until `stop` is called. */
async function heard(db: TestDatabase, channel: string) {
  const payloads: string[] = [];
  const sub = await db.sql.listen(channel, (payload) => payloads.push(payload));
  return { payloads, stop: () => sub.unlisten() };
}

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('wake-ups on commit', () => {
  let db: TestDatabase;
  let queues: Queues;

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    queues = new Queues(db.url, loadConfig({}), createLogger('silent'));
    await queues.start();
  });
  afterAll(async () => {
    await queues?.stop({ graceful: false, timeoutMs: 2000 });
    await db?.drop();
  });

  it('announces a job queued in a transaction when it commits, by its queue name', async () => {
    const channel = await heard(db, QUEUE_JOBS_CHANNEL);
    try {
      await db.sql.begin(async (tx) => {
        const id = await queues.send(
          driftCheckQueue,
          { trigger: 'manual', pipelineId: 1 },
          inTransaction(tx),
        );
        expect(id).not.toBeNull();
        await pause(150);
        // Not before the commit: a worker woken now would find nothing to fetch.
        expect(channel.payloads).toEqual([]);
      });
      await until(() => channel.payloads.length > 0, 'the announcement');
      expect(channel.payloads).toEqual(['drift-check']);
    } finally {
      await channel.stop();
    }
  });

  it('wakes a worker of that queue at once: it takes the job without waiting for its poll', async () => {
    const taken: number[] = [];
    // Polling every 60 s: only the announcement can have it take the job within the wait below.
    const listener = new Queues(db.url, loadConfig({}), createLogger('silent'), 60);
    await listener.start();
    try {
      await listener.work(driftCheckQueue, async ({ pipelineId }) => {
        taken.push(pipelineId);
      });
      await listener.listen(db.sql);
      await pause(300); // the worker's first fetch, at its start, has found nothing
      await queues.send(driftCheckQueue, { trigger: 'rows', pipelineId: 7 });
      await until(() => taken.includes(7), 'the job to be taken');
    } finally {
      await listener.stop({ graceful: false, timeoutMs: 2000 });
    }
  });

  it('announces a growth run ended as superseded, as pipeline:job, when the check commits', async () => {
    const channel = await heard(db, TRAINING_STOP_CHANNEL);
    try {
      const growth = await insertTrainingJob(db.sql, 1, {
        reason: 'growth: 900 labelled rows available, v1 used 300',
        driftCheckId: null,
        changeAt: null,
      });
      const other = await insertTrainingJob(db.sql, 1, {
        reason: 'a retrain asked for by hand',
        driftCheckId: null,
        changeAt: null,
      });
      await db.sql.begin(async (tx) => {
        const ended = await supersedeGrowthJob(tx, 1, null, 'superseded: a test');
        expect(ended?.id).toBe(growth.id);
        await pause(150);
        expect(channel.payloads).toEqual([]);
      });
      await until(() => channel.payloads.length > 0, 'the announcement');
      expect(channel.payloads).toEqual([`1:${growth.id}`]);
      // Nothing is announced when no growth run is open (the other job is not a growth run).
      await supersedeGrowthJob(db.sql, 1, null, 'superseded: again');
      await pause(200);
      expect(channel.payloads).toEqual([`1:${growth.id}`]);
      expect(other.id).toBeGreaterThan(growth.id);
    } finally {
      await channel.stop();
    }
  });
});
