// The node handler reads a request's body itself and hands Yoga a JSON body on /graphql already
// parsed (no stream, no second parse). Whatever it does not parse goes to Yoga as its bytes: the
// answers must be Yoga's own, byte for byte, as when Yoga reads the request itself (yoga.fetch).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { createKey, rawRequest } from './harness.ts';

describe('bodies handed from the node handler to Yoga', () => {
  let p: TestPlatform;
  let writer: string;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false' });
    writer = await createKey(p.database.sql, 'writer');
  });
  afterAll(async () => {
    await p?.stop();
  });

  /** The answer over HTTP (through the node handler) and from Yoga alone, for the same bytes. */
  async function both(body: string | Buffer, contentType: string, chunked = false) {
    const headers = { 'content-type': contentType, authorization: `Bearer ${writer}` };
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const http = await rawRequest(p.graphqlUrl, {
      headers,
      pieces: [bytes],
      ...(chunked ? {} : { contentLength: bytes.length }),
    });
    const direct = await p.server.app.yoga.fetch(
      `${p.url}/graphql`,
      { method: 'POST', headers, body: new Uint8Array(bytes) },
      {}, // no server context: Yoga admits the request and reads the body itself
    );
    return { http, direct: { status: direct.status, body: await direct.text() } };
  }

  const cases: [string, string | Buffer, string][] = [
    ['a query', '{"query":"{ __typename }"}', 'application/json'],
    ['a query, with a charset', '{"query":"{ __typename }"}', 'application/json; charset=utf-8'],
    [
      'a query with variables and a name',
      '{"query":"query Q($n: Int) { __typename }","variables":{"n":1},"operationName":"Q"}',
      'application/json',
    ],
    ['invalid JSON', '{"query":', 'application/json'],
    ['a JSON string', '"{ __typename }"', 'application/json'],
    ['an empty object', '{}', 'application/json'],
    ['an empty list', '[]', 'application/json'],
    ['a list of one operation', '[{"query":"{ __typename }"}]', 'application/json'],
    ['null', 'null', 'application/json'],
    [
      'a byte-order mark before the JSON',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"query":"{ __typename }"}')]),
      'application/json',
    ],
    ['an unknown parameter', '{"query":"{ __typename }","extra":1}', 'application/json'],
    ['a query that does not parse', '{"query":"{ __typename "}', 'application/json'],
    ['a field that does not exist', '{"query":"{ nope }"}', 'application/json'],
    ['application/graphql+json', '{"query":"{ __typename }"}', 'application/graphql+json'],
    ['text/plain', '{"query":"{ __typename }"}', 'text/plain'],
  ];

  it.each(cases)('%s: the answer is Yoga’s own', async (_name, body, contentType) => {
    const { http, direct } = await both(body, contentType);
    expect(http.status).toBe(direct.status);
    expect(http.body).toBe(direct.body);
    const chunked = await both(body, contentType, true);
    expect(chunked.http.status).toBe(direct.status);
    expect(chunked.http.body).toBe(direct.body);
  });

  it('answers a valid operation with its data', async () => {
    const { http } = await both('{"query":"{ __typename }"}', 'application/json');
    expect(http.status).toBe(200);
    expect(JSON.parse(http.body)).toEqual({ data: { __typename: 'Query' } });
  });
});
