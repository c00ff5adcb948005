import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, loadConfig } from '@automl-stream/config';
import { createLogger, driftCheckQueue } from '@automl-stream/core';
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { covariateShift } from '@automl-stream/streams';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningWorker, startWorker } from '../src/worker.ts';
import { until } from './until.ts';

/** The value of one sample in Prometheus text (`name{labels} value`); undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const rendered = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const prefix = rendered ? `${name}{${rendered}} ` : `${name} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

const jobs = (text: string, queue: string, outcome: string) =>
  sample(text, 'automl_worker_jobs_total', { queue, outcome });
const inProgress = (text: string, queue: string) => sample(text, 'automl_worker_jobs_in_progress', { queue });

/**
 * The standalone worker's HTTP probe on a real worker (its own database on the test Postgres,
 * migrated by startWorker, pg-boss workers running) on an ephemeral port.
 */
describe('worker probe', () => {
  let database: TestDatabase;
  let config: Config;
  let worker: RunningWorker;
  let url: string;
  const logger = createLogger('silent');

  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false, prefix: 'automl_probe' });
    config = loadConfig({
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      // The scheduled drift check is queued once at start, then not again during the test.
      CHECK_INTERVAL_SECONDS: '3600',
      QUEUE_MAINTENANCE_SECONDS: '5',
      // A retrain that runs for many seconds, to be caught in progress by the shutdown test.
      MIN_TRAIN_ROWS: '1000',
      N_ESTIMATORS: '5000',
      MAX_DEPTH: '12',
      TRAIN_THREADS: '1',
      DATABASE_URL: database.url,
    });
    worker = await startWorker({ config, databaseUrl: database.url, logger, probePort: 0 });
    url = worker.probe!.url;
  });

  afterAll(async () => {
    await worker?.stop(5_000);
    await database?.drop();
  });

  const metricsText = async () => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it('listens on the ephemeral port it reports, on HOST', async () => {
    expect(worker.probe).not.toBeNull();
    expect(worker.probe!.host).toBe('127.0.0.1');
    expect(worker.probe!.port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${worker.probe!.port}`);
  });

  it('answers /health 200 while the worker runs', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ status: 'ok' });
    // A query string does not change the route.
    expect((await fetch(`${url}/health?probe=kubelet`)).status).toBe(200);
  });

  it("answers /ready 200 with the server's checks: database up, no pending migration, queues running", async () => {
    const response = await fetch(`${url}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { queues: true, database: true, pendingMigrations: 0 },
    });
  });

  it('/ready is 503 with the reason when the database is behind on migrations', async () => {
    // The same check on this worker's own pool, as a database missing its newest migration.
    const [last] = await database.sql<{ id: number }[]>`
      select id from drizzle.__drizzle_migrations order by id desc limit 1`;
    const [removed] = await database.sql`
      delete from drizzle.__drizzle_migrations where id = ${last!.id} returning *`;
    try {
      const response = await fetch(`${url}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'not_ready',
        checks: { queues: true, database: true, pendingMigrations: 1 },
      });
    } finally {
      await database.sql`insert into drizzle.__drizzle_migrations ${database.sql(removed!)}`;
    }
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it('/metrics: process metrics, and drift-check jobs counted by outcome as the worker handles them', async () => {
    const first = await fetch(`${url}/metrics`);
    expect(first.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await first.text();
    expect(text).toContain('# TYPE automl_process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE automl_worker_jobs_total counter');
    expect(text).toContain('# TYPE automl_worker_jobs_in_progress gauge');
    expect(sample(text, 'automl_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Every series exists from the start.
    expect(jobs(text, 'retrain', 'completed')).toBe(0);
    expect(jobs(text, 'retrain', 'failed')).toBe(0);

    // The worker queues the periodic drift check when it starts, and handles it.
    const afterScheduled = await until('the scheduled drift check to be handled', async () => {
      const t = await metricsText();
      return jobs(t, 'drift-check', 'completed') === 1 && inProgress(t, 'drift-check') === 0 ? t : null;
    });
    expect(jobs(afterScheduled, 'drift-check', 'failed')).toBe(0);

    // One more, sent as any process would.
    const id = await worker.platform.queues.send(driftCheckQueue, { trigger: 'manual' });
    expect(id).toEqual(expect.any(String));
    const afterManual = await until('the manual drift check to be handled', async () => {
      const t = await metricsText();
      return jobs(t, 'drift-check', 'completed') === 2 && inProgress(t, 'drift-check') === 0 ? t : null;
    });
    expect(jobs(afterManual, 'drift-check', 'failed')).toBe(0);
    expect(jobs(afterManual, 'drift-check', 'dropped')).toBe(0);
    expect(sample(afterManual, 'automl_worker_job_duration_seconds_count', { queue: 'drift-check' })).toBe(2);
    expect(jobs(afterManual, 'retrain', 'completed')).toBe(0);
  });

  it('answers 404 naming its routes for any other path, and 405 for other methods', async () => {
    const missing = await fetch(`${url}/graphql`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: 'no route GET /graphql: the worker probe answers GET /health, /ready, /metrics',
        routes: ['/health', '/ready', '/metrics'],
      },
    });
    const post = await fetch(`${url}/ready`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: 'POST is not allowed on /ready: use GET' },
    });
  });

  it('refuses to start on a port already taken, before doing any work; null means no probe', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      await expect(
        startWorker({ config, databaseUrl: database.url, logger, probePort: taken }),
      ).rejects.toThrow(
        `the worker probe cannot listen on 127.0.0.1:${taken} (EADDRINUSE): set WORKER_PORT to a free port, or to 0 to turn the probe off`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    const quiet = await startWorker({ config, databaseUrl: database.url, logger, probePort: null });
    try {
      expect(quiet.probe).toBeNull();
      expect(quiet.platform.workersRunning).toBe(true);
    } finally {
      await quiet.stop(5_000);
    }
    expect(quiet.platform.workersRunning).toBe(false);
  });

  it('answers 503 once stopping began, releases the retrain (its queue job completes, a fresh one waits), then refuses connections', async () => {
    const data = covariateShift({ seed: 9, nFeatures: 5, shifts: [] }).take(16_000);
    for (let i = 0; i < data.labels.length; i += 4000) {
      await worker.platform.data.ingest({
        features: data.features.slice(i, i + 4000),
        labels: data.labels.slice(i, i + 4000),
      });
    }
    // The first model bootstraps by itself from these rows; asking again names the same job.
    const { job } = await worker.platform.drift.requestRetrain('a long retrain to shut down under');
    await until('the retrain to be training', async () => {
      const [row] = await database.sql<{ status: string; trees_done: number }[]>`
        select status, trees_done from training_jobs where id = ${job.id}`;
      return row?.status === 'running' && row.trees_done > 0;
    });
    expect(inProgress(await metricsText(), 'retrain')).toBe(1);

    // SIGTERM in main.ts calls stop(SHUTDOWN_TIMEOUT_MS): the retrain is aborted 2 s before it,
    // here 0.2 s after stopping began, long before 5,000 trees are grown even on a fast machine.
    const stopped = worker.stop(2_200);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'stopping' });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { queues: false } });
    await stopped;

    expect(worker.platform.workersRunning).toBe(false);
    const final = await worker.metrics.registry.metrics();
    // Released: its queue job completes and a fresh one waits, so the interrupted attempt does
    // not count against the job's retries (audit L9).
    expect(jobs(final, 'retrain', 'completed')).toBe(1);
    expect(jobs(final, 'retrain', 'failed')).toBe(0);
    expect(inProgress(final, 'retrain')).toBe(0);
    const [row] = await database.sql<{ status: string; error: string | null; attempts: number }[]>`
      select status, error, attempts from training_jobs where id = ${job.id}`;
    expect(row).toEqual({
      status: 'queued',
      error: 'shutting down: queued again (an interrupted attempt does not count)',
      attempts: 0,
    });

    await expect(fetch(`${url}/health`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
