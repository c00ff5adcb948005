// Core findings of the security audit (issue #19) against real server processes on real ports:
// M2 (a SIGKILLed worker's last attempt no longer blocks retraining for good) and M3 (a server of
// the previous release stays ready after a newer release migrated the database).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform } from '../../src/testing.ts';
import {
  createTestDatabase,
  INGEST,
  labelledBatch,
  postGraphQL,
  spawnServer,
  type TestDatabase,
  waitFor,
} from './harness.ts';

interface Job {
  id: string;
  status: string;
  outcome: string | null;
  error: string | null;
}

const RETRAIN =
  'mutation R($reason: String) { retrain(reason: $reason) { alreadyPending job { id status } } }';

describe('a retrain whose worker is SIGKILLed on its last attempt (M2)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('is failed once its attempt expires, and the next retrain can be queued', async () => {
    // The audit's reproduction: no retries, a 5 s expiry, kill -9 during training.
    const env = {
      RETRAIN_RETRY_LIMIT: '0',
      RETRAIN_EXPIRE_SECONDS: '5',
      QUEUE_MAINTENANCE_SECONDS: '1',
      MIN_TRAIN_ROWS: '1000',
      N_ESTIMATORS: '3000',
      MAX_DEPTH: '20',
    };
    const doomed = await spawnServer({ databaseUrl: db.url, env });
    const admin = doomed.adminKey;
    await postGraphQL(
      doomed.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(3000, 8), batchId: 'm2' } },
      admin,
    );
    // The rows start the first model's (bootstrap) retrain; asking for one returns that one.
    const started = await postGraphQL<{ retrain: { job: { id: string } } }>(
      doomed.graphqlUrl,
      RETRAIN,
      { reason: 'killed mid-way' },
      admin,
    );
    const jobId = started.data!.retrain.job.id;
    await waitFor(async () => {
      const [row] = await db.sql<{ status: string; trees_done: number }[]>`
        select status, trees_done from training_jobs where id = ${jobId}`;
      return row?.status === 'running' && row.trees_done > 0 ? row : undefined;
    }, 'training to be under way');
    doomed.child.kill('SIGKILL');
    await doomed.exited;

    // Another server (with its workers) takes over: the attempt expires, nothing will run it again.
    const survivor = await startTestPlatform(inject('postgresUrl'), env, { database: db });
    try {
      const failed = await waitFor(
        async () => {
          const r = await postGraphQL<{ trainingJob: Job | null }>(
            survivor.graphqlUrl,
            'query J($id: ID!) { trainingJob(id: $id) { id status outcome error } }',
            { id: jobId },
            survivor.adminKey,
          );
          const job = r.data?.trainingJob;
          return job?.status === 'FAILED' ? job : undefined;
        },
        'the killed retrain to be failed',
        45_000,
      );
      expect(failed.outcome).toBe('error');
      expect(failed.error).toMatch(/^the retrain ended without recording a result on its last attempt/);
      const next = await postGraphQL<{ retrain: { alreadyPending: boolean; job: { id: string } } }>(
        survivor.graphqlUrl,
        RETRAIN,
        { reason: 'after the kill' },
        survivor.adminKey,
      );
      expect(next.data?.retrain.alreadyPending).toBe(false);
      expect(Number(next.data?.retrain.job.id)).toBeGreaterThan(Number(jobId));
    } finally {
      await survivor.stop();
    }
  });
});

describe('readiness when a newer release migrated the database (M3)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('keeps /ready at 200 (a rollout or a rollback keeps its capacity)', async () => {
    const server = await spawnServer({ databaseUrl: db.url });
    try {
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      await db.sql`
        insert into drizzle.__drizzle_migrations (hash, created_at)
        values ('from-a-newer-release', (extract(epoch from now()) * 1000)::bigint)`;
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(200);
    } finally {
      await server.stop();
    }
    // A server of this release starting against the newer schema comes up and is ready too.
    const restarted = await spawnServer({ databaseUrl: db.url });
    try {
      expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
    } finally {
      await restarted.stop();
    }
  });
});
