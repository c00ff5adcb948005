import type { Config } from '@automl-stream/config';
import { createDb, type DbHandle } from '@automl-stream/db';
import type { Logger } from 'pino';
import { ApiKeys } from './api-keys.ts';
import { DataService } from './data-service.ts';
import { DriftChecks } from './drift-checks.ts';
import { DriftPolicy } from './drift-policy.ts';
import { EventBus } from './event-bus.ts';
import { ManualDriftChecks } from './manual-drift-checks.ts';
import { driftCheckQueue, Queues, retrainDeadLetterQueue, retrainQueue } from './queues.ts';
import { RateLimitStore } from './rate-limit-store.ts';
import { checkReadiness, type Readiness } from './readiness.ts';
import { RegistryService } from './registry-service.ts';
import { PARTITION_MAINTENANCE_SECONDS, workPartitionMaintenance } from './retention.ts';
import { RetrainService, ShutdownError } from './retrain-service.ts';
import { SchemaService } from './schema-service.ts';
import { ModelHolder } from './serving-model.ts';
import { StatsTicker } from './stats-ticker.ts';
import { listOpenTrainingJobs, type TrainingJobRecord } from './storage/training-storage.ts';
import { TrainingJobs } from './training-jobs.ts';
import { DataTriggers } from './triggers.ts';

export interface PlatformOptions {
  config: Config;
  /** Database URL (the embedded one or DATABASE_URL); migrations must already be applied. */
  databaseUrl: string;
  logger: Logger;
  /** Run the pg-boss workers (drift-check, retrain) in this process. @default config.workers.enabled */
  workers?: boolean;
  /** Serve traffic (model in memory, stats ticks). @default true */
  serving?: boolean;
}

/** How often a serving process re-reads which version is in production, beside NOTIFY. */
const MODEL_RECHECK_MS = 30_000;

/**
 * Everything a server or worker process needs, wired once: one pool, the event bus over
 * LISTEN/NOTIFY, the queues, the serving model and the domain services.
 */
export class Platform {
  readonly db: DbHandle;
  /** Pool for prediction inserts: asynchronous commit unless PREDICTION_SYNC_COMMIT. */
  private readonly predictionDb: DbHandle | null;
  /** Pool for drift checks and retrains (workers only), with JOB_STATEMENT_TIMEOUT_MS. */
  private readonly jobsDb: DbHandle | null;
  readonly bus: EventBus;
  readonly queues: Queues;
  readonly holder: ModelHolder;
  readonly data: DataService;
  /** The table schema of the (default) pipeline. */
  readonly schemas: SchemaService;
  readonly drift: DriftPolicy;
  /** checkDrift: manual checks through the drift-check queue, answered when they ran. */
  readonly manualChecks: ManualDriftChecks;
  readonly retrain: RetrainService;
  readonly registry: RegistryService;
  /** The recorded drift checks, read by the API. */
  readonly driftChecks: DriftChecks;
  /** Training jobs, read by the API. */
  readonly trainingJobs: TrainingJobs;
  /** The rate-limit buckets shared by the replicas. */
  readonly rateLimits: RateLimitStore;
  readonly stats: StatsTicker;
  readonly apiKeys: ApiKeys;
  readonly config: Config;
  readonly logger: Logger;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribers: (() => void)[] = [];
  private readonly triggers: DataTriggers;
  private readonly workersEnabled: boolean;
  private readonly serving: boolean;
  private retrainAbort = new AbortController();
  private working = false;

