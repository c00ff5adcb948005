import {
  applyPipelineSettings,
  type Config,
  ConfigError,
  type PipelineSettings,
  parsePipelineSettings,
} from '@automl-stream/config';
import type { Sql } from '@automl-stream/db';
import { badInput, DomainError } from './errors.ts';
import type { EventBus } from './event-bus.ts';
import { pipelineName } from './pipeline-ref.ts';
import { PipelineRuntime, type RuntimeDeps } from './pipeline-runtime.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  insertPipeline,
  listPipelines,
  type PipelineSummaryRow,
  readPipeline,
  readPipelineById,
  readPipelineSummaries,
  type StoredPipeline,
  setPipelineArchived,
  writePipelineConfig,
} from './storage/pipeline-storage.ts';

export interface PipelineInfo extends StoredPipeline {
  /** The configuration overrides, normalised (the environment gives every other setting). */
  settings: PipelineSettings;
}

export type PipelineAttention = 'drift' | 'failing' | 'no_model' | 'training' | 'archived' | 'ok';

export interface PipelineSummary extends PipelineSummaryRow {
  pipeline: PipelineInfo;
  /** What needs a person's eye first: drift, then a failed training, no model, training, ok. */
  attention: PipelineAttention;
}

const ATTENTION_ORDER: PipelineAttention[] = ['drift', 'failing', 'no_model', 'training', 'ok', 'archived'];

/** The fleet page's status of one pipeline (pure). */
export function attentionOf(row: PipelineSummaryRow, archived: boolean): PipelineAttention {
  if (archived) return 'archived';
  if (row.lastCheckDrifted) return 'drift';
  if (row.lastEventType === 'training.failed') return 'failing';
  if (row.servingVersion === null) return 'no_model';
  if (row.openTrainingJobs > 0) return 'training';
  return 'ok';
}

/** Most urgent first; within a level, the lowest accuracy, then by name. */
export function byAttention(a: PipelineSummary, b: PipelineSummary): number {
  const level = ATTENTION_ORDER.indexOf(a.attention) - ATTENTION_ORDER.indexOf(b.attention);
  if (level !== 0) return level;
  const accuracy = (a.accuracy ?? 2) - (b.accuracy ?? 2);
  return accuracy !== 0 ? accuracy : a.pipeline.name.localeCompare(b.pipeline.name);
}

const notFound = (name: string) =>
  new DomainError(
    'NOT_FOUND',
    `no pipeline is named "${name}": create it first (createPipeline, or \`automl-stream pipelines create\`)`,
    {
      pipeline: name,
    },
  );

/**
 * The platform's pipelines: create, list, read, configure and archive them, and the services of
 * each (a PipelineRuntime, built on first use in this process and rebuilt when its
 * configuration changes anywhere: the `pipeline.updated` event).
 */
export class Pipelines {
  private readonly runtimes = new Map<string, Promise<PipelineRuntime>>();
  private readonly byId = new Map<number, string>();

  constructor(
    private readonly sql: Sql,
    private readonly base: Config,
    private readonly deps: RuntimeDeps,
    private readonly bus: EventBus,
  ) {}

  /** Puts a runtime built by the caller in the cache (the platform's default pipeline). */
  seed(runtime: PipelineRuntime): PipelineRuntime {
    this.runtimes.set(runtime.ref.name, Promise.resolve(runtime));
    this.byId.set(runtime.ref.id, runtime.ref.name);
    return runtime;
  }

  /** The runtime of a pipeline id when this process has built it (events name pipelines by id). */
  cached(id: number): Promise<PipelineRuntime> | undefined {
    const name = this.byId.get(id);
    return name === undefined ? undefined : this.runtimes.get(name);
  }

  /** Drops cached runtimes when another process changes a pipeline. */
  follow(): () => void {
    return this.bus.subscribe(['pipeline.updated', 'pipeline.archived'], (event) => {
      const name = this.byId.get(event.pipelineId);
      if (name) this.forget(name);
    });
  }

  /** The pipeline's services (NOT_FOUND when there is no such pipeline). */
  runtime(name: string | null | undefined): Promise<PipelineRuntime> {
    const checked = pipelineName(name);
    let runtime = this.runtimes.get(checked);
    if (!runtime) {
      runtime = this.build(checked);
      this.runtimes.set(checked, runtime);
      runtime.catch(() => this.runtimes.delete(checked));
    }
    return runtime;
  }

  /** The services of a pipeline by id (queue jobs name pipelines by id); null when there is none. */
  async runtimeById(id: number): Promise<PipelineRuntime | null> {
    const name = this.byId.get(id) ?? (await readPipelineById(this.sql, id))?.name;
    return name ? this.runtime(name) : null;
  }

  /** The pipeline's name by id (null when there is none). */
  async nameOf(id: number): Promise<string | null> {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const stored = await readPipelineById(this.sql, id);
    if (stored) this.byId.set(id, stored.name);
    return stored?.name ?? null;
  }

  /**
   * The pipeline a write goes to: with `create` (AUTO_CREATE_PIPELINES), one that does not exist
   * yet is created (its schema then comes from the batch). Archived pipelines take no writes.
   */
  async forWrite(name: string | null | undefined, create: boolean): Promise<PipelineRuntime> {
    const checked = pipelineName(name);
    let runtime = await this.runtime(checked).catch(async (error: unknown) => {
      if (!(error instanceof DomainError && error.code === 'NOT_FOUND') || !create) throw error;
      await this.create({ name: checked }).catch((e: unknown) => {
        if (!(e instanceof DomainError && e.code === 'CONFLICT')) throw e;
      });
      return this.runtime(checked);
    });
    if (runtime.archived) {
      // Another process may have restored it: read once more before refusing.
      this.forget(checked);
      runtime = await this.runtime(checked);
      if (runtime.archived) {
        throw new DomainError(
          'CONFLICT',
          `pipeline "${checked}" is archived: restore it before writing to it`,
          {
            pipeline: checked,
          },
        );
      }
    }
    return runtime;
  }

