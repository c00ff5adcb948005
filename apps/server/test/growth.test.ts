// Growth retrains (issue #16): a model bootstrapped on few rows does not serve forever when many
// more labelled rows are in; a drift check with nothing to retrain for queues a growth retrain,
// promoted only when better on the newest hold-out, and a rejected one waits for more growth.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';
import { waitFor } from './hardening/harness.ts';

function rows(n: number, seed: number) {
  let s = seed;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const features = Array.from({ length: n }, () => [r(), r(), r(), r()]);
  // A rule that needs many rows to learn well: a curved boundary over three features.
  return { features, labels: features.map((f) => (f[0]! * f[0]! + f[1]! * f[2]! > 0.5 ? 1 : 0)) };
}

/**
 * A platform for one describe (started before its tests, stopped after), its GraphQL calls with
 * the admin key, an ingest into `pipeline`, and the wait for its first model.
 */
function platformFor(pipeline: string, env: Record<string, string>) {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), env);
  });
  afterAll(async () => {
    await p?.stop();
  });
  const call = <T>(query: string, variables: Record<string, unknown> = {}) =>
    gql<T>(p.graphqlUrl, query, variables, p.adminKey);
  const ingest = (input: { features: number[][]; labels: number[] }) =>
    call(
      `mutation I($input: IngestInput!) { ingest(input: $input, pipeline: "${pipeline}") { rowsStored } }`,
      { input },
    );
  const firstModel = () =>
    waitFor(
      async () =>
        (
          await call<{
            activeModel: { version: number; trainRows: number; search: { window: string } | null } | null;
          }>(`{ activeModel(pipeline: "${pipeline}") { version trainRows search { window } } }`)
        ).data?.activeModel ?? undefined,
      'the bootstrap model',
      60_000,
    );
  return { call, ingest, firstModel };
}

describe('growth retrains', () => {
  const { call, ingest, firstModel } = platformFor('grow', {
    MIN_TRAIN_ROWS: '200',
    GROWTH_RETRAIN_ROWS: '1200',
    DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
  });

  it('queues a growth retrain once GROWTH_RETRAIN_ROWS more labelled rows are in, and trains it on the larger window', async () => {
    await ingest(rows(250, 1));
    const first = await firstModel();
    expect(first.version).toBe(1);
    // Not grown yet: a check queues nothing.
    const quiet = await call<{ checkDrift: { event: { action: string; trainingJob: unknown } } }>(
      'mutation { checkDrift(pipeline: "grow") { event { action trainingJob { id } } } }',
    );
    expect(quiet.data?.checkDrift.event.trainingJob).toBeNull();
    const open = await call<{ trainingJobs: { total: number } }>(
      '{ trainingJobs(pipeline: "grow") { total } }',
    );
    expect(open.data?.trainingJobs.total).toBe(1);

    await ingest(rows(1500, 2));
    await call('mutation { checkDrift(pipeline: "grow") { skipped } }');
    const jobs = await waitFor(
      async () => {
        const r = await call<{
          trainingJobs: { items: { reason: string; status: string; resultVersion: number | null }[] };
        }>('{ trainingJobs(pipeline: "grow") { items { reason status resultVersion } } }');
        const growth = r.data?.trainingJobs.items.find((j) => j.reason.startsWith('growth'));
        return growth && (growth.status === 'SUCCEEDED' || growth.status === 'FAILED')
          ? r.data!.trainingJobs.items
          : undefined;
      },
      'the growth retrain',
      90_000,
    );
    const growth = jobs.find((j) => j.reason.startsWith('growth'))!;
    expect(growth.reason).toMatch(/^growth: 1750 labelled rows available, v1 used 250$/);
    expect(growth.status).toBe('SUCCEEDED');
    const v2 = await call<{ model: { trainRows: number; holdoutRows: number } }>(
      '{ model(version: 2, pipeline: "grow") { trainRows holdoutRows } }',
    );
    // Out of bag (PROMOTION_GATE's default) the whole window is learned; its gate rows are those v1 never saw.
    expect(v2.data!.model.trainRows).toBe(1750);
    expect(v2.data!.model.holdoutRows).toBe(1500);
  });
});