  constructor(options: PlatformOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.workersEnabled = options.workers ?? options.config.workers.enabled;
    this.serving = options.serving ?? true;
    const { apiStatementTimeoutMs, jobStatementTimeoutMs } = options.config.database;
    // The API's pool cancels statements past API_STATEMENT_TIMEOUT_MS: one reader's request must
    // not hold connections that every other client waits for (security audit M4).
    this.db = createDb(options.databaseUrl, {
      max: options.config.database.poolSize,
      applicationName: 'automl-stream',
      statementTimeoutMs: apiStatementTimeoutMs,
    });
    const sql = this.db.sql;
    // Drift checks and retrains read whole windows (TRAIN_WINDOW rows): their own small pool,
    // with the longer JOB_STATEMENT_TIMEOUT_MS.
    this.jobsDb = this.workersEnabled
      ? createDb(options.databaseUrl, {
          max: 4,
          applicationName: 'automl-stream:jobs',
          statementTimeoutMs: jobStatementTimeoutMs,
        })
      : null;
    const jobSql = this.jobsDb?.sql ?? sql;
    this.bus = new EventBus(sql);
    this.queues = new Queues(options.databaseUrl, options.config, options.logger);
    this.holder = new ModelHolder(sql, {
      maxModelBytes: options.config.model.maxModelBytes,
      logger: options.logger,
    });
    this.drift = new DriftPolicy(jobSql, this.queues, options.config, options.logger);
    this.retrain = new RetrainService(jobSql, options.config, options.logger, this.queues);
    this.manualChecks = new ManualDriftChecks(sql, this.bus, this.queues, this.drift, options.config);
    // After a promotion or rollback here, this process serves the new version and its next stats
    // read is fresh before the mutation answers (other replicas follow the NOTIFY).
    this.registry = new RegistryService(sql, options.config.model.maxModelBytes, async () => {
      this.stats.invalidate();
      this.schemas.invalidate();
      await this.holder.refresh();
    });
    this.apiKeys = new ApiKeys(sql);
    this.driftChecks = new DriftChecks(sql);
    this.trainingJobs = new TrainingJobs(sql);
    this.rateLimits = new RateLimitStore(sql);
    this.stats = new StatsTicker(sql, options.config.statsIntervalMs, options.config.drift.windowSize);
    this.predictionDb = predictionPool(options);
    this.triggers = new DataTriggers({
      windowSize: options.config.drift.windowSize,
      askForCheck: () => this.queues.send(driftCheckQueue, { trigger: 'rows' }),
      hasModel: () => this.holder.current !== null,
      bootstrap: () => this.drift.maybeBootstrap(),
      logger: options.logger,
    });
    this.schemas = new SchemaService(sql, options.config);
    this.data = new DataService(
      sql,
      this.holder,
      options.config,
      this.schemas,
      this.predictionDb?.sql ?? sql,
      {
        onRowsServed: (n) => {
          this.stats.invalidate();
          this.triggers.rowsServed(n);
        },
        onLabelledRows: () => {
          this.stats.invalidate();
          this.triggers.labelledRowsArrived();
        },
      },
    );
  }

  async start(): Promise<void> {
    await this.bus.start();
    // Checks, retrains and promotions (in any process) change the totals too.
    this.unsubscribers.push(this.bus.subscribe(null, () => this.stats.invalidate()));
    await this.queues.start();
    if (this.serving) {
      // A production artifact that cannot be loaded (corrupt, or too large for MAX_MODEL_BYTES)
      // must not stop the process: it serves MODEL_NOT_READY and tries again on the timer below.
      await this.holder
        .refresh()
        .catch((error) => this.logger.error({ err: error }, 'the production model could not be loaded'));
      // Every replica swaps to a newly promoted model when told; the timer covers a missed notice.
      this.unsubscribers.push(
        this.bus.subscribe(['model.promoted', 'model.rolled_back'], () => {
          // A new model may know categories and classes this process has not read yet.
          this.schemas.invalidate();
          this.holder.refresh().catch((error) => this.logger.error({ err: error }, 'model reload failed'));
        }),
      );
      this.every(MODEL_RECHECK_MS, () => this.holder.refresh());
      this.every(10_000, () => this.apiKeys.flushUsage());
    }
    if (this.workersEnabled) {
      await this.startWorkers();
      this.working = true;
    }
  }

  /** True once `start()` registered the queue workers (`workers` option), until `stop()` begins. */
  get workersRunning(): boolean {
    return this.working;
  }

  /**
   * `/ready`: the database answers within READY_DB_TIMEOUT_MS, no migration is pending, and
   * `queues` (the caller's own flag: a server accepting traffic, a worker's queues running) holds.
   */
  readiness(options: { queues: boolean }): Promise<Readiness> {
    return checkReadiness(this.db.sql, options);
  }

