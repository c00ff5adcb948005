import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '@automl-stream/config';
import { createLogger } from '@automl-stream/core';
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { covariateShift, seaConcepts } from '@automl-stream/streams';
import postgres from 'postgres';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startWorker } from '../src/worker.ts';
import { until } from './until.ts';

const workerMain = path.join(import.meta.dirname, '..', 'src', 'main.ts');
const PREDICT = 'mutation P($input: PredictInput!) { predict(input: $input) { modelVersion } }';

describe('closed loop under faults and over long stationary streams', () => {
  let p: TestPlatform | undefined;
  afterEach(async () => {
    await p?.stop();
    p = undefined;
  });

  it('raises no drift on a long stationary stream, and finds a covariate shift', async () => {
    const rows = Number(process.env.LOOP_STATIONARY_ROWS ?? 20_000);
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      WINDOW_SIZE: '1000',
      MIN_TRAIN_ROWS: '1000',
      N_ESTIMATORS: '30',
      // About drift verdicts: no growth retrain pending when the shift comes (growth.test.ts).
      GROWTH_RETRAIN_ROWS: '0',
    });
    const platform = p.server.platform;
    const stream = seaConcepts({ seed: 3, concepts: [0], noise: 0.1 });
    let start = 0;
    const ingest = async (features: number[][], labels: number[]) => {
      for (let i = 0; i < labels.length; i += 1000) {
        await platform.data.ingest({
          features: features.slice(i, i + 1000),
          labels: labels.slice(i, i + 1000),
        });
      }
    };
    const first = stream.take(2000);
    await ingest(first.features, first.labels);
    const { job } = await platform.drift.requestRetrain('bootstrap for the stationary test');
    expect((await platform.retrain.run(job.id)).promoted).toBe(true);
    await platform.holder.refresh();
    start = 2000;
    let checks = 0;
    let drifts = 0;
    const all = stream.take(rows, start);
    for (let i = 0; i < rows; i += 1000) {
      await ingest(all.features.slice(i, i + 1000), all.labels.slice(i, i + 1000));
      const outcome = await platform.drift.check('manual');
      checks++;
      if (outcome.check?.drifted) drifts++;
    }
    console.info(
      `stationary: ${rows} rows, ${checks} checks, ${drifts} drifts (${((drifts / rows) * 100_000).toFixed(1)} per 100,000 rows)`,
    );
    expect(checks).toBe(rows / 1000);
    expect(drifts).toBe(0);

    // Same platform, now the feature means move (labelling rule unchanged): data drift.
    const shifted = covariateShift({ seed: 5, nFeatures: 3, shifts: [] }).take(1000);
    await ingest(
      shifted.features.map((f) => [f[0]! + 8, f[1]! + 8, f[2]!]),
      shifted.labels,
    );
    const outcome = await platform.drift.check('manual');
    expect(outcome.check?.dataDrift).toBe(true);
    expect(outcome.check?.features.filter((f) => f.drifted).length).toBeGreaterThanOrEqual(2);
    expect(outcome.check?.action).toBe('retrain_queued');
  });

  it('retries a retrain whose worker was killed with SIGKILL, and registers exactly one version', async () => {
    const env = {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '1000',
      N_ESTIMATORS: '1000',
      MAX_DEPTH: '12',
      TRAIN_THREADS: '1',
      RETRAIN_EXPIRE_SECONDS: '5',
      QUEUE_MAINTENANCE_SECONDS: '1',
    };
    p = await startTestPlatform(inject('postgresUrl'), env);
    const platform = p.server.platform;
    const data = covariateShift({ seed: 9, nFeatures: 5, shifts: [] }).take(16_000);
    for (let i = 0; i < 16_000; i += 4000) {
      await platform.data.ingest({
        features: data.features.slice(i, i + 4000),
        labels: data.labels.slice(i, i + 4000),
      });
    }
    const childEnv = {
      ...process.env,
      ...env,
      WORKERS: 'true',
      LOG_LEVEL: 'silent',
      // No probe: a fixed port (4100 by default) could be taken by a concurrent run (probe.test.ts covers it).
      WORKER_PORT: '0',
      DATABASE_URL: p.database.url,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', workerMain], {
      env: childEnv,
      stdio: 'ignore',
    });
    const { job } = await platform.drift.requestRetrain('retrain that will lose its worker');
    await until('the child worker to start training', async () => {
      const [row] = await p!.database.sql<
        { status: string; trees_done: number }[]
      >`select status, trees_done from training_jobs where id = ${job.id}`;
      return row?.status === 'running' && row.trees_done > 0;
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));

    // A second worker (in-process) takes the job once pg-boss expires the dead worker's claim.
    const worker = await startWorker({
      config: loadConfig({
        AUTOML_BUDGET_SECONDS: '0',
        ...env,
        WORKERS: 'true',
        LOG_LEVEL: 'silent',
        DATABASE_URL: p.database.url,
      }),
      databaseUrl: p.database.url,
      logger: createLogger('silent'),
    });
    try {
      const finished = await until(
        'the retried job to finish',
        async () => {
          const [row] = await p!.database.sql<
            { status: string; attempts: number; result_version: number | null }[]
          >`
            select status, attempts, result_version from training_jobs where id = ${job.id}`;
          return row?.status === 'succeeded' ? row : null;
        },
        90_000,
      );
      expect(finished.attempts).toBeGreaterThanOrEqual(2);
      expect(finished.result_version).toBe(1);
      // Let any further delivery of the same job run: it must not add a version.
      await new Promise((r) => setTimeout(r, 3000));
      const versions = await p.database.sql<{ version: number; training_job_id: string }[]>`
        select version, training_job_id from model_versions`;
      expect(versions.map((v) => [v.version, Number(v.training_job_id)])).toEqual([[1, job.id]]);
    } finally {
      await worker.stop(5000);
    }
  });

  it('serves continuous predict traffic through promotions and rollbacks with zero failures', async () => {
    // Rate limiting off: eight tight loops would exceed a key's per-minute budget by design.
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '500',
      N_ESTIMATORS: '50',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    const platform = p.server.platform;
    const data = seaConcepts({ seed: 4, concepts: [0], noise: 0.05 }).take(1500);
    await platform.data.ingest({ features: data.features, labels: data.labels });
    for (let v = 1; v <= 2; v++) {
      const { job } = await platform.drift.requestRetrain(`version ${v}`);
      await platform.retrain.run(job.id);
    }
    await platform.holder.refresh();
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    const versions = new Set<number>();
    const client = async () => {
      while (!stop) {
        try {
          const r = await gql<{ predict: { modelVersion: number } }>(
            p!.graphqlUrl,
            PREDICT,
            { input: { features: [[1, 2, 3]] } },
            p!.adminKey,
          );
          if (r.errors || r.status !== 200) failures.push(r.errors ?? r.status);
          else {
            ok++;
            versions.add(r.data!.predict.modelVersion);
          }
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let i = 0; i < 10; i++) {
      const mutation =
        i % 2 === 0
          ? 'mutation { rollbackModel { version } }'
          : 'mutation { promoteModel(version: 2) { version } }';
      const r = await gql(p.graphqlUrl, mutation, {}, p.adminKey);
      expect(r.errors).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    stop = true;
    await Promise.all(clients);
    console.info(
      `promotion under load: ${ok} predictions, ${failures.length} failures, versions served ${[...versions].sort()}`,
    );
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    expect([...versions].sort()).toEqual([1, 2]);
  });

  it('recovers on its own when every database connection is dropped', async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'true',
      MIN_TRAIN_ROWS: '500',
      N_ESTIMATORS: '20',
    });
    const platform = p.server.platform;
    const data = seaConcepts({ seed: 8, concepts: [0], noise: 0.05 }).take(1000);
    await platform.data.ingest({ features: data.features, labels: data.labels, batchId: 'before-drop' });
    await until('bootstrap version 1', async () => platform.holder.current?.version === 1);

    const admin = postgres(inject('postgresUrl'), { max: 1, onnotice: () => {} });
    const killed = await admin<{ n: number }[]>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = ${p.database.name} and pid <> pg_backend_pid()`;
    await admin.end();
    expect(killed[0]!.n).toBeGreaterThan(2);

    // Requests succeed again without any restart (a request in flight at the drop may fail).
    await until(
      'ingest to succeed again',
      async () => {
        const r = await gql(
          p!.graphqlUrl,
          'mutation I($input: IngestInput!) { ingest(input: $input) { rowsStored } }',
          {
            input: {
              features: data.features.slice(0, 10),
              labels: data.labels.slice(0, 10),
              batchId: 'after-drop',
            },
          },
          p!.adminKey,
        );
        return !r.errors;
      },
      30_000,
    );
    // LISTEN/NOTIFY and the queue workers recovered too: a retrain runs and its end is heard.
    const heard = new Promise<void>((resolve) => {
      const off = platform.bus.subscribe(['training.finished'], (e) => {
        if (e.payload.version === 2) {
          off();
          resolve();
        }
      });
    });
    await until('a retrain to be accepted', async () => {
      const r = await gql(
        p!.graphqlUrl,
        'mutation { retrain(reason: "after the drop") { job { id } } }',
        {},
        p!.adminKey,
      );
      return !r.errors;
    });
    await Promise.race([
      heard,
      new Promise((_, reject) =>
        setTimeout(async () => {
          const jobs = await p!.database.sql`select id, status, outcome, error from training_jobs`;
          const events = await p!.database.sql`select id, type from events order by id desc limit 5`;
          reject(new Error(`no promotion event after the drop: ${JSON.stringify({ jobs, events })}`));
        }, 30_000),
      ),
    ]);
    const promote = await gql(
      p.graphqlUrl,
      'mutation { promoteModel(version: 2) { version } }',
      {},
      p.adminKey,
    );
    expect(promote.errors).toBeUndefined();
    await until('the server to serve version 2', async () => platform.holder.current?.version === 2);
    const [rowCount] = await p.database.sql<{ n: number }[]>`select count(*)::int as n from rows`;
    expect(rowCount!.n).toBe(1010);
  });
});
