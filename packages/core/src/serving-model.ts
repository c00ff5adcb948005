import type { Sql } from '@automl-stream/db';
import { type Forest, loadForest } from '@automl-stream/ml';
import { getArtifact, getProductionVersion } from './storage/models-storage.ts';

export interface ServingModel {
  version: number;
  forest: Forest;
  nFeatures: number;
  nClasses: number;
  loadedAt: Date;
}

/**
 * The model this process serves, held in memory. A swap is one assignment of a fully loaded model:
 * a request reads `current` once at its start and keeps that model to its end, so no request
 * ever sees a half-loaded model and none waits on a load.
 */
export class ModelHolder {
  current: ServingModel | null = null;
  private loading: Promise<ServingModel | null> | null = null;
  private listeners = new Set<(model: ServingModel | null) => void>();

  constructor(private readonly sql: Sql) {}

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
        const bytes = await getArtifact(this.sql, production.version);
        if (!bytes) return this.current;
        const model: ServingModel = {
          version: production.version,
          forest: loadForest(bytes),
          nFeatures: production.nFeatures,
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
