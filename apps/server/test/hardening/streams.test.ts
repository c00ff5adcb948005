// M6 (security issue #19): standing connections are capped per key, across graphql-ws sockets
// and SSE streams together (MAX_STREAMS_PER_KEY), so one key cannot hold thousands of
// subscribers, each costing a database read per event. Other keys keep their own allowance, and
// a closed connection frees its slot.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { type Feed, sseSubscribe, waitFor } from '../live-clients.ts';
import { collect, createKey, wsClient } from './harness.ts';

describe('open streams per key', () => {
  let p: TestPlatform;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', MAX_STREAMS_PER_KEY: '3' });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const openSocket = async (key: string) => {
    const ws = wsClient(p.wsUrl, { authorization: `Bearer ${key}` });
    const probe = collect(ws.client, '{ __typename }');
    await Promise.race([probe.done, ws.closed]);
    return ws;
  };
  const openStream = async (key: string) => {
    const feed = sseSubscribe<{ platformEvents: { id: number } }>(
      p.graphqlUrl,
      key,
      'subscription { platformEvents { id } }',
    );
    return { feed, response: await feed.response };
  };

  it('refuses the connection past MAX_STREAMS_PER_KEY: SSE with 429, WebSocket closed 1013', async () => {
    const key = await createKey(p.database.sql, 'reader');
    const sockets = [await openSocket(key), await openSocket(key)];
    const first = await openStream(key);
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const refusedStream = await openStream(key);
    expect(refusedStream.response.status).toBe(429);
    await refusedStream.feed.whenEnded('the refused stream to end');
    expect(refusedStream.feed.results).toEqual([
      {
        errors: [
          {
            message:
              'this key already has 3 open subscriptions and sockets (MAX_STREAMS_PER_KEY): close one first',
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 5 },
          },
        ],
      },
    ]);

    const refusedSocket = wsClient(p.wsUrl, { authorization: `Bearer ${key}` });
    collect(refusedSocket.client, '{ __typename }');
    const closed = await Promise.race([
      refusedSocket.closed,
      new Promise<null>((r) => setTimeout(() => r(null), 5_000)),
    ]);
    expect(closed).toEqual({
      code: 1013,
      reason: 'too many open connections for this key (MAX_STREAMS_PER_KEY)',
    });
    await refusedSocket.client.dispose();

    // Another key is not affected.
    const other = await createKey(p.database.sql, 'reader');
    const otherStream = await openStream(other);
    expect(otherStream.response.status).toBe(200);
    otherStream.feed.close();

    // Closing a socket frees its slot.
    await sockets[0]!.client.dispose();
    const again = await waitFor(async () => {
      const attempt = await openStream(key);
      if (attempt.response.status === 200) return attempt.feed;
      attempt.feed.close();
      return undefined;
    }, 'a freed slot');
    for (const feed of [again, first.feed] as Feed<unknown>[]) feed.close();
    await sockets[1]!.client.dispose();
  });

  it('counts a short SSE query only while it runs', async () => {
    const key = await createKey(p.database.sql, 'reader');
    for (let i = 0; i < 6; i++) {
      const response = await fetch(p.graphqlUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          authorization: `Bearer ${key}`,
        },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('"__typename":"Query"');
    }
  });
});
