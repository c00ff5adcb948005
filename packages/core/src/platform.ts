import type { Config } from '@automl-stream/config';
import { createDb, type DbHandle } from '@automl-stream/db';
import type { Logger } from 'pino';
import { ApiKeys } from './api-keys.ts';
import { EventBus } from './event-bus.ts';
import { ModelCache } from './model-cache.ts';
import { DEFAULT_PIPELINE_REF } from './pipeline-ref.ts';
import { PipelineRuntime, type RuntimeDeps } from './pipeline-runtime.ts';
import { Pipelines } from './pipelines.ts';
import { driftCheckQueue, Queues, retrainDeadLetterQueue, retrainQueue } from './queues.ts';
import { RateLimitStore } from './rate-limit-store.ts';
import { checkReadiness, type Readiness } from './readiness.ts';
import { PARTITION_MAINTENANCE_SECONDS, workPartitionMaintenance } from './retention.ts';
import { ShutdownError } from './retrain-service.ts';
import {
  listOpenTrainingJobs,
  TRAINING_STOP_CHANNEL,
  type TrainingJobRecord,
} from './storage/training-storage.ts';

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

/** How often the scheduled drift checks of every pipeline are offered to the queue (throttled per pipeline). */
const SCHEDULE_TICK_MS = 15_000;

/**
 * Everything a server or worker process needs, wired once: one pool, the event bus over
 * LISTEN/NOTIFY, the queues, the model cache, and the pipelines with their services. The
 * `data`, `registry`, ... shortcuts are the default pipeline's (the original pipeline's routes and
 * every call that names no pipeline).
 */
