// `models --candidates`: the leaderboard of the search that chose a version, as a table and as
// --json, against a platform whose training runs search (AUTOML_BUDGET_SECONDS 3); `models` says
// which window each version's search chose, or "fixed" for a pipeline that trains the fixed forest.
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './run-cli.ts';

/** Rows of the rule class = x0 + x1 > 1 over three uniform features, seeded. */
function rows(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [rand(), rand(), rand()]);
  return { features, labels: features.map((x) => (x[0]! + x[1]! > 1 ? 1 : 0)) };
}

interface Candidate {
  rank: number;
  window: string;
  windowRows: number;
  maxDepth: number | null;
  minSamplesLeaf: number;
  maxFeatures: string;
  classWeight: string | null;
  nTrees: number;
  score: number | null;
  fitMs: number;
  rung: number;
  cutByHalving: boolean;
  winner: boolean;
}

interface Search {
  metric: string;
  reason: string;
  window: string;
  rungs: number;
  candidates: Candidate[];
}

/** The table row `automl-stream models --candidates` prints for a candidate, as a pattern. */
function rowPattern(c: Candidate): RegExp {
  const cells = [
    c.rank,
    c.window,
    c.windowRows,
    c.maxDepth ?? 'unlimited',
    c.minSamplesLeaf,
    c.maxFeatures,
    c.classWeight ?? 'none',
    c.nTrees,
    c.score === null ? '-' : c.score.toFixed(4),
    c.fitMs,
    c.rung,
    c.cutByHalving ? 'yes' : 'no',
    ...(c.winner ? ['yes'] : []),
  ].map((cell) => String(cell).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^\\s*${cells.join('\\s+')}$`, 'm');
}

describe('automl-stream models --candidates', () => {
  let p: TestPlatform;
  let env: Record<string, string>;
  const call = <T>(query: string, variables: Record<string, unknown> = {}) =>
    gql<T>(p.graphqlUrl, query, variables, p.adminKey);
  const ingest = (pipeline: string, seed: number) =>
    call(
      'mutation I($input: IngestInput!, $p: String) { ingest(input: $input, pipeline: $p) { rowsStored } }',
      {
        input: rows(900, seed),
        p: pipeline,
      },
    );
  const waitForVersion = async (pipeline: string, version: number) => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const r = await call<{ activeModel: { version: number } | null }>(
        'query A($p: String) { activeModel(pipeline: $p) { version } }',
        { p: pipeline },
      );
      if ((r.data?.activeModel?.version ?? 0) >= version) return;
      if (Date.now() > deadline) throw new Error(`no v${version} in ${pipeline} after 90 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      AUTOML_BUDGET_SECONDS: '3',
      MIN_TRAIN_ROWS: '300',
      GROWTH_RETRAIN_ROWS: '0',
      N_ESTIMATORS: '10',
    });
    env = { AUTOML_URL: p.url, AUTOML_API_KEY: p.adminKey! };
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('prints the leaderboard of the serving version, then why the winner won; --json gives it whole', async () => {
    // A second pipeline trains the fixed forest (its own AUTOML_BUDGET_SECONDS).
    const created = await cli(['pipelines', 'create', 'plain', '--set', 'AUTOML_BUDGET_SECONDS=0'], env);
    expect(created.code).toBe(0);
    await Promise.all([ingest('default', 1), ingest('plain', 2)]);
    await Promise.all([waitForVersion('default', 1), waitForVersion('plain', 1)]);

    const asJson = await cli(['models', '--candidates', '--json'], env);
    expect(asJson.stderr).toBe('');
    const { version, search } = JSON.parse(asJson.stdout) as { version: number; search: Search };
    expect(version).toBe(1);
    expect(search.metric).toBe('accuracy');
    expect(search.candidates.length).toBeGreaterThan(5);
    expect(search.candidates.map((c) => c.rank)).toEqual(search.candidates.map((_, i) => i + 1));
    const winner = search.candidates[0]!;
    expect(winner.winner).toBe(true);
    expect(winner.window).toBe(search.window);

    const table = await cli(['models', '--candidates'], env);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^v1: ${search.candidates.length} candidates in \\d+\\.\\ds \\(budget 3s(, stopped by the budget)?\\), ${search.rungs} rungs of successive halving, scored by accuracy; winner's window ${search.window}$`,
      ),
    );
    expect(lines[1]).toMatch(
      /^rank\s+window\s+rows\s+depth\s+min leaf\s+max features\s+class weight\s+trees\s+score\s+fit ms\s+rung\s+cut\s+winner$/,
    );
    for (const candidate of search.candidates) expect(table.stdout).toMatch(rowPattern(candidate));
    // One row per candidate, between the rule under the header and the reason.
    expect(lines.slice(3, 3 + search.candidates.length).every((l) => /^\s*\d+\s/.test(l))).toBe(true);
    expect(lines[3 + search.candidates.length]).toBe(`why: ${search.reason}`);
    expect(search.reason).toMatch(/^best validation accuracy \d\.\d+/);

    // The same version by number; the registry names the window each search chose.
    const byNumber = await cli(['models', '--candidates', '--version', 'v1'], env);
    expect(byNumber.stdout).toBe(table.stdout);
    const registry = await cli(['models'], env);
    expect(registry.stdout).toMatch(
      new RegExp(
        `^\\* v1\\s+production\\s+0\\.\\d{3}\\s+0\\.\\d{3}\\s+-\\s+\\d+\\s+${search.window}\\s`,
        'm',
      ),
    );
    const plain = await cli(['models', '--pipeline', 'plain'], env);
    expect(plain.stdout).toMatch(/^\* v1\s+production\s+0\.\d{3}\s+0\.\d{3}\s+-\s+\d+\s+fixed\s/m);
    const fixed = await cli(['models', '--candidates', '--pipeline', 'plain'], env);
    expect(fixed.stdout).toBe(
      'v1 is the fixed forest (AUTOML_BUDGET_SECONDS is 0): no search, no leaderboard\n',
    );
    expect(
      JSON.parse((await cli(['models', '--candidates', '--pipeline', 'plain', '--json'], env)).stdout),
    ).toEqual({
      version: 1,
      search: null,
    });
  });

  it('says what is wrong with --version', async () => {
    const [missing, bad, alone] = await Promise.all([
      cli(['models', '--candidates', '--version', '9'], env),
      cli(['models', '--candidates', '--version', 'latest'], env),
      cli(['models', '--version', '1'], env),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: (no version 9 in pipeline "default"|NOT_FOUND: .*9.*)\n$/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: --version must be a model version such as 3 or v3 \(got "latest"\)\n/,
    );
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^error: --version goes with --candidates\n/);
  });
});
