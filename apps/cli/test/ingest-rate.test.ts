// `ingest --rate`: a recorded table replayed as a stream, in its order, at a steady pace (the
// platform's loop reacts as it would live; without it the whole file arrives in a second).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './run-cli.ts';

describe('automl-stream ingest --rate', () => {
  let p: TestPlatform;
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '1000' });
    dir = mkdtempSync(path.join(tmpdir(), 'automl-cli-rate-'));
    env = { AUTOML_URL: p.url, AUTOML_API_KEY: p.adminKey! };
  });
  afterAll(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Seconds between the first and the last batch stored, and the rows stored, for a pipeline. */
  const spread = async (pipeline: string) => {
    const [row] = await p.database.sql<{ seconds: number; rows: number }[]>`
      select extract(epoch from max(b.created_at) - min(b.created_at))::float8 as seconds,
        sum(b.row_count)::int as rows
        from batches b join pipelines q on q.id = b.pipeline_id where q.name = ${pipeline}`;
    return row!;
  };

  it('sends the batches at the rate asked for, and all of them', async () => {
    const file = path.join(dir, 'recorded.csv');
    const lines = Array.from({ length: 200 }, (_, i) => `${(i / 200).toFixed(4)},${i % 7},${i % 2}`);
    writeFileSync(file, `x0,x1,label\n${lines.join('\n')}\n`);
    const paced = await cli(
      ['ingest', file, '--batch-size', '50', '--rate', '100', '--pipeline', 'paced'],
      env,
    );
    expect(paced.stderr).not.toMatch(/error/);
    expect(paced.code).toBe(0);
    // 4 batches of 50 at 100 rows/s: the last is sent 1.5 s after the first. The spread is of
    // the times the server stored them, so the first batch's round trip comes off it (0.75 s at
    // 200 rows/s measured 0.68 s with another test file beside it): 1.2 s leaves 0.3 s for it.
    const slow = await spread('paced');
    expect(slow.rows).toBe(200);
    expect(slow.seconds).toBeGreaterThanOrEqual(1.2);
    const fast = await cli(['ingest', file, '--batch-size', '50', '--pipeline', 'unpaced'], env);
    expect(fast.code).toBe(0);
    expect((await spread('unpaced')).rows).toBe(200);
  }, 60_000);

  it('refuses a rate that is not a positive whole number', async () => {
    const run = await cli(['ingest', path.join(dir, 'recorded.csv'), '--rate', '0'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--rate/);
  });
});
