/**
 * Sign-in sessions, kept in the dashboard server's memory: a random id (the cookie's value) to
 * the API key the person signed in with. The key never leaves the server; a restart of the
 * dashboard signs everyone out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  /** 256 random bits, base64url: the cookie's value. */
  readonly id: string;
  /** The key requests of this session carry to the platform; null when the platform runs with AUTH=off. */
  readonly key: string | null;
  readonly createdAt: number;
  lastSeenAt: number;
}

/** Why a session ended (told to its open WebSockets). */
export type SessionEndReason = 'signed out' | 'session expired' | 'session evicted' | 'API key refused';

export interface SessionStoreOptions {
  /** A session unused for this long ends. @default 12 hours */
  idleMs?: number;
  /** A session ends this long after sign-in, used or not. @default 7 days */
  maxAgeMs?: number;
  /** At most this many sessions; a new sign-in ends the least recently used one. @default 1000 */
  maxSessions?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

export const SESSION_DEFAULTS = {
  idleMs: 12 * 3600_000,
  maxAgeMs: 7 * 24 * 3600_000,
  maxSessions: 1000,
} as const;

export class SessionStore {
  readonly idleMs: number;
  readonly maxAgeMs: number;
  readonly maxSessions: number;
  private readonly now: () => number;
  /** In order of last use (a use moves the session to the end), so the first one is the least recently used. */
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners = new Set<(session: Session, reason: SessionEndReason) => void>();

  constructor(options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? SESSION_DEFAULTS.idleMs;
    this.maxAgeMs = options.maxAgeMs ?? SESSION_DEFAULTS.maxAgeMs;
    this.maxSessions = options.maxSessions ?? SESSION_DEFAULTS.maxSessions;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Called whenever a session ends, whatever the reason (sign-out, expiry, eviction...). */
  onEnd(listener: (session: Session, reason: SessionEndReason) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  create(key: string | null): Session {
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.end(oldest, 'session evicted');
    }
    const at = this.now();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      key,
      createdAt: at,
      lastSeenAt: at,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, marked as used now; null when unknown or expired (which ends it). */
  use(id: string | null): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (this.expired(session)) {
      this.end(id, 'session expired');
      return null;
    }
    session.lastSeenAt = this.now();
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  /** Whether the session still exists (without marking it used). */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  end(id: string, reason: SessionEndReason): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    for (const listener of this.endListeners) listener(session, reason);
  }

  /** Ends every expired session (run periodically, so their sockets close without a request). */
  sweep(): void {
    for (const session of [...this.sessions.values()])
      if (this.expired(session)) this.end(session.id, 'session expired');
  }

  /** Seconds until the session ends at the latest (the cookie's Max-Age). */
  maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  private expired(session: Session): boolean {
    const at = this.now();
    return at - session.lastSeenAt >= this.idleMs || at - session.createdAt >= this.maxAgeMs;
  }
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The sign-in link `automl-stream start` prints (Jupyter-style): whoever opens it first is signed
 * in with the key `start` made for the person at the terminal. It works once.
 */
export class OneTimeLink {
  private readonly tokenDigest: Buffer;
  private state: 'unused' | 'taken' | 'used' = 'unused';

  constructor(
    token: string,
    private readonly key: string | null,
  ) {
    this.tokenDigest = digest(token);
  }

  /**
   * Takes the link if `token` is its token and it is unused: returns the key to sign in with, or
   * `'used'` / `'invalid'`. A taken link is used unless `giveBack()` is called (the platform could
   * not be reached to verify the key).
   */
  take(token: string): { key: string | null } | 'used' | 'invalid' {
    // Compare digests: equal lengths, and no timing leak of the token itself.
    if (!timingSafeEqual(digest(token), this.tokenDigest)) return 'invalid';
    if (this.state !== 'unused') return 'used';
    this.state = 'taken';
    return { key: this.key };
  }

  giveBack(): void {
    if (this.state === 'taken') this.state = 'unused';
  }

  markUsed(): void {
    this.state = 'used';
  }
}

/**
 * Counts failed sign-ins per client address in a sliding minute, so a script cannot make the
 * dashboard hammer the platform with guesses (each costs one platform request).
 */
export class SignInThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perMinute = 20,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until this address may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const recent = this.recent(address);
    if (recent.length < this.perMinute) return 0;
    return Math.max(1, Math.ceil((recent[0]! + 60_000 - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.set(address, recent);
    // Bounded memory: forget the quietest addresses first.
    if (this.failures.size > 10_000) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  private recent(address: string): number[] {
    const since = this.now() - 60_000;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (kept.length === 0) this.failures.delete(address);
    return kept;
  }
}
