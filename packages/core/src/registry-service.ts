import type { Queryable, Sql } from '@automl-stream/db';
import { ForestArtifactError, readArtifactShape } from '@automl-stream/ml';
import { DomainError } from './errors.ts';
import { modelSizeProblem } from './model-size.ts';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  countModelVersions,
  getArtifact,
  getModelVersion,
  getModelVersions,
  getProductionVersion,
  listModelVersions,
  type ModelStatus,
  type ModelVersionRecord,
  modelHistory,
  previousProductionVersion,
  setProduction,
} from './storage/models-storage.ts';

/** One page of the registry, newest first. */
export interface ModelVersionPage {
  items: ModelVersionRecord[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * Promotion and rollback. Every change is recorded in model_history and announced. A version
 * that every replica could not load (too large for MAX_MODEL_BYTES, or an unreadable artifact)
 * is refused before it becomes production.
 */
export class RegistryService {
  /**
   * `refreshServing` reloads this process's serving model after a promotion or rollback, so the
   * answer to the admin's mutation is already true here (other replicas follow the NOTIFY).
   */
  constructor(
    private readonly sql: Sql,
    private readonly maxModelBytes = Number.MAX_SAFE_INTEGER,
    private readonly refreshServing: () => Promise<unknown> = async () => {},
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /** The version serving predictions now (undefined before the first model). */
  production(): Promise<ModelVersionRecord | undefined> {
    return getProductionVersion(this.sql, this.pipeline.id);
  }

  get(version: number): Promise<ModelVersionRecord | undefined> {
    return getModelVersion(this.sql, this.pipeline.id, version);
  }

  /** Versions by number, in one query (the GraphQL batch loader's source). */
  getMany(versions: number[]): Promise<ModelVersionRecord[]> {
    return getModelVersions(this.sql, this.pipeline.id, versions);
  }

  async page(options: { limit: number; offset: number; status?: ModelStatus }): Promise<ModelVersionPage> {
    const [items, total] = await Promise.all([
      listModelVersions(this.sql, this.pipeline.id, options),
      countModelVersions(this.sql, this.pipeline.id),
    ]);
    return { items, total, limit: options.limit, offset: options.offset };
  }

  /** Promotions and rollbacks, newest first. */
  history(limit: number) {
    return modelHistory(this.sql, this.pipeline.id, limit);
  }

  /** Throws CONFLICT when `version` could not serve. */
  private async assertServable(sql: Queryable, version: number): Promise<void> {
    const bytes = await getArtifact(sql, this.pipeline.id, version);
    let problem: string | null;
    try {
      problem = bytes ? modelSizeProblem(readArtifactShape(bytes), this.maxModelBytes) : 'it has no artifact';
    } catch (error) {
      if (!(error instanceof ForestArtifactError)) throw error;
      problem = error.message;
    }
    if (problem) throw new DomainError('CONFLICT', `model version ${version} cannot serve: ${problem}`);
  }

  async promote(version: number, reason = 'manual promotion'): Promise<ModelVersionRecord> {
    if (!Number.isInteger(version) || version <= 0) {
      throw new DomainError('BAD_USER_INPUT', `version must be a positive whole number (got ${version})`);
    }
    const promoted = await this.sql.begin(async (tx) => {
      const target = await getModelVersion(tx, this.pipeline.id, version);
      if (!target)
        throw new DomainError('NOT_FOUND', `model version ${version} does not exist (see the models query)`);
      if (target.status === 'production') {
        throw new DomainError('CONFLICT', `model version ${version} is already serving`);
      }
      await this.assertServable(tx, version);
      const { previous } = await setProduction(tx, this.pipeline.id, version, 'manual_promote', reason);
      await appendEvent(tx, this.pipeline.id, 'model.promoted', {
        version,
        previousVersion: previous,
        reason,
        manual: true,
      });
      return (await getModelVersion(tx, this.pipeline.id, version))!;
    });
    await this.refreshServing();
    return promoted;
  }

  /** Back to the version that served before the current one. */
  async rollback(reason = 'manual rollback'): Promise<ModelVersionRecord> {
    const restored = await this.sql.begin(async (tx) => {
      const current = await getProductionVersion(tx, this.pipeline.id);
      if (!current)
        throw new DomainError('CONFLICT', 'no model is serving, so there is nothing to roll back');
      const previous = await previousProductionVersion(tx, this.pipeline.id);
      if (previous === null) {
        throw new DomainError(
          'CONFLICT',
          `version ${current.version} is the first version that served: there is no previous version to roll back to`,
        );
      }
      await this.assertServable(tx, previous);
      await setProduction(tx, this.pipeline.id, previous, 'rolled_back', reason);
      await appendEvent(tx, this.pipeline.id, 'model.rolled_back', {
        version: previous,
        previousVersion: current.version,
        reason,
      });
      return (await getModelVersion(tx, this.pipeline.id, previous))!;
    });
    await this.refreshServing();
    return restored;
  }
}
