import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * One definition per queue: name, payload schema, pg-boss options. Payloads are validated on send
 * and again in the worker; handlers are idempotent because pg-boss delivers at least once.
 */
export interface QueueDefinition<P extends z.ZodType> {
  name: string;
  payload: P;
  options: (config: Config) => Omit<PgBoss.Queue, 'name'>;
}

const defineQueue = <P extends z.ZodType>(definition: QueueDefinition<P>) => definition;

export const RETRAIN_DEAD_LETTER = 'retrain-dead';

/**
 * Drift checks: "stately" keeps at most one waiting and one running, so a burst of triggers
 * (timer, every WINDOW_SIZE rows, manual) collapses into one check.
 */
export const driftCheckQueue = defineQueue({
  name: 'drift-check',
  // Jobs queued before pipelines existed carry no pipeline: the default one (id 1).
  payload: z.object({
    trigger: z.enum(['schedule', 'rows', 'manual']),
    pipelineId: z.number().int().positive().default(1),
  }),
  options: () => ({ policy: 'stately', retryLimit: 2, retryDelay: 5, expireInSeconds: 300 }),
});

/** Retraining: at most one running; retried with backoff; dead-lettered when retries run out. */
export const retrainQueue = defineQueue({
  name: 'retrain',
  payload: z.object({
    trainingJobId: z.number().int().positive(),
    pipelineId: z.number().int().positive().default(1),
  }),
  options: (config) => ({
    policy: 'stately',
    retryLimit: config.retrain.retryLimit,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: config.retrain.expireSeconds,
    deadLetter: RETRAIN_DEAD_LETTER,
  }),
});

/**
 * Retrains whose last attempt failed, expired or died (pg-boss dead-letters them here): the
 * platform fails their training job, which nothing else would close.
 */
export const retrainDeadLetterQueue = defineQueue({
  name: RETRAIN_DEAD_LETTER,
  payload: retrainQueue.payload,
  options: () => ({ policy: 'standard', retryLimit: 5, retryDelay: 5, expireInSeconds: 60 }),
});

/**
 * Partition maintenance of rows and predictions (retention.ts): days ahead created, days past
 * RETAIN_DAYS dropped. Sent at most once an hour platform-wide; one runs at a time.
 */
export const partitionMaintenanceQueue = defineQueue({
  name: 'partition-maintenance',
  payload: z.object({}),
  options: () => ({ policy: 'stately', retryLimit: 3, retryDelay: 60, expireInSeconds: 600 }),
});

/**
 * The channel a queued job is announced on (its queue's name as payload), when its transaction
 * commits: a worker of that queue in any process fetches at once instead of at its next poll.
 */
export const QUEUE_JOBS_CHANNEL = 'automl_stream_queue_jobs';

/** How often an idle worker looks for jobs nobody announced (pg-boss's lowest interval). */
const POLLING_SECONDS = 0.5;

/** pg-boss job states in which a job will still run (or is running). */
const ALIVE_STATES = new Set(['created', 'retry', 'active']);

type Payload<Q> = Q extends QueueDefinition<infer P> ? z.infer<P> : never;

/** A pg-boss `db` adapter over a postgres.js transaction: sends become part of that transaction. */
export function inTransaction(tx: Queryable): PgBoss.ConnectionOptions {
  return {
    db: {
      // pg-boss speaks node-postgres: undefined means NULL and Dates go as text; postgres.js
      // refuses undefined, and sends a Date bound to a text parameter as-is, so convert both.
      executeSql: async (text: string, values: unknown[]) => ({
        rows: await tx.unsafe(text, values.map(toNodePostgresValue) as never[]),
      }),
    },
  };
}

function toNodePostgresValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * How a job handed to `Queues.work` ended: its handler resolved (`completed`), threw (`failed`:
 * pg-boss retries it or dead-letters it), or its payload was invalid (`dropped`: completed
 * without running the handler).
 */
export type JobOutcome = 'completed' | 'failed' | 'dropped';

/** Told about every job this process's queue workers take (for metrics). */
export interface JobObserver {
  started?(queue: string): void;
  finished?(queue: string, outcome: JobOutcome, seconds: number): void;
}

