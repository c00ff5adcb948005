import type { Sql } from '@automl-stream/db';
import { pushIterator } from './push-iterator.ts';
import {
  EVENTS_CHANNEL,
  type EventType,
  latestEventId,
  readEventsAfter,
  recentEvents,
  type StoredEvent,
} from './storage/events-storage.ts';

type Listener = (event: StoredEvent) => void;

/** First delay before a failed read is tried again; doubles up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Process-wide view of the event log, fed by LISTEN/NOTIFY. NOTIFY payloads carry only ids; the bus
 * reads rows in id order from the table, so a lost or reordered notification, or a dropped
 * connection, costs nothing: on every (re)connect it catches up from the last id it delivered.
 */
export class EventBus {
  private listeners = new Set<{ types: Set<EventType> | null; fn: Listener; pipelineId: number | null }>();
  private lastId = 0;
  private draining: Promise<void> | null = null;
  private again = false;
  private unlisten: (() => Promise<void>) | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_FIRST_MS;
  private stopped = false;

  constructor(private readonly sql: Sql) {}

  /** The stored log, newest first: `types` filters, `beforeId` pages back. */
  recent(options: { types?: EventType[]; limit: number; beforeId?: number; pipeline?: number }) {
    return recentEvents(this.sql, options);
  }

  /** Starts listening. Events older than this call are not replayed to subscribers. */
  async start(): Promise<void> {
    this.stopped = false;
    this.lastId = await latestEventId(this.sql);
    const sub = await this.sql.listen(
      EVENTS_CHANNEL,
      () => this.drain(),
      // Runs on the first LISTEN and after every reconnect: catch up on what was missed.
      () => this.drain(),
    );
    this.unlisten = sub.unlisten;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
    this.listeners.clear();
  }

  /**
   * Delivers events of the given types (all when omitted) as they are committed; of one pipeline
   * (by id) when `pipelineId` is given.
   */
  subscribe(types: EventType[] | null, fn: Listener, pipelineId: number | null = null): () => void {
    const entry = { types: types ? new Set(types) : null, fn, pipelineId };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** An async iterator over events, for GraphQL subscriptions; ends when `return()` is called. */
  iterate(types: EventType[] | null, pipelineId: number | null = null): AsyncIterableIterator<StoredEvent> {
    return pushIterator((push) => this.subscribe(types, push, pipelineId));
  }

  /** Reads and dispatches every event after the last one delivered; coalesces concurrent calls. */
  drain(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.again = false;
          for (;;) {
            const batch = await readEventsAfter(this.sql, this.lastId);
            for (const event of batch) {
              this.lastId = event.id;
              for (const l of this.listeners) {
                if (l.types && !l.types.has(event.type)) continue;
                if (l.pipelineId !== null && l.pipelineId !== event.pipelineId) continue;
                try {
                  l.fn(event);
                } catch {
                  // A failing listener must not stop delivery to the others.
                }
              }
            }
            if (batch.length < 1000) break;
          }
        } while (this.again);
        this.retryDelay = RETRY_FIRST_MS;
      } catch {
        // The read failed (database unreachable, statement timeout). Events may be committed and
        // their notifications already spent: read again after a growing delay, not at the next
        // notification, which may be minutes away.
        this.scheduleRetry();
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  private scheduleRetry() {
    if (this.stopped || this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.drain();
    }, delay);
    this.retryTimer.unref();
  }
}
