import type { Sql } from '@automl-stream/db';
import { type Forest, forestMemoryBytes, loadForest, readArtifactShape } from '@automl-stream/ml';
import type { Logger } from 'pino';
import { promisedHoldout } from './forward-promise.ts';
import type { ModelCache } from './model-cache.ts';
import { modelSizeProblem } from './model-size.ts';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { type CategoryCap, capsOf } from './schema/category-caps.ts';
import { getArtifact, getProductionVersion } from './storage/models-storage.ts';

export interface ServingModel {
  version: number;
  forest: Forest;
  nFeatures: number;
  /** High-cardinality categorical columns as this model reads them (see schema/category-caps.ts). */
  caps: CategoryCap[];
  nClasses: number;
  /**
   * Whether the forest has categorical features: without any, no value can be an unseen
   * category, and predict skips counting them (a copy of every row) on its hot path.
   */
  categorical: boolean;
  loadedAt: Date;
  /** Its hold-out: rows and errors (what its promise starts from; see level-check.ts). */
  holdout: { n: number; errors: number };
  /** What the forest holds in memory (its node and leaf arrays), for MODEL_CACHE_MB. */
  bytes: number;
}

export interface ModelHolderOptions {
  /** MAX_MODEL_BYTES: a production version that would hold more is not loaded. */
  maxModelBytes: number;
  logger?: Logger;
  /** The process's cache of forests across pipelines (MODEL_CACHE_MB); none: never evicted. */
  cache?: ModelCache;
}

/**
 * The model this process serves, held in memory. A swap is one assignment of a fully loaded model:
 * a request reads `current` once at its start and keeps that model to its end, so no request
 * ever sees a half-loaded model and none waits on a load.
 *
 * A production version that cannot be loaded (corrupt artifact, or larger than MAX_MODEL_BYTES
 * once loaded) is not fatal: `refresh` rejects, the process keeps the model it has (or serves
 * MODEL_NOT_READY), and the next refresh tries again. A version refused for its size is measured
 * from the artifact's header, before anything is decoded, and remembered, so it is not fetched
 * again every refresh.
 */
export class ModelHolder {
  current: ServingModel | null = null;
  private loading: Promise<ServingModel | null> | null = null;
  private listeners = new Set<(model: ServingModel | null) => void>();
  private refused: { version: number; reason: string } | null = null;
  /** Whether the production version was looked up since start or since the cache evicted it. */
  private looked = false;

  constructor(
    private readonly sql: Sql,
    private readonly options: ModelHolderOptions = { maxModelBytes: Number.MAX_SAFE_INTEGER },
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /** Loads the production version when it differs from the one in memory. Concurrent calls share one load. */
  refresh(): Promise<ServingModel | null> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const production = await getProductionVersion(this.sql, this.pipeline.id);
        this.looked = true;
        if (!production) {
          if (this.current) this.swap(null);
          return null;
        }
        if (this.current?.version === production.version) return this.current;
        if (this.refused?.version === production.version) throw new Error(this.refused.reason);
        const bytes = await getArtifact(this.sql, this.pipeline.id, production.version);
        if (!bytes) return this.current;
        const shape = readArtifactShape(bytes);
        const tooLarge = modelSizeProblem(shape, this.options.maxModelBytes);
        if (tooLarge) {
          const reason = `production version ${production.version} is not loaded: ${tooLarge}`;
          this.refused = { version: production.version, reason };
          this.options.logger?.error({ version: production.version }, reason);
          throw new Error(reason);
        }
        const forest = loadForest(bytes);
        const { n, errors } = promisedHoldout(production);
        const promised = { n, errors };
        const model: ServingModel = {
          version: production.version,
          forest,
          nFeatures: production.nFeatures,
          caps: capsOf(production.params),
          nClasses: production.nClasses,
          // A negative code is unseen for every categorical feature, and only for those.
          categorical: forest.countUnseenCategories([new Array<number>(forest.nFeatures).fill(-1)]) > 0,
          loadedAt: new Date(),
          holdout: promised,
          bytes: forestMemoryBytes(shape),
        };
        this.swap(model);
        return model;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  /**
   * The serving model for a request: the one in memory, else (first use since start, or evicted
   * by MODEL_CACHE_MB) the production version loaded now. Marks it recently used.
   */
  async ensure(): Promise<ServingModel | null> {
    const model = this.current ?? (this.looked ? null : await this.refresh().catch(() => null));
    if (model) this.options.cache?.touch(this);
    return model;
  }

  /** Whether this process loaded (or looked for) the production version: promotions reload only those. */
  get loaded(): boolean {
    return this.looked;
  }

  /** Drops the model (MODEL_CACHE_MB); the next `ensure` loads it again. */
  unload(): void {
    this.options.cache?.release(this);
    this.looked = false;
    this.refused = null;
    this.current = null;
  }

  onSwap(fn: (model: ServingModel | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private swap(model: ServingModel | null) {
    this.current = model;
    if (model) this.options.cache?.admit(this, model.bytes);
    else this.options.cache?.release(this);
    for (const fn of this.listeners) fn(model);
  }
}
