import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { TrustedDocuments } from './trusted-documents.ts';
import { relayedCloseCode, type Screened, screenMessage } from './ws-proxy.ts';

const trusted = new TrustedDocuments([parse('subscription Ticks { statsUpdated { rowsIngested } }')]);
const screen = (message: unknown, key: string | null = 'k'): Screened =>
  screenMessage(Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)), key, trusted);

describe('screenMessage', () => {
  it("replaces connection_init's payload with the session's key", () => {
    const init = { type: 'connection_init', payload: { authorization: 'Bearer forged' } };
    expect(screen(init, 'ams_session')).toEqual({
      forward: JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ams_session' } }),
    });
    expect(screen(init, null)).toEqual({ forward: JSON.stringify({ type: 'connection_init', payload: {} }) });
  });

  it("forwards the dashboard's subscriptions unchanged, with Apollo's __typename too", () => {
    const subscribe = JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription Ticks { statsUpdated { rowsIngested __typename } }' },
    });
    expect(screen(subscribe)).toEqual({ forward: subscribe });
    expect(screen('{"type":"ping"}')).toEqual({ forward: '{"type":"ping"}' });
    expect(screen('not json')).toEqual({ forward: 'not json' });
  });

  it('answers any other subscription with a graphql-ws error instead of forwarding it', () => {
    const screened = screen({
      id: '7',
      type: 'subscribe',
      payload: { query: 'subscription { platformEvents { id } }' },
    });
    expect('reply' in screened && JSON.parse(screened.reply)).toEqual({
      id: '7',
      type: 'error',
      payload: [
        { message: expect.stringContaining('its own operations only'), extensions: { code: 'FORBIDDEN' } },
      ],
    });
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
