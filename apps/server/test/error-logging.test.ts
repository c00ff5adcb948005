// Answers to bad requests are the client's, not the server's: before, every one (an unknown
// pipeline, a value of the wrong type) was logged at level error, as the CLI's normal first ingest
// into a new pipeline showed (`no pipeline is named "cars"` at level 50 in the platform's log).
import { Writable } from 'node:stream';
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

describe("the server's log", () => {
  const lines: { level: string; msg: string; code?: string }[] = [];
  let p: TestPlatform;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'debug', formatters: { level: (label) => ({ level: label }) } }, sink);
    p = await startTestPlatform(inject('postgresUrl'), { WORKERS: 'false' }, { logger });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('holds the answers to bad requests at debug, with their code, and no error line', async () => {
    const url = p.graphqlUrl;
    const unknown = await gql(url, '{ dataSchema(pipeline: "cars") { label { name } } }', {}, p.adminKey);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const bad = await gql(
      url,
      'mutation($in: IngestInput!) { ingest(input: $in) { rowsStored } }',
      { in: { features: [[1, 2]], labels: [0, 1], batchId: 'b1' } },
      p.adminKey,
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([]);
    const answered = lines.filter((l) => l.msg?.startsWith('request answered with'));
    expect(answered.map((l) => [l.level, l.code])).toEqual([
      ['debug', 'NOT_FOUND'],
      ['debug', 'BAD_USER_INPUT'],
    ]);
    expect(answered[0]!.msg).toContain('no pipeline is named "cars"');
  });
});
