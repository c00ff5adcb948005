import type { Logger } from 'pino';

/** What the cache needs of a holder: drop its forest (it loads again on its next use). */
export interface Evictable {
  readonly pipeline: { name: string };
  unload(): void;
}

interface Entry {
  bytes: number;
  lastUsed: number;
}

/**
 * The forests loaded by one process, across pipelines, within MODEL_CACHE_MB: a holder that loads
 * a model is admitted, and the least recently used others are unloaded until the total fits. A
 * model larger than the whole budget still serves (alone): refusing it would stop its pipeline.
 */
export class ModelCache {
  private readonly entries = new Map<Evictable, Entry>();
  private clock = 0;
  evictions = 0;

  constructor(
    readonly budgetBytes: number,
    private readonly logger?: Logger,
  ) {}

  /** Bytes of the forests held now. */
  get bytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    return total;
  }

  get size(): number {
    return this.entries.size;
  }

  /** `holder` now holds a model of `bytes`; evicts the least recently used others to fit. */
  admit(holder: Evictable, bytes: number): void {
    this.entries.set(holder, { bytes, lastUsed: ++this.clock });
    let total = this.bytes;
    while (total > this.budgetBytes) {
      const victim = this.leastRecentlyUsed(holder);
      if (!victim) break;
      total -= this.entries.get(victim)!.bytes;
      this.entries.delete(victim);
      this.evictions++;
      victim.unload();
      this.logger?.debug({ pipeline: victim.pipeline.name }, 'model evicted from the cache (MODEL_CACHE_MB)');
    }
  }

  /** The holder served a request. */
  touch(holder: Evictable): void {
    const entry = this.entries.get(holder);
    if (entry) entry.lastUsed = ++this.clock;
  }

  /** The holder dropped its model by itself. */
  release(holder: Evictable): void {
    this.entries.delete(holder);
  }

  private leastRecentlyUsed(except: Evictable): Evictable | null {
    let victim: Evictable | null = null;
    let oldest = Number.POSITIVE_INFINITY;
    for (const [holder, entry] of this.entries) {
      if (holder !== except && entry.lastUsed < oldest) {
        oldest = entry.lastUsed;
        victim = holder;
      }
    }
    return victim;
  }
}
