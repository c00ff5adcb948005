import type { Sql } from '@automl-stream/db';
import { type Forest, loadForest, readArtifactShape } from '@automl-stream/ml';
import type { Logger } from 'pino';
import { modelSizeProblem } from './model-size.ts';
import { type CategoryCap, capsOf } from './schema/category-caps.ts';
import { getArtifact, getProductionVersion } from './storage/models-storage.ts';

export interface ServingModel {
  version: number;
  forest: Forest;
  nFeatures: number;
  /** High-cardinality categorical columns as this model reads them (see schema/category-caps.ts). */
  caps: CategoryCap[];
  nClasses: number;
  loadedAt: Date;
}

export interface ModelHolderOptions {
  /** MAX_MODEL_BYTES: a production version that would hold more is not loaded. */
  maxModelBytes: number;
  logger?: Logger;
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

  constructor(
    private readonly sql: Sql,
    private readonly options: ModelHolderOptions = { maxModelBytes: Number.MAX_SAFE_INTEGER },
  ) {}

  /** Loads the production version when it differs from the one in memory. Concurrent calls share one load. */
  refresh(): Promise<ServingModel | null> {
    if (this.loading) return this.loading;
    this.loading = (async () => {
      try {
        const production = await getProductionVersion(this.sql);
        if (!production) {
          if (this.current) this.swap(null);
          return null;
        }
        if (this.current?.version === production.version) return this.current;
        if (this.refused?.version === production.version) throw new Error(this.refused.reason);
        const bytes = await getArtifact(this.sql, production.version);
        if (!bytes) return this.current;
        const tooLarge = modelSizeProblem(readArtifactShape(bytes), this.options.maxModelBytes);
        if (tooLarge) {
          const reason = `production version ${production.version} is not loaded: ${tooLarge}`;
          this.refused = { version: production.version, reason };
          this.options.logger?.error({ version: production.version }, reason);
          throw new Error(reason);
        }
        const model: ServingModel = {
          version: production.version,
          forest: loadForest(bytes),
          nFeatures: production.nFeatures,
          caps: capsOf(production.params),
          nClasses: production.nClasses,
          loadedAt: new Date(),
        };
        this.swap(model);
        return model;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  onSwap(fn: (model: ServingModel | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private swap(model: ServingModel | null) {
    this.current = model;
    for (const fn of this.listeners) fn(model);
  }
}
