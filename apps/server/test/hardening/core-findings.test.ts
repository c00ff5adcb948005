// Core findings of the security audit (issue #19) against real server processes on real ports:
// M2 (a SIGKILLed worker's last attempt no longer blocks retraining for good), M3 (a server of
// the previous release stays ready after a newer release migrated the database) and M14 (servers
// and workers run as a role without DDL rights, after a separate migrate step).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { maintainPartitions, utcDay } from '@automl-stream/core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform } from '../../src/testing.ts';
import {
  createTestDatabase,
  INGEST,
  labelledBatch,
  postGraphQL,
  repoRoot,
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
      expect(failed.outcome).toBe('ERROR');
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

describe('servers and workers without DDL rights (M14)', () => {
  const suffix = randomBytes(4).toString('hex');
  const prefix = process.env.AUTOML_TEST_DB_PREFIX ?? 'automl_test';
  const owner = `${prefix}_owner_${suffix}`;
  const app = `${prefix}_app_${suffix}`;
  const database = `${prefix}_roles_${suffix}`;
  // The embedded Postgres authenticates with SCRAM (audit L5): the roles get a password, which a
  // trust-auth server (CI's) ignores.
  const password = randomBytes(12).toString('hex');
  let admin: ReturnType<typeof postgres>;
  const urlFor = (role: string) => {
    const url = new URL(inject('postgresUrl'));
    url.username = role;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };

  beforeAll(async () => {
    admin = postgres(inject('postgresUrl'), { max: 1, onnotice: () => {} });
    for (const role of [owner, app]) {
      await admin.unsafe(
        `create role "${role}" login password '${password}' nosuperuser nocreatedb nocreaterole`,
      );
    }
    await admin.unsafe(`create database "${database}" owner "${owner}"`);
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists "${database}" with (force)`);
    await admin.unsafe(`drop role if exists "${app}"`);
    await admin.unsafe(`drop role if exists "${owner}"`);
    await admin.end({ timeout: 2 });
  });

  it('runs the whole loop as a role that can only read and write data, after a separate migrate step', async () => {
    // The one-shot step, as the owner: migrations, pg-boss, queues, and the app role's grants.
    const migrate = spawnSync(process.execPath, ['--import', 'tsx', 'deploy/migrate.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: urlFor(owner),
        DATABASE_APP_ROLE: app,
        LOG_LEVEL: 'info',
      },
      timeout: 120_000,
    });
    expect(migrate.status, migrate.stderr + migrate.stdout).toBe(0);
    expect(migrate.stdout).toContain('database prepared');

    const server = await spawnServer({ databaseUrl: urlFor(app), env: { MIN_TRAIN_ROWS: '100' } });
    const appSql = postgres(urlFor(app), { max: 1, onnotice: () => {} });
    try {
      const [role] = await appSql<{ rolsuper: boolean; rolcreaterole: boolean }[]>`
        select rolsuper, rolcreaterole from pg_roles where rolname = current_user`;
      expect(role).toEqual({ rolsuper: false, rolcreaterole: false });
      await expect(appSql`create table intruder (x int)`).rejects.toThrow(/permission denied/);
      // Retention runs as this role too, through the owner's two partition functions (drizzle/0005).
      const inTenDays = new Date(Date.now() + 10 * 86_400_000);
      const maintained = await maintainPartitions(appSql, { retainDays: 30, now: inTenDays });
      expect(maintained.created).toContain(`rows_p${utcDay(inTenDays).replaceAll('-', '')}`);
      expect(maintained.dropped).toEqual([]);

      // Ingest, the first retrain by the in-process worker (pg-boss, events), predict, feedback.
      const key = server.adminKey;
      await postGraphQL(
        server.graphqlUrl,
        INGEST,
        { input: { ...labelledBatch(300, 51), batchId: 'm14' } },
        key,
      );
      await waitFor(
        async () =>
          (
            await postGraphQL<{ activeModel: { version: number } | null }>(
              server.graphqlUrl,
              '{ activeModel { version } }',
              {},
              key,
            )
          ).data?.activeModel?.version,
        'the first model, trained as the app role',
        60_000,
      );
      const predicted = await postGraphQL<{ predict: { predictions: { id: string }[] } }>(
        server.graphqlUrl,
        'mutation P($input: PredictInput!) { predict(input: $input) { predictions { id } } }',
        { input: { features: [[0.2, 0.4, 0.6]] } },
        key,
      );
      expect(predicted.errors).toBeUndefined();
      const check = await postGraphQL<{ checkDrift: { event: { id: string } | null } }>(
        server.graphqlUrl,
        'mutation { checkDrift { event { id } } }',
        {},
        key,
      );
      expect(check.errors).toBeUndefined();
      expect(check.data?.checkDrift.event?.id).toBeDefined();
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    } finally {
      await appSql.end({ timeout: 2 });
      await server.stop();
    }
  });
});
