import type { Config } from '@automl-stream/config';
import type { Sql } from '@automl-stream/db';
import type { Logger } from 'pino';
import { DataService } from './data-service.ts';
import { DriftChecks } from './drift-checks.ts';
import { DriftPolicy } from './drift-policy.ts';
import type { EventBus } from './event-bus.ts';
import { ManualDriftChecks } from './manual-drift-checks.ts';
import type { ModelCache } from './model-cache.ts';
import type { PipelineRef } from './pipeline-ref.ts';
import { driftCheckQueue, type Queues } from './queues.ts';
import { RegistryService } from './registry-service.ts';
import { RetrainService } from './retrain-service.ts';
import { SchemaService } from './schema-service.ts';
import { ModelHolder } from './serving-model.ts';
import { StatsTicker } from './stats-ticker.ts';
import { TrainingJobs } from './training-jobs.ts';
import { DataTriggers } from './triggers.ts';

/** What every pipeline's services share in one process. */
export interface RuntimeDeps {
  sql: Sql;
  /** Drift checks and retrains (the jobs pool, JOB_STATEMENT_TIMEOUT_MS). */
  jobSql: Sql;
  /** Prediction inserts (asynchronous commit unless PREDICTION_SYNC_COMMIT). */
  predictionSql: Sql;
  queues: Queues;
  bus: EventBus;
  cache: ModelCache;
  logger: Logger;
}

/**
 * One pipeline's services in one process, built with the pipeline's configuration (the
 * environment's, with its overrides): its serving model, schema, data path, drift policy,
 * retrains, registry and statistics, every one of them reading and writing its pipeline's rows only.
 */
export class PipelineRuntime {
  readonly holder: ModelHolder;
  readonly schemas: SchemaService;
  readonly data: DataService;
  readonly drift: DriftPolicy;
  readonly manualChecks: ManualDriftChecks;
  readonly retrain: RetrainService;
  readonly registry: RegistryService;
  readonly driftChecks: DriftChecks;
  readonly trainingJobs: TrainingJobs;
  readonly stats: StatsTicker;
  private readonly triggers: DataTriggers;

  constructor(
    readonly ref: PipelineRef,
    readonly config: Config,
    deps: RuntimeDeps,
    /** Archived: reads only (no ingest, predictions or jobs). */
    readonly archivedAt: Date | null = null,
  ) {
    const { sql, jobSql, queues, logger } = deps;
    const log = logger.child({ pipeline: ref.name });
    this.holder = new ModelHolder(
      sql,
      { maxModelBytes: config.model.maxModelBytes, logger: log, cache: deps.cache },
      ref,
    );
    this.schemas = new SchemaService(sql, config, ref.name);
    this.drift = new DriftPolicy(jobSql, queues, config, log, ref);
    this.retrain = new RetrainService(jobSql, config, log, queues, ref);
    this.manualChecks = new ManualDriftChecks(sql, deps.bus, queues, this.drift, config, ref);
    this.registry = new RegistryService(sql, config.model.maxModelBytes, () => this.reloadServing(), ref);
    this.driftChecks = new DriftChecks(sql, ref);
    this.trainingJobs = new TrainingJobs(sql, ref);
    this.stats = new StatsTicker(sql, config.statsIntervalMs, config.drift.windowSize, ref);
    this.triggers = new DataTriggers({
      windowSize: config.drift.windowSize,
      askForCheck: () => queues.send(driftCheckQueue, { trigger: 'rows', pipelineId: ref.id }),
      driftRetrainFitting: () => this.trainingJobs.driftRetrainFitting(),
      hasModel: () => this.holder.current !== null,
      bootstrap: () => this.drift.maybeBootstrap(),
      logger: log,
    });
    this.data = new DataService(
      sql,
      this.holder,
      config,
      this.schemas,
      deps.predictionSql,
      {
        onRowsServed: (n) => {
          this.stats.invalidate();
          this.triggers.rowsServed(n);
        },
        onLabelledRows: () => {
          this.stats.invalidate();
          this.triggers.labelledRowsArrived();
        },
        onScored: (model, wrong, scored) => this.triggers.scored(model.version, model.holdout, wrong, scored),
      },
      ref,
    );
  }

  get archived(): boolean {
    return this.archivedAt !== null;
  }

  /**
   * After a promotion or rollback (here or, through the bus, in another process): the new
   * version may know categories and classes this process has not read yet, and serves from now on.
   */
  async reloadServing(): Promise<void> {
    this.stats.invalidate();
    this.schemas.invalidate();
    if (this.holder.loaded) await this.holder.refresh();
  }

  /** Stops the statistics ticker (the process is stopping, or the runtime is replaced). */
  stop(): void {
    this.stats.stop();
    this.holder.unload();
  }
}
