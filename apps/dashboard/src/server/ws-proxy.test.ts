import { describe, expect, it } from 'vitest';
import { relayedCloseCode, withKey } from './ws-proxy.ts';

describe('withKey', () => {
  it("replaces connection_init's payload with the session's key", () => {
    const init = Buffer.from(
      JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer forged' } }),
    );
    expect(JSON.parse(withKey(init, 'ams_session'))).toEqual({
      type: 'connection_init',
      payload: { authorization: 'Bearer ams_session' },
    });
    expect(JSON.parse(withKey(init, null))).toEqual({ type: 'connection_init', payload: {} });
  });

  it('passes every other message unchanged', () => {
    const subscribe = JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription { x }' },
    });
    expect(withKey(Buffer.from(subscribe), 'k')).toBe(subscribe);
    expect(withKey(Buffer.from('not json'), 'k')).toBe('not json');
  });
});

describe('relayedCloseCode', () => {
  it('turns "no status" and "abnormal" into 1014, which graphql-ws retries', () => {
    expect(relayedCloseCode(1006)).toBe(1014);
    expect(relayedCloseCode(1005)).toBe(1014);
  });

  it('keeps codes a server may send', () => {
    for (const code of [1000, 1001, 1011, 4403, 4400]) expect(relayedCloseCode(code)).toBe(code);
  });
});