describe('growth retrains on a table sent in batches', () => {
  // Scheduled drift checks every second; GROWTH_RETRAIN_ROWS at its default (5000), far above the table.
  const { call, ingest } = platformFor('table', {
    MIN_TRAIN_ROWS: '100',
    CHECK_INTERVAL_SECONDS: '1',
    DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
  });

  it('ends serving a model of all the rows once the batches stop, without anyone pressing retrain', async () => {
    const table = rows(600, 7);
    for (let b = 0; b < 6; b++) {
      const input = {
        features: table.features.slice(b * 100, (b + 1) * 100),
        labels: table.labels.slice(b * 100, (b + 1) * 100),
      };
      await ingest(input);
      await new Promise((r) => setTimeout(r, 300));
    }
    // A client keeps predicting all along: predictions bring no label, so the table has settled
    // (counting them as new rows, it never did, and the growth never came).
    let predicting = true;
    const predictions = (async () => {
      while (predicting) {
        await call(
          `mutation P($input: PredictInput!) { predict(input: $input, pipeline: "table") { modelVersion } }`,
          { input: { features: table.features.slice(0, 5) } },
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await expectQuietGrowth();
    } finally {
      predicting = false;
      await predictions;
    }
  });

  async function expectQuietGrowth() {
    type Jobs = {
      trainingJobs: { items: { reason: string; status: string; resultVersion: number | null }[] };
    };
    const jobs = await waitFor(
      async () => {
        const r = await call<Jobs>(
          '{ trainingJobs(pipeline: "table") { items { reason status resultVersion } } }',
        );
        const items = r.data?.trainingJobs.items ?? [];
        const quiet = items.find((j) => j.reason.includes('no new labels for a check interval'));
        return quiet && quiet.status === 'SUCCEEDED' ? items : undefined;
      },
      'the growth retrain after the last batch',
      120_000,
    );
    // Nobody asked: a bootstrap, then growth retrains only.
    expect(jobs.every((j) => /^(bootstrap|growth): /.test(j.reason))).toBe(true);
    const last = jobs.find((j) => j.reason.includes('no new labels for a check interval'))!;
    expect(last.reason).toMatch(/^growth: 600 labelled rows available, v\d+ used \d+ \(no new labels/);
    const version = await call<{ model: { trainRows: number; holdoutRows: number } }>(
      `{ model(version: ${last.resultVersion}, pipeline: "table") { trainRows holdoutRows } }`,
    );
    // Out of bag the whole window is learned.
    expect(version.data!.model.trainRows).toBe(600);
    // Settled: the model of all 600 rows asks for no further growth.
    await new Promise((r) => setTimeout(r, 3000));
    const after = await call<Jobs>(
      '{ trainingJobs(pipeline: "table") { items { reason status resultVersion } } }',
    );
    expect(after.data!.trainingJobs.items.length).toBe(jobs.length);
  }
});

/** Rows a forest learns without error: the class is x0 > 0.5, and no x0 falls within 0.1 of it. */
function separable(n: number, seed: number) {
  const { features } = rows(n, seed);
  for (const f of features) f[0] = f[0]! < 0.5 ? f[0]! * 0.8 : 0.6 + (f[0]! - 0.5) * 0.8;
  return { features, labels: features.map((f) => (f[0]! > 0.5 ? 1 : 0)) };
}

describe('growth retrains on a live stream the serving version barely errs on', () => {
  // As above, with a search; the stream is live (CHECK_INTERVAL_SECONDS at its default: never
  // quiet here).
  const { call, ingest, firstModel } = platformFor('easy', {
    AUTOML_BUDGET_SECONDS: '1',
    MIN_TRAIN_ROWS: '200',
    GROWTH_RETRAIN_ROWS: '1200',
    DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
  });

  it('queues none while its version, chosen by a search, errs on under PROMOTION_TOLERANCE of its outcomes', async () => {
    await ingest(separable(250, 11));
    const first = await firstModel();
    expect(first.version).toBe(1);
    expect(first.search, JSON.stringify(first)).not.toBeNull();
    // 1,500 more rows (the step is 1,200), every one scored right by v1: a grown model could gain
    // nothing the gate would see, so the check queues no growth.
    await ingest(separable(1500, 12));
    // The ingest's own check may still be running: a second check comes after it.
    const CHECK = 'mutation { checkDrift(pipeline: "easy") { event { action trainingJob { id } } } }';
    for (const _ of [1, 2]) {
      const check = await call<{ checkDrift: { event: { action: string; trainingJob: unknown } } }>(CHECK);
      expect(check.data?.checkDrift.event).toMatchObject({ action: 'NONE', trainingJob: null });
      await new Promise((r) => setTimeout(r, 1000));
    }
    const stats = await call<{ model: { metrics: { accuracy: number } } }>(
      '{ model(version: 1, pipeline: "easy") { metrics { accuracy } } }',
    );
    expect(stats.data!.model.metrics.accuracy).toBeGreaterThan(0.99);
    const jobs = await call<{ trainingJobs: { total: number } }>(
      '{ trainingJobs(pipeline: "easy") { total } }',
    );
    expect(jobs.data?.trainingJobs.total).toBe(1);
  });
});
