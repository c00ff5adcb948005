// AutoML in the platform (issue #16): every training run searches training windows × forest
// hyperparameters under AUTOML_BUDGET_SECONDS; the version stores its leaderboard and why it won,
// training progress reports the search, and after a concept change the search drops the old rows.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';
import { waitFor } from './hardening/harness.ts';

function rows(n: number, seed: number, flipped: boolean) {
  let s = seed;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [r(), r(), r()]);
  const rule = (f: number[]) => (f[0]! + f[1]! > 1 ? 1 : 0);
  return { features, labels: features.map((f) => (flipped ? 1 - rule(f) : rule(f))) };
}

interface Search {
  metric: string;
  reason: string;
  window: string;
  candidates: {
    rank: number;
    window: string;
    score: number | null;
    winner: boolean;
    cutByHalving: boolean;
  }[];
}

describe('the search in every training run', () => {
  let p: TestPlatform;
  const call = <T>(query: string, variables: Record<string, unknown> = {}) =>
    gql<T>(p.graphqlUrl, query, variables, p.adminKey);
  const SEARCH = `query M($v: Int!) { model(version: $v, pipeline: "auto") { reason search {
    metric reason window candidates { rank window score winner cutByHalving } } } }`;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      AUTOML_BUDGET_SECONDS: '4',
      MIN_TRAIN_ROWS: '300',
      GROWTH_RETRAIN_ROWS: '0',
      // No check of its own (every WINDOW_SIZE rows, or early on the errors of a batch): its
      // drift retrain, queued first, would train the fast fixed forest on the new rows instead.
      WINDOW_SIZE: '100000',
      // Nor a scheduled one: the throttle's slots are aligned to the clock, so with the default
      // 300 s a slot boundary inside the test queued a check, and its fast forest became v2.
      CHECK_INTERVAL_SECONDS: '86400',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('stores the leaderboard with the version, reports the search as progress, drops old rows after a concept change', async () => {
    await call(
      'mutation I($input: IngestInput!) { ingest(input: $input, pipeline: "auto") { rowsStored } }',
      {
        input: rows(1500, 1, false),
      },
    );
    const v1 = await waitFor(
      async () =>
        (await call<{ model: { search: Search | null } | null }>(SEARCH, { v: 1 })).data?.model ?? undefined,
      'version 1',
      90_000,
    );
    const search = v1.search!;
    expect(search.metric).toBe('accuracy');
    expect(search.candidates.length).toBeGreaterThan(10);
    expect(search.candidates[0]).toMatchObject({ rank: 1, winner: true });
    expect(search.candidates.filter((c) => c.winner)).toHaveLength(1);
    expect(search.candidates.some((c) => c.cutByHalving)).toBe(true);
    expect(search.reason).toMatch(/^best validation accuracy \d\.\d+/);
    const progress = await call<{
      events: { payload: { candidatesDone?: number; candidatesTotal?: number } }[];
    }>('{ events(pipeline: "auto", types: ["training.progress"], limit: 500) { payload } }');
    const last = progress.data!.events[0]!.payload;
    expect(last.candidatesDone).toBe(last.candidatesTotal);

    // The labelling rule flips: a retrain from the change point should learn from the new rows only.
    const changed = await call<{ ingest: { rowsStored: number } }>(
      'mutation I($input: IngestInput!) { ingest(input: $input, pipeline: "auto") { rowsStored } }',
      { input: rows(1200, 2, true) },
    );
    expect(changed.data?.ingest.rowsStored).toBe(1200);
    const { runtime } = { runtime: await p.server.platform.pipelines.runtime('auto') };
    // A retrain as a located change would ask for it: from the first row of the new rule on.
    const [first] = await p.database.sql<{ id: string; created_at: Date }[]>`
      select id, created_at from rows where pipeline_id = ${runtime.ref.id} order by id offset 1500 limit 1`;
    // The flipped rows also set off an early check (their errors far above the promise), whose
    // drift retrain trains the fast fixed forest and may run first: follow this job, not "v2".
    const job = await p.server.platform.db.sql.begin((tx) =>
      runtime.drift.retrains.queue(tx, {
        reason: 'concept change at the 1501st row',
        driftCheckId: null,
        changeAt: first!.created_at,
        changeRowId: Number(first!.id),
      }),
    );
    const JOB = `query J($id: ID!) { trainingJob(id: $id, pipeline: "auto") { status resultVersion } }`;
    const trained = await waitFor(
      async () => {
        const r = await call<{ trainingJob: { status: string; resultVersion: number | null } | null }>(JOB, {
          id: String(job.id),
        });
        const j = r.data?.trainingJob;
        return j && j.status !== 'QUEUED' && j.status !== 'RUNNING' ? j : undefined;
      },
      'the retrain from the change',
      90_000,
    );
    expect(trained.status).toBe('SUCCEEDED');
    const v2 = (await call<{ model: { search: Search | null } }>(SEARCH, { v: trained.resultVersion })).data!
      .model;
    expect(v2.search!.window).toBe('since-change');
  });
});