export class Platform {
  readonly db: DbHandle;
  /** Pool for prediction inserts: asynchronous commit unless PREDICTION_SYNC_COMMIT. */
  private readonly predictionDb: DbHandle | null;
  /** Pool for drift checks and retrains (workers only), with JOB_STATEMENT_TIMEOUT_MS. */
  private readonly jobsDb: DbHandle | null;
  readonly bus: EventBus;
  readonly queues: Queues;
  /** The forests loaded in this process, across pipelines, within MODEL_CACHE_MB. */
  readonly models: ModelCache;
  readonly pipelines: Pipelines;
  /** The rate-limit buckets shared by the replicas. */
  readonly rateLimits: RateLimitStore;
  readonly apiKeys: ApiKeys;
  readonly config: Config;
  readonly logger: Logger;
  private defaultRuntime: PipelineRuntime;
  private timers: NodeJS.Timeout[] = [];
  private unlistenStops: (() => Promise<void>) | null = null;
  private unsubscribers: (() => void)[] = [];
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
    this.bus = new EventBus(sql);
    this.queues = new Queues(options.databaseUrl, options.config, options.logger);
    this.models = new ModelCache(options.config.pipelines.modelCacheBytes, options.logger);
    this.apiKeys = new ApiKeys(sql);
    this.rateLimits = new RateLimitStore(sql);
    this.predictionDb = predictionPool(options);
    const deps: RuntimeDeps = {
      sql,
      jobSql: this.jobsDb?.sql ?? sql,
      predictionSql: this.predictionDb?.sql ?? sql,
      queues: this.queues,
      bus: this.bus,
      cache: this.models,
      logger: options.logger,
    };
    this.pipelines = new Pipelines(sql, options.config, deps, this.bus);
    // The default pipeline's services exist from the start (with the environment's settings; its
    // stored overrides, if any, replace them in start()).
    this.defaultRuntime = this.pipelines.seed(
      new PipelineRuntime(DEFAULT_PIPELINE_REF, options.config, deps),
    );
  }

  /** The default pipeline's services. */
  get defaultPipeline(): PipelineRuntime {
    return this.defaultRuntime;
  }
  get holder() {
    return this.defaultRuntime.holder;
  }
  get data() {
    return this.defaultRuntime.data;
  }
  get schemas() {
    return this.defaultRuntime.schemas;
  }
  get drift() {
    return this.defaultRuntime.drift;
  }
  get manualChecks() {
    return this.defaultRuntime.manualChecks;
  }
  get retrain() {
    return this.defaultRuntime.retrain;
  }
  get registry() {
    return this.defaultRuntime.registry;
  }
  get driftChecks() {
    return this.defaultRuntime.driftChecks;
  }
  get trainingJobs() {
    return this.defaultRuntime.trainingJobs;
  }
  get stats() {
    return this.defaultRuntime.stats;
  }

  async start(): Promise<void> {
    await this.bus.start();
    this.unsubscribers.push(this.pipelines.follow());
    // The default pipeline's stored overrides (if any) replace the environment's settings, now and
    // whenever they change (the shortcuts follow the rebuilt services).
    await this.useDefaultSettings();
    this.unsubscribers.push(
      this.bus.subscribe(['pipeline.updated'], (event) => {
        if (event.pipelineId === DEFAULT_PIPELINE_REF.id) void this.useDefaultSettings().catch(() => {});
      }),
    );
    // Checks, retrains and promotions (in any process) change the totals too.
    this.unsubscribers.push(
      this.bus.subscribe(null, (event) => {
        void this.pipelines.cached(event.pipelineId)?.then((r) => r.stats.invalidate());
      }),
    );
    await this.queues.start();
    if (this.serving) await this.startServing();
    if (this.workersEnabled) {
      await this.startWorkers();
      this.working = true;
    }
  }

  private async useDefaultSettings(): Promise<void> {
    const stored = await this.pipelines.get('default');
    if (Object.keys(stored.settings).length > 0 || this.defaultRuntime.config !== this.config) {
      this.pipelines.forget('default');
    }
    this.defaultRuntime = await this.pipelines.runtime('default');
  }

  /**
   * Serving: the default pipeline's model is loaded now (others on first use); every replica
   * swaps a pipeline's model when told of a promotion, and re-reads on a timer in case a notice
   * was missed. A production artifact that cannot be loaded (corrupt, or too large for
   * MAX_MODEL_BYTES) must not stop the process: it serves MODEL_NOT_READY and tries again.
   */
  private async startServing(): Promise<void> {
    await this.defaultRuntime.holder
      .refresh()
      .catch((error) => this.logger.error({ err: error }, 'the production model could not be loaded'));
    this.unsubscribers.push(
      this.bus.subscribe(['model.promoted', 'model.rolled_back'], (event) => {
        void this.pipelines
          .cached(event.pipelineId)
          ?.then((r) => r.reloadServing())
          .catch((error) => this.logger.error({ err: error }, 'model reload failed'));
      }),
    );
    this.every(MODEL_RECHECK_MS, async () => {
      for (const runtime of await this.pipelines.loaded()) {
        if (runtime.holder.loaded) await runtime.holder.refresh().catch(() => null);
      }
    });
    this.every(10_000, () => this.apiKeys.flushUsage());
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
    await this.queues.listen(this.db.sql);
    await this.listenForStops();
    await this.queues.work(driftCheckQueue, async ({ trigger, pipelineId }, job) => {
      const runtime = await this.pipelines.runtimeById(pipelineId);
      if (!runtime || runtime.archived) return;
      const outcome = await runtime.drift.check(trigger);
      job.logger.debug(
        { pipelineId, checkId: outcome.check?.id, skipped: outcome.skipped },
        'drift check done',
      );
    });
    await this.queues.work(retrainQueue, async ({ trainingJobId, pipelineId }, job) => {
      const runtime = await this.pipelines.runtimeById(pipelineId);
      if (!runtime) return;
      if (runtime.archived) {
        await runtime.retrain.abandon(trainingJobId, job.id, 'the pipeline was archived');
        return;
      }
      job.logger.info({ trainingJobId, pipeline: runtime.ref.name }, 'retrain started');
      await runtime.retrain.run(trainingJobId, { signal: this.retrainAbort.signal });
    });
    // A retrain whose last attempt died hard (OOM, SIGKILL, expiry) never reached its own error
    // handling: pg-boss dead-letters it here, and the sweep below catches any it missed.
    await this.queues.work(retrainDeadLetterQueue, async ({ trainingJobId }) => {
      await this.sweepAbandonedRetrains(trainingJobId);
    });
    this.every(this.config.retrain.queueMaintenanceSeconds * 1000, () => this.sweepAbandonedRetrains());
    await this.scheduleDriftChecks().catch(() => {});
    this.every(Math.min(SCHEDULE_TICK_MS, this.config.drift.checkIntervalSeconds * 1000), () =>
      this.scheduleDriftChecks(),
    );
    // Retention: day partitions of rows and predictions created ahead, old ones dropped (retention.ts).
    const jobSql = this.jobsDb?.sql ?? this.db.sql;
    const maintain = await workPartitionMaintenance(this.queues, jobSql, this.config, this.logger);
    await maintain();
    this.every(PARTITION_MAINTENANCE_SECONDS * 1000, maintain);
  }

  /** A run a drift check superseded (in any process) stops at once when it runs here. */
  private async listenForStops(): Promise<void> {
    const sub = await this.db.sql.listen(TRAINING_STOP_CHANNEL, (payload) => {
      const [pipelineId, jobId] = payload.split(':').map(Number);
      if (!Number.isInteger(pipelineId) || !Number.isInteger(jobId)) return;
      this.pipelines
        .runtimeById(pipelineId!)
        .then((runtime) => runtime?.retrain.stopSuperseded(jobId!))
        .catch((error) => this.logger.warn({ err: error }, 'could not stop a superseded run'));
    });
    this.unlistenStops = sub.unlisten;
  }

  /**
   * Offers every active pipeline's scheduled drift check to the queue, throttled per pipeline to
   * one per its CHECK_INTERVAL_SECONDS across every worker process.
   */
  private async scheduleDriftChecks(): Promise<void> {
    for (const pipeline of await this.pipelines.list()) {
      const runtime = await this.pipelines.runtime(pipeline.name);
      await this.queues.sendThrottled(
        driftCheckQueue,
        { trigger: 'schedule', pipelineId: pipeline.id },
        runtime.config.drift.checkIntervalSeconds,
      );
    }
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
      const runtime = await this.pipelines.runtimeById(job.pipelineId);
      if (reason && runtime && (await runtime.retrain.abandon(job.id, job.queueJobId, reason))) failed++;
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
    await this.pipelines.stop();
    // A retrain in progress is abandoned: pg-boss will hand the job to another worker.
    const stopping = this.queues.stop({ graceful: true, timeoutMs: options.timeoutMs ?? 10_000 });
    const abortTimer = setTimeout(
      () => this.retrainAbort.abort(new ShutdownError()),
      Math.max(0, (options.timeoutMs ?? 10_000) - 2000),
    );
    await stopping.catch((error) => this.logger.warn({ err: error }, 'queue stop failed'));
    clearTimeout(abortTimer);
    await this.unlistenStops?.().catch(() => {});
    this.unlistenStops = null;
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