export class Queues {
  readonly boss: PgBoss;
  private started = false;
  private readonly observers = new Set<JobObserver>();
  /** This process's workers, by queue name (pg-boss worker ids). */
  private readonly workers = new Map<string, string[]>();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    url: string,
    private readonly config: Config,
    private readonly logger: Logger,
    /** How often idle workers poll (seconds, at least 0.5): announced jobs wake them sooner. */
    private readonly pollingSeconds = POLLING_SECONDS,
  ) {
    this.boss = new PgBoss({
      connectionString: url,
      schema: 'pgboss',
      max: 4,
      application_name: 'automl-stream:queues',
      maintenanceIntervalSeconds: config.retrain.queueMaintenanceSeconds,
      monitorStateIntervalSeconds: Math.max(1, config.retrain.queueMaintenanceSeconds),
    });
    // pg-boss emits errors for background failures (lost connection, maintenance); without a
    // listener Node would crash the process on the first one.
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'queue error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    // The dead-letter queue first: the retrain queue names it.
    const queues = [retrainDeadLetterQueue, driftCheckQueue, retrainQueue, partitionMaintenanceQueue];
    for (const q of queues as QueueDefinition<z.ZodType>[]) {
      await this.boss.createQueue(q.name, { name: q.name, ...q.options(this.config) }).catch(ignoreExists);
      await this.boss.updateQueue(q.name, { name: q.name, ...q.options(this.config) }).catch(() => {});
    }
    this.started = true;
  }

  /**
   * Wakes this process's workers when a job of their queue is announced on QUEUE_JOBS_CHANNEL
   * (every `send` announces its job when it commits, from any process): a drift check or a retrain
   * starts within milliseconds of being queued instead of up to POLLING_SECONDS later.
   */
  async listen(sql: Sql): Promise<void> {
    if (this.unlisten) return;
    const sub = await sql.listen(QUEUE_JOBS_CHANNEL, (name) => this.wake(name));
    this.unlisten = sub.unlisten;
  }

  private wake(name: string): void {
    for (const id of this.workers.get(name) ?? []) this.boss.notifyWorker(id);
  }

  async stop(options: { graceful?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    this.workers.clear();
    await this.boss.stop({
      graceful: options.graceful ?? true,
      timeout: options.timeoutMs ?? 30_000,
      wait: true,
    });
  }

  /**
   * Queues a job. A payload naming a pipeline gets that pipeline as its singleton key: the
   * `stately` queues then hold at most one waiting and one running job per pipeline, so one
   * pipeline's storm of requests cannot crowd out another's (jobs are taken oldest first).
   */
  async send<Q extends QueueDefinition<z.ZodType>>(
    queue: Q,
    payload: z.input<Q['payload']>,
    options: PgBoss.SendOptions = {},
  ): Promise<string | null> {
    const data = queue.payload.parse(payload) as { pipelineId?: number };
    const key = data.pipelineId === undefined ? {} : { singletonKey: pipelineKey(data.pipelineId) };
    const id = await this.boss.send(queue.name, data, { ...key, ...options });
    if (id) await this.announce(queue.name, options.db);
    return id;
  }

  /** Announces a queued job on QUEUE_JOBS_CHANNEL; in the sender's transaction, when it commits. */
  private async announce(name: string, db: PgBoss.Db | undefined): Promise<void> {
    await (db ?? this.boss.getDb()).executeSql('select pg_notify($1, $2)', [QUEUE_JOBS_CHANNEL, name]);
  }

  /**
   * Whether a queue job will still run: 'alive' (waiting, retrying or running), 'dead' (failed,
   * expired, cancelled, or completed), or 'missing' (unknown, or deleted by retention).
   */
  async jobLiveness(queue: QueueDefinition<z.ZodType>, id: string): Promise<'alive' | 'dead' | 'missing'> {
    const job = await this.boss.getJobById(queue.name, id, { includeArchive: true });
    if (!job) return 'missing';
    return ALIVE_STATES.has(job.state) ? 'alive' : 'dead';
  }

  /** Sends at most one job per `seconds` (shared by every process): the periodic drift check. */
  /** At most one job per `seconds` (per pipeline when the payload names one), across processes. */
  async sendThrottled<Q extends QueueDefinition<z.ZodType>>(
    queue: Q,
    payload: z.input<Q['payload']>,
    seconds: number,
  ) {
    const data = queue.payload.parse(payload) as { pipelineId?: number };
    if (data.pipelineId === undefined) return this.boss.sendThrottled(queue.name, data, {}, seconds);
    return this.boss.sendThrottled(queue.name, data, {}, seconds, pipelineKey(data.pipelineId));
  }

  /**
   * Tells `observer` when a job starts and how it ends, for every job taken by `work` in this
   * process from now on. Returns the function that stops it. An observer that throws is logged
   * and does not affect the job.
   */
  observe(observer: JobObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private notify(call: (observer: JobObserver) => void) {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch (error) {
        this.logger.warn({ err: error }, 'job observer failed');
      }
    }
  }

  /**
   * Whether a job of `queue` for another pipeline than `pipelineId` waits, due now (its start_after
   * passed): a long-waiting job of one pipeline makes way for it.
   */
  async hasDueJobBesides(queue: QueueDefinition<z.ZodType>, pipelineId: number): Promise<boolean> {
    // name: queue-due-besides (pg-boss's own table: its API counts jobs, not due ones)
    const { rows } = await this.boss.getDb().executeSql(
      `select 1 from pgboss.job where name = $1 and state in ('created', 'retry') and start_after <= now()
         and (data->>'pipelineId')::int is distinct from $2 limit 1`,
      [queue.name, pipelineId],
    );
    return rows.length > 0;
  }

  async work<Q extends QueueDefinition<z.ZodType>>(
    queue: Q,
    handler: (payload: Payload<Q>, job: { id: string; logger: Logger }) => Promise<void>,
  ): Promise<string> {
    const id = await this.boss.work(
      queue.name,
      { batchSize: 1, pollingIntervalSeconds: this.pollingSeconds },
      async ([job]) => {
        if (!job) return;
        const started = performance.now();
        let outcome: JobOutcome = 'failed';
        this.notify((o) => o.started?.(queue.name));
        try {
          const logger = this.logger.child({ queue: queue.name, jobId: job.id });
          const parsed = queue.payload.safeParse(job.data);
          if (!parsed.success) {
            // A malformed payload will never succeed: log it and complete the job instead of retrying.
            logger.error({ issues: parsed.error.issues }, 'dropping job with an invalid payload');
            outcome = 'dropped';
            return;
          }
          await handler(parsed.data as Payload<Q>, { id: job.id, logger });
          outcome = 'completed';
        } catch (error) {
          this.logger.warn({ err: error, queue: queue.name, jobId: job.id }, 'job failed');
          throw error;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          this.notify((o) => o.finished?.(queue.name, outcome, seconds));
        }
      },
    );
    this.workers.set(queue.name, [...(this.workers.get(queue.name) ?? []), id]);
    return id;
  }
}

/** The singleton key of a pipeline's jobs. */
export const pipelineKey = (pipelineId: number) => `pipeline:${pipelineId}`;

function ignoreExists(error: unknown) {
  if (error instanceof Error && /already exists/i.test(error.message)) return;
  throw error;
}
