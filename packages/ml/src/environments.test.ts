import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeSyntheticDataset } from './synthetic.ts';
import { trainForest } from './train.ts';

/**
 * Worker threads must start in every environment the platform uses. This file runs under
 * vitest; the test below also trains in a child `node --import tsx` process, the way the
 * platform and the benchmark run, and checks both give the same artifact.
 */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const indexUrl = new URL('./index.ts', import.meta.url).href;
const syntheticUrl = new URL('./synthetic.ts', import.meta.url).href;
const options = { nFeatures: 10, nEstimators: 140, maxDepth: 6, threads: 2, seed: 3 };

describe('worker threads across environments', () => {
  it('train the same forest under vitest and under node --import tsx', async () => {
    const data = makeSyntheticDataset({ nRows: 1500, seed: 61 });
    const here = await trainForest(data.features, data.labels, options);
    const script = `
      import { trainForest } from ${JSON.stringify(indexUrl)};
      import { makeSyntheticDataset } from ${JSON.stringify(syntheticUrl)};
      const data = makeSyntheticDataset({ nRows: 1500, seed: 61 });
      const forest = await trainForest(data.features, data.labels, ${JSON.stringify(options)});
      const proba = await forest.predictProbaParallel(data.features, { threads: 2 });
      process.stdout.write(JSON.stringify({
        artifact: Buffer.from(forest.serialize()).toString('base64'),
        proba: Array.from(proba),
      }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
    );
    const child = JSON.parse(stdout) as { artifact: string; proba: number[] };
    expect(Buffer.from(child.artifact, 'base64')).toEqual(Buffer.from(here.serialize()));
    // 1500 rows × 140 trees: enough work for the prediction workers to be used.
    expect(child.proba).toEqual(Array.from(await here.predictProbaParallel(data.features, { threads: 2 })));
  });
});