  /** Every pipeline in this process's cache (serving processes reload their models through these). */
  async loaded(): Promise<PipelineRuntime[]> {
    const settled = await Promise.allSettled(this.runtimes.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  async list(options: { includeArchived?: boolean } = {}): Promise<PipelineInfo[]> {
    const stored = await listPipelines(this.sql, { includeArchived: options.includeArchived ?? false });
    return stored.map((p) => this.info(p));
  }

  async get(name: string | null | undefined): Promise<PipelineInfo> {
    const checked = pipelineName(name);
    const stored = await readPipeline(this.sql, checked);
    if (!stored) throw notFound(checked);
    return this.info(stored);
  }

  /** Creates a pipeline (CONFLICT when the name is taken), with an optional schema and overrides. */
  async create(input: { name: string; settings?: Record<string, unknown> | null; schema?: unknown }) {
    const name = pipelineName(input.name);
    const settings = this.parseSettings(input.settings ?? {});
    const stored = await insertPipeline(this.sql, { name, config: settings, schema: null });
    if (!stored)
      throw new DomainError('CONFLICT', `a pipeline named "${name}" exists already`, { pipeline: name });
    this.byId.set(stored.id, name);
    if (input.schema !== undefined && input.schema !== null) {
      await (await this.runtime(name)).schemas.define(input.schema);
    }
    await appendEvent(this.sql, stored.id, 'pipeline.created', { pipeline: name, settings });
    return this.get(name);
  }

  /** Replaces the pipeline's configuration overrides (every process rebuilds its services). */
  async configure(name: string | null | undefined, settings: Record<string, unknown>): Promise<PipelineInfo> {
    const checked = pipelineName(name);
    const parsed = this.parseSettings(settings);
    const stored = await this.sql.begin(async (tx) => {
      const row = await writePipelineConfig(tx, checked, parsed);
      if (row) await appendEvent(tx, row.id, 'pipeline.updated', { pipeline: checked, settings: parsed });
      return row;
    });
    if (!stored) throw notFound(checked);
    this.forget(checked);
    // A lowered MIN_TRAIN_ROWS may make the rows already stored enough for a first model: ask
    // now, not at the next timed check (CHECK_INTERVAL_SECONDS later).
    if (!stored.archivedAt) await (await this.runtime(checked)).drift.maybeBootstrap();
    return this.info(stored);
  }

  /** Archives (stops ingest, predictions and jobs; the data stays readable) or restores it. */
  async archive(name: string | null | undefined, archived = true): Promise<PipelineInfo> {
    const checked = pipelineName(name);
    if (checked === 'default' && archived) throw badInput('the default pipeline cannot be archived');
    const stored = await this.sql.begin(async (tx) => {
      const row = await setPipelineArchived(tx, checked, archived);
      if (row) await appendEvent(tx, row.id, 'pipeline.archived', { pipeline: checked, archived });
      return row;
    });
    if (!stored) throw notFound(checked);
    this.forget(checked);
    return this.info(stored);
  }

  /** The fleet: every (unarchived) pipeline with its serving version, newest check and event. */
  async summaries(options: { includeArchived?: boolean } = {}): Promise<PipelineSummary[]> {
    const pipelines = await this.list(options);
    const rows = await readPipelineSummaries(
      this.sql,
      pipelines.map((p) => p.id),
      this.base.drift.windowSize,
    );
    const byId = new Map(rows.map((r) => [r.pipelineId, r]));
    return pipelines
      .map((pipeline) => {
        const row = byId.get(pipeline.id)!;
        return { ...row, pipeline, attention: attentionOf(row, pipeline.archivedAt !== null) };
      })
      .sort(byAttention);
  }

  /** Stops every runtime's timers (the process is stopping). */
  async stop(): Promise<void> {
    for (const runtime of await this.loaded()) runtime.stop();
    this.runtimes.clear();
  }

  private async build(name: string): Promise<PipelineRuntime> {
    const stored = await readPipeline(this.sql, name);
    if (!stored) throw notFound(name);
    this.byId.set(stored.id, name);
    const config = applyPipelineSettings(this.base, this.parseSettings(stored.config, true));
    return new PipelineRuntime({ id: stored.id, name }, config, this.deps, stored.archivedAt);
  }

  /** Drops this process's services of the pipeline: the next use builds them from the database. */
  forget(name: string) {
    const runtime = this.runtimes.get(name);
    this.runtimes.delete(name);
    runtime?.then((r) => r.stop()).catch(() => {});
  }

  private info(stored: StoredPipeline): PipelineInfo {
    this.byId.set(stored.id, stored.name);
    return { ...stored, settings: this.parseSettings(stored.config, true) };
  }

  /** Overrides checked against the environment's rules; stored ones that no longer parse are dropped. */
  private parseSettings(raw: Record<string, unknown>, stored = false): PipelineSettings {
    try {
      return parsePipelineSettings(raw ?? {}, this.base);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (stored) return {};
      throw badInput(`invalid pipeline settings: ${error.problems.join('; ')}`, { problems: error.problems });
    }
  }
}
