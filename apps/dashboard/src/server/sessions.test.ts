import { describe, expect, it } from 'vitest';
import { OneTimeLink, type SessionEndReason, SessionStore, SignInThrottle } from './sessions.ts';

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SessionStore', () => {
  it('creates sessions with distinct 256-bit ids and finds them again', () => {
    const store = new SessionStore();
    const a = store.create('ams_a');
    const b = store.create(null);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(store.use(a.id)?.key).toBe('ams_a');
    expect(store.use(b.id)?.key).toBeNull();
    expect(store.use('unknown')).toBeNull();
    expect(store.use(null)).toBeNull();
  });

  it('ends a session unused for idleMs, and any session maxAgeMs after sign-in', () => {
    const time = clock();
    const ended: [string, SessionEndReason][] = [];
    const store = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, now: time.now });
    store.onEnd((s, reason) => ended.push([s.key ?? '', reason]));
    const idle = store.create('idle');
    const busy = store.create('busy');
    for (let i = 0; i < 4; i++) {
      time.advance(900);
      expect(store.use(busy.id)).not.toBeNull();
    }
    expect(store.use(idle.id)).toBeNull();
    expect(ended).toEqual([['idle', 'session expired']]);
    time.advance(900); // 4500 ms after sign-in: still within maxAgeMs
    expect(store.use(busy.id)).not.toBeNull();
    time.advance(600); // 5100 ms: over, however busy
    expect(store.use(busy.id)).toBeNull();
    expect(ended.map(([key]) => key)).toEqual(['idle', 'busy']);
    expect(store.size).toBe(0);
  });

  it('sweep ends expired sessions without a request', () => {
    const time = clock();
    const ended: string[] = [];
    const store = new SessionStore({ idleMs: 1000, now: time.now });
    store.onEnd((s) => ended.push(s.id));
    const old = store.create('old');
    time.advance(600);
    const fresh = store.create('fresh');
    time.advance(600);
    store.sweep();
    expect(ended).toEqual([old.id]);
    expect(store.has(fresh.id)).toBe(true);
  });

  it('keeps at most maxSessions, ending the least recently used first', () => {
    const time = clock();
    const ended: [string, SessionEndReason][] = [];
    const store = new SessionStore({ maxSessions: 3, now: time.now });
    store.onEnd((s, reason) => ended.push([s.key ?? '', reason]));
    const a = store.create('a');
    store.create('b');
    store.create('c');
    time.advance(10);
    store.use(a.id); // a is now the most recently used; b the least
    store.create('d');
    expect(ended).toEqual([['b', 'session evicted']]);
    expect(store.size).toBe(3);
    expect(store.use(a.id)?.key).toBe('a');
  });

  it('end is idempotent and tells the listeners once', () => {
    const store = new SessionStore();
    const reasons: SessionEndReason[] = [];
    store.onEnd((_s, reason) => reasons.push(reason));
    const s = store.create('k');
    store.end(s.id, 'signed out');
    store.end(s.id, 'signed out');
    expect(reasons).toEqual(['signed out']);
    expect(store.use(s.id)).toBeNull();
  });
});

describe('OneTimeLink', () => {
  const token = 'T'.repeat(43);

  it('gives its key once for the right token', () => {
    const link = new OneTimeLink(token, 'ams_local');
    expect(link.take('wrong')).toBe('invalid');
    expect(link.take(token)).toEqual({ key: 'ams_local' });
    link.markUsed();
    expect(link.take(token)).toBe('used');
    expect(link.take('wrong')).toBe('invalid');
  });

  it('is taken while its key is checked, and can be given back when the check could not run', () => {
    const link = new OneTimeLink(token, null);
    expect(link.take(token)).toEqual({ key: null });
    expect(link.take(token)).toBe('used'); // a second request meanwhile does not get it
    link.giveBack();
    expect(link.take(token)).toEqual({ key: null });
  });
});

describe('SignInThrottle', () => {
  it('blocks an address after perMinute refused sign-ins, for the rest of that minute', () => {
    const time = clock();
    const throttle = new SignInThrottle(3, time.now);
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
      throttle.recordFailure('10.0.0.1');
      time.advance(1000);
    }
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(57);
    expect(throttle.retryAfterSeconds('10.0.0.2')).toBe(0);
    time.advance(57_000);
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(0);
  });
});
