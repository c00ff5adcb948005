// H4 (security issue #19): what a client without a key can make the server hold. Nothing of a
// request body is read before the key is checked (chunked or declared, any path); a WebSocket
// message before authentication is small; connections are capped per process; a client that
// never finishes its headers is cut off.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { newApiKey, rawRequest } from './harness.ts';

const PIECE = 'x'.repeat(64 * 1024);
const PIECES = 64; // 4 MiB in all, well within BODY_LIMIT_BYTES (16 MiB by default)

/** Sends a 4 MiB body in pieces; returns the answer and how many pieces had gone out by then. */
async function sendSlowly(url: string, headers: Record<string, string>, declared = false) {
  let sent = 1;
  const answer = await rawRequest(url, {
    headers: { 'content-type': 'application/json', ...headers },
    pieces: Array(PIECES).fill(PIECE),
    ...(declared ? { contentLength: PIECES * PIECE.length } : {}),
    gapMs: 5,
    beforePiece: () => {
      sent++;
    },
  });
  return { ...answer, sent };
}

const opened = (socket: Socket) =>
  new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
const closedWithin = (socket: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (socket.destroyed || socket.readyState === 'closed') return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('before authentication', () => {
  let p: TestPlatform;
  let capped: TestPlatform;

  beforeAll(async () => {
    [p, capped] = await Promise.all([
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false' }),
      startTestPlatform(inject('postgresUrl'), { WORKERS: 'false', MAX_CONNECTIONS: '4' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([p?.stop(), capped?.stop()]);
  });

  it.each([
    ['/graphql', 401, 'UNAUTHENTICATED', {}],
    ['/graphql', 401, 'UNAUTHENTICATED', { authorization: `Bearer ${newApiKey()}` }],
    ['/ingest/batch', 401, 'UNAUTHENTICATED', {}],
    ['/predict', 401, 'UNAUTHENTICATED', {}],
    ['/metrics', 405, 'METHOD_NOT_ALLOWED', {}],
    ['/nowhere', 404, 'NOT_FOUND', {}],
  ])('answers a chunked upload to %s with %i before reading its body', async (route, status, code, headers) => {
    const answer = await sendSlowly(`${p.url}${route}`, headers as Record<string, string>);
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body) as {
      errors?: { extensions: { code: string } }[];
      error?: { code: string };
    };
    expect(body.errors?.[0]?.extensions.code ?? body.error?.code).toBe(code);
    // The answer came while the upload had barely started: the body was never buffered.
    expect(answer.sent).toBeLessThan(PIECES / 4);
  });

  it('answers a declared 4 MiB upload without a key before reading it, with WWW-Authenticate (L18)', async () => {
    const answer = await sendSlowly(p.graphqlUrl, {}, true);
    expect(answer.status).toBe(401);
    expect(answer.sent).toBeLessThan(PIECES / 4);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="automl-stream"');
  });

  it('closes a WebSocket whose first message is over READER_BODY_LIMIT_BYTES with 1009, unparsed', async () => {
    const socket = new WebSocket(p.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(1024 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('caps open connections at MAX_CONNECTIONS and takes new ones once some close', async () => {
    const url = new URL(capped.url);
    const sockets: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = connect(Number(url.port), url.hostname);
      await opened(socket);
      sockets.push(socket);
    }
    // Give the server a moment to count them, then one more: it is dropped at once.
    await new Promise((r) => setTimeout(r, 100));
    const extra = connect(Number(url.port), url.hostname);
    extra.on('error', () => {});
    expect(await closedWithin(extra, 2_000)).toBe(true);
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${capped.url}/health`)).status).toBe(200);
  });

  it('cuts off a client that has not finished its headers within 10 s', async () => {
    const url = new URL(p.url);
    const socket = connect(Number(url.port), url.hostname);
    await opened(socket);
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const started = Date.now();
    expect(await closedWithin(socket, 16_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});
