import type { Sql } from '@automl-stream/db';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import { pushIterator } from './push-iterator.ts';
import {
  type PlatformStats,
  readAccuracySeries,
  readPredictionDistribution,
  readStats,
} from './storage/stats-storage.ts';

/**
 * Aggregated statistics pushed at most once per interval, only while someone listens and only
 * when a number changed: thousands of predictions per second become one message a second, and
 * changes made by other replicas or workers are seen too because the numbers come from the tables.
 */
export class StatsTicker {
  private listeners = new Set<(stats: PlatformStats) => void>();
  private timer: NodeJS.Timeout | null = null;
  private last = '';
  private cached: { at: number; pending: boolean; value: Promise<PlatformStats> } | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly intervalMs: number,
    private readonly accuracyWindow: number,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /**
   * The totals: one query shared by every concurrent caller and reused for up to one interval
   * (`stats` is ten full counts; thirty aliases of it in one request, or many readers polling,
   * run it once). A write in this process (`invalidate`) makes the next read fresh.
   */
  read(): Promise<PlatformStats> {
    const now = Date.now();
    if (this.cached && (this.cached.pending || now - this.cached.at < this.intervalMs))
      return this.cached.value;
    return this.fresh();
  }

  /** Test-then-train accuracy in buckets of `bucketSize` labelled rows, newest `limit` buckets. */
  accuracySeries(bucketSize: number, limit: number) {
    return readAccuracySeries(this.sql, this.pipeline.id, bucketSize, limit);
  }

  /** Predicted classes over the newest `window` predictions and scored rows. */
  predictionDistribution(window: number) {
    return readPredictionDistribution(this.sql, this.pipeline.id, window);
  }

  /** Queries the totals now; the answer serves `read` callers for the next interval. */
  private fresh(): Promise<PlatformStats> {
    const now = Date.now();
    const entry = {
      at: now,
      pending: true,
      value: readStats(this.sql, this.pipeline.id, this.accuracyWindow),
    };
    this.cached = entry;
    entry.value.then(
      () => {
        entry.pending = false;
        entry.at = Date.now();
      },
      () => {
        if (this.cached === entry) this.cached = null;
      },
    );
    return entry.value;
  }

  /** The next read queries the tables again (after a write that changes the totals). */
  invalidate(): void {
    if (this.cached && !this.cached.pending) this.cached = null;
  }

  subscribe(fn: (stats: PlatformStats) => void): () => void {
    this.listeners.add(fn);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /**
   * Stats ticks for one subscriber, starting with the current numbers. Each subscriber gets a
   * value only when it differs from the last one it got (the shared tick compares with the last
   * broadcast, which a new subscriber's first value may already equal).
   */
  iterate(): AsyncIterableIterator<PlatformStats> {
    let lastSent: string | null = null;
    const iterator = pushIterator<PlatformStats>(
      (push) =>
        this.subscribe((stats) => {
          const key = JSON.stringify(stats);
          if (key === lastSent) return;
          lastSent = key;
          push(stats);
        }),
      { latestOnly: true },
    );
    this.read().then(
      (stats) => {
        // A tick that arrived first is at least as new as this read.
        if (lastSent !== null) return;
        lastSent = JSON.stringify(stats);
        iterator.push(stats);
      },
      () => {},
    );
    return iterator;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick() {
    if (this.listeners.size === 0) return;
    let stats: PlatformStats;
    try {
      stats = await this.fresh();
    } catch {
      return; // database unreachable: try again next tick
    }
    const key = JSON.stringify(stats);
    if (key === this.last) return;
    this.last = key;
    for (const fn of this.listeners) fn(stats);
  }
}
