import type { ModelVersionRecord, TrainingJobRecord } from '@automl-stream/core';
import type { GraphQLContext } from '../context.ts';

/**
 * Collects the keys asked for while GraphQL resolves one level of a response, then loads them
 * with one query: `driftEvents(limit: 500) { items { trainingJob { id } } }` is three queries, not
 * 502 (security audit M4). Nothing is cached past the batch: a subscription's context lives for
 * hours, and a training job read at one event must be read again at the next.
 */
export class BatchLoader<K, V> {
  private pending = new Map<K, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>();
  private scheduled = false;

  constructor(
    private readonly loadMany: (keys: K[]) => Promise<V[]>,
    private readonly keyOf: (value: V) => K,
  ) {}

  load(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // After the promise jobs of this tick: every sibling resolver has asked by then.
      void Promise.resolve().then(() => process.nextTick(() => void this.dispatch()));
    });
  }

  private async dispatch() {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const found = new Map((await this.loadMany([...batch.keys()])).map((v) => [this.keyOf(v), v]));
      for (const [key, waiting] of batch) for (const w of waiting) w.resolve(found.get(key));
    } catch (error) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(error);
    }
  }
}

interface Loaders {
  trainingJob: BatchLoader<number, TrainingJobRecord>;
  modelVersion: BatchLoader<number, ModelVersionRecord>;
}

const perContext = new WeakMap<GraphQLContext, Map<number, Loaders>>();

/**
 * The batch loaders of one request (or one subscription), per pipeline (by id): records of one
 * pipeline only ever load records of the same pipeline.
 */
export function loaders(ctx: GraphQLContext, pipelineId: number): Loaders {
  let byPipeline = perContext.get(ctx);
  if (!byPipeline) {
    byPipeline = new Map();
    perContext.set(ctx, byPipeline);
  }
  let found = byPipeline.get(pipelineId);
  if (!found) {
    const runtime = async () => {
      const r = await ctx.platform.pipelines.runtimeById(pipelineId);
      if (!r) throw new Error(`pipeline ${pipelineId} does not exist`);
      return r;
    };
    found = {
      trainingJob: new BatchLoader(
        async (ids) => (await runtime()).trainingJobs.getMany(ids),
        (j) => j.id,
      ),
      modelVersion: new BatchLoader(
        async (versions) => (await runtime()).registry.getMany(versions),
        (m) => m.version,
      ),
    };
    byPipeline.set(pipelineId, found);
  }
  return found;
}
