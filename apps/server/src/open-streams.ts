import { DomainError, type Platform } from '@automl-stream/core';
import type { Access } from './auth.ts';
import type { Principal } from './context.ts';

/** An open graphql-ws socket or SSE response, as far as access control needs to know it. */
export interface OpenStream {
  /** Ends it because its key was revoked. */
  revoke(): void;
}

/**
 * How often the keys of open connections are checked against the table: revocations that were not
 * announced (a lost notification, an UPDATE by hand) still close their connections within this.
 */
const SWEEP_MS = 5_000;

/**
 * The WebSocket connections and SSE streams open in this process, by API key (by client address
 * with AUTH=off). It caps them per key (MAX_STREAMS_PER_KEY), and closes a key's connections as
 * soon as the key is revoked: revocations are announced on API_KEYS_CHANNEL, and the keys of open
 * connections are re-checked every few seconds besides.
 */
export class OpenStreams {
  private readonly byOwner = new Map<string, Set<OpenStream>>();
  private readonly keyIds = new Map<string, number>();
  private sweeper: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly platform: Platform,
    private readonly access: Access,
  ) {}

  /** Listens for revocations and starts the sweep. */
  async start(): Promise<void> {
    this.unlisten = await this.platform.apiKeys.onRevoked((id) => this.revoke([id]));
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.unlisten?.().catch(() => {});
    this.unlisten = null;
  }

  /**
   * Counts a new connection against its key's cap and returns the function that releases it.
   * Throws RATE_LIMITED when the key already has MAX_STREAMS_PER_KEY open.
   */
  open(principal: Principal, address: string, stream: OpenStream): () => void {
    const owner = principal.keyId === null ? `addr:${address}` : `key:${principal.keyId}`;
    const max = this.platform.config.security.maxStreamsPerKey;
    let streams = this.byOwner.get(owner);
    if ((streams?.size ?? 0) >= max) {
      throw new DomainError(
        'RATE_LIMITED',
        `this key already has ${max} open subscriptions and sockets (MAX_STREAMS_PER_KEY): close one first`,
        { retryAfterSeconds: 5 },
      );
    }
    if (!streams) {
      streams = new Set();
      this.byOwner.set(owner, streams);
      if (principal.keyId !== null) this.keyIds.set(owner, principal.keyId);
    }
    streams.add(stream);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      streams.delete(stream);
      if (streams.size === 0 && this.byOwner.get(owner) === streams) {
        this.byOwner.delete(owner);
        this.keyIds.delete(owner);
      }
    };
  }

  /** Open connections of a key (tests and metrics). */
  count(keyId: number): number {
    return this.byOwner.get(`key:${keyId}`)?.size ?? 0;
  }

  /** Ends every connection of these keys, and makes this process refuse them from now on. */
  revoke(ids: number[]) {
    this.access.revoked(ids);
    for (const id of ids) {
      const streams = this.byOwner.get(`key:${id}`);
      if (!streams) continue;
      for (const stream of [...streams]) {
        try {
          stream.revoke();
        } catch {
          // Already closing.
        }
      }
    }
  }

  /** Re-checks the keys of open connections against the table. */
  private async sweep(): Promise<void> {
    const ids = [...this.keyIds.values()];
    if (ids.length === 0) return;
    try {
      const active = await this.platform.apiKeys.activeIds(ids);
      const gone = ids.filter((id) => !active.has(id));
      if (gone.length > 0) this.revoke(gone);
    } catch {
      // Database unreachable: the next sweep checks again.
    }
  }
}