  private async startWorkers(): Promise<void> {
    await this.queues.work(driftCheckQueue, async ({ trigger }, job) => {
      const outcome = await this.drift.check(trigger);
      job.logger.debug({ checkId: outcome.check?.id, skipped: outcome.skipped }, 'drift check done');
    });
    await this.queues.work(retrainQueue, async ({ trainingJobId }, job) => {
      job.logger.info({ trainingJobId }, 'retrain started');
      await this.retrain.run(trainingJobId, { signal: this.retrainAbort.signal });
    });
    // A retrain whose last attempt died hard (OOM, SIGKILL, expiry) never reached its own error
    // handling: pg-boss dead-letters it here, and the sweep below catches any it missed.
    await this.queues.work(retrainDeadLetterQueue, async ({ trainingJobId }) => {
      await this.sweepAbandonedRetrains(trainingJobId);
    });
    this.every(this.config.retrain.queueMaintenanceSeconds * 1000, () => this.sweepAbandonedRetrains());
    const interval = this.config.drift.checkIntervalSeconds;
    const schedule = () => this.queues.sendThrottled(driftCheckQueue, { trigger: 'schedule' }, interval);
    await schedule().catch(() => {});
    this.every(interval * 1000, schedule);
    // Retention: day partitions of rows and predictions created ahead, old ones dropped (retention.ts).
    const jobSql = this.jobsDb?.sql ?? this.db.sql;
    const maintain = await workPartitionMaintenance(this.queues, jobSql, this.config, this.logger);
    await maintain();
    this.every(PARTITION_MAINTENANCE_SECONDS * 1000, maintain);
  }

  /**
   * Fails open training jobs that nothing will run again, so they stop blocking every later
   * retrain: their queue job failed, expired, was cancelled or completed without recording a
   * result, or there is none to account for a job open longer than all its attempts could take.
   */
  async sweepAbandonedRetrains(trainingJobId: number | null = null): Promise<number> {
    let failed = 0;
    for (const { job, openSeconds } of await listOpenTrainingJobs(this.db.sql, trainingJobId)) {
      const reason = await this.abandonedBecause(job, openSeconds);
      if (reason && (await this.retrain.abandon(job.id, job.queueJobId, reason))) failed++;
    }
    return failed;
  }

  private async abandonedBecause(job: TrainingJobRecord, openSeconds: number): Promise<string | null> {
    const { expireSeconds, retryLimit, queueMaintenanceSeconds } = this.config.retrain;
    const liveness = job.queueJobId ? await this.queues.jobLiveness(retrainQueue, job.queueJobId) : 'missing';
    if (liveness === 'alive') return null;
    if (liveness === 'dead') {
      return 'the retrain ended without recording a result on its last attempt (the worker died or was killed, or the attempt ran past RETRAIN_EXPIRE_SECONDS)';
    }
    // No queue job to ask: allow every attempt its full expiry before calling it abandoned.
    const allowed = expireSeconds * (retryLimit + 1) + 2 * queueMaintenanceSeconds + 60;
    return openSeconds > allowed
      ? `open for ${Math.round(openSeconds)} s with no queue job running it (more than RETRAIN_EXPIRE_SECONDS × (1 + RETRAIN_RETRY_LIMIT))`
      : null;
  }

  private every(ms: number, fn: () => Promise<unknown>) {
    const timer = setInterval(() => {
      fn().catch((error) => this.logger.warn({ err: error }, 'periodic task failed'));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Stops timers and workers (finishing or releasing their jobs), then the bus and the pool. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.working = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const u of this.unsubscribers) u();
    this.stats.stop();
    // A retrain in progress is abandoned: pg-boss will hand the job to another worker.
    const stopping = this.queues.stop({ graceful: true, timeoutMs: options.timeoutMs ?? 10_000 });
    const abortTimer = setTimeout(
      () => this.retrainAbort.abort(new ShutdownError()),
      Math.max(0, (options.timeoutMs ?? 10_000) - 2000),
    );
    await stopping.catch((error) => this.logger.warn({ err: error }, 'queue stop failed'));
    clearTimeout(abortTimer);
    await this.bus.stop();
    await this.predictionDb?.close(5);
    await this.jobsDb?.close(5);
    await this.db.close(5);
  }
}

/**
 * A prediction log that waits for no fsync: single-row predict latency drops by the flush (about
 * 0.7 ms here) while every prediction is still committed before the answer. Null with
 * PREDICTION_SYNC_COMMIT.
 */
function predictionPool(options: PlatformOptions) {
  const { config } = options;
  if (config.data.predictionSyncCommit) return null;
  return createDb(options.databaseUrl, {
    max: Math.max(2, Math.ceil(config.database.poolSize / 2)),
    applicationName: 'automl-stream:predictions',
    synchronousCommit: 'off',
    statementTimeoutMs: config.database.apiStatementTimeoutMs,
  });
}
