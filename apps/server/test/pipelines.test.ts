// Many pipelines (issue #15) on one running platform, over a real server on a real port: three
// different tables train, serve, drift-check and list independently; ids of one pipeline reach
// nothing of another; keys limited to pipelines are refused elsewhere before any work; names are
// checked; archiving stops writes and jobs and keeps the data readable.
import { ApiKeys } from '@automl-stream/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';
import { waitFor } from './hardening/harness.ts';

const INGEST = `mutation I($input: IngestInput!, $pipeline: String) {
  ingest(input: $input, pipeline: $pipeline) { rowsStored labelledRows modelVersion }
}`;
const PREDICT = `mutation P($input: PredictInput!, $pipeline: String) {
  predict(input: $input, pipeline: $pipeline) { modelVersion predictions { id label className } }
}`;
const ACTIVE = 'query A($pipeline: String) { activeModel(pipeline: $pipeline) { version } }';
const CHECK = `mutation C($pipeline: String) {
  checkDrift(pipeline: $pipeline) { skipped event { id trainingJob { id } } }
}`;

/** A seeded stream of numbers in [0, 1). */
function rng(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Flowers: two numeric columns, three named classes. */
function flowers(n: number, seed: number) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const petal = r() * 6;
    const sepal = 4 + r() * 3;
    return { petal, sepal, species: petal < 2 ? 'setosa' : petal < 4 ? 'versicolor' : 'virginica' };
  });
}

/** Credit: a categorical column with gaps and a numeric one; classes yes/no. */
function credit(n: number, seed: number) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const income = Math.round(r() * 100);
    const job = ['clerk', 'nurse', 'pilot'][Math.floor(r() * 3)]!;
    const approved = income > 60 || job === 'pilot' ? 'yes' : 'no';
    return { income, job: r() < 0.1 ? 'NA' : job, approved };
  });
}

/** Sensors: positional rows of four features, integer labels. */
function sensors(n: number, seed: number) {
  const r = rng(seed);
  const features = Array.from({ length: n }, () => [r(), r(), r(), r()]);
  return { features, labels: features.map((f) => (f[0]! + f[3]! > 1 ? 1 : 0)) };
}

describe('many pipelines on one platform', () => {
  let p: TestPlatform;
  const call = <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    key?: string,
  ) => gql<T>(p.graphqlUrl, query, variables, key ?? p.adminKey);
  const servingVersion = (pipeline: string) =>
    waitFor(
      async () => {
        const r = await call<{ activeModel: { version: number } | null }>(ACTIVE, { pipeline });
        return r.data?.activeModel?.version;
      },
      `a model serving in ${pipeline}`,
      90_000,
    );

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '100',
      // 200 trees over 400 rows: three such forests do not fit MODEL_CACHE_MB=1 together, so
      // the least recently used are evicted and loaded again on their next use.
      N_ESTIMATORS: '200',
      MODEL_CACHE_MB: '1',
    });
    const s = sensors(400, 3);
    const stored = await Promise.all([
      call(INGEST, { pipeline: 'flowers', input: { records: flowers(400, 1), labelColumn: 'species' } }),
      call(INGEST, { pipeline: 'credit', input: { records: credit(400, 2), labelColumn: 'approved' } }),
      call(INGEST, { pipeline: 'sensors', input: { features: s.features, labels: s.labels } }),
    ]);
    expect(
      stored.map((r) => r.errors ?? (r.data as { ingest: { labelledRows: number } }).ingest.labelledRows),
    ).toEqual([400, 400, 400]);
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('trains, serves and describes three tables independently, each numbering its own versions', async () => {
    for (const name of ['flowers', 'credit', 'sensors']) expect(await servingVersion(name)).toBe(1);
    const flower = await call<{ predict: { predictions: { className: string }[] } }>(PREDICT, {
      pipeline: 'flowers',
      input: {
        records: [
          { petal: 0.5, sepal: 5 },
          { petal: 5.5, sepal: 6 },
        ],
      },
    });
    expect(flower.data?.predict.predictions.map((x) => x.className)).toEqual(['setosa', 'virginica']);
    const approval = await call<{ predict: { predictions: { className: string }[] } }>(PREDICT, {
      pipeline: 'credit',
      input: {
        records: [
          { income: 95, job: 'clerk' },
          { income: 10, job: 'nurse' },
        ],
      },
    });
    expect(approval.data?.predict.predictions.map((x) => x.className)).toEqual(['yes', 'no']);
    const schemas = await call<Record<string, { columns: { name: string }[] }>>(
      `{ f: dataSchema(pipeline: "flowers") { columns { name } } c: dataSchema(pipeline: "credit") { columns { name } }
         s: dataSchema(pipeline: "sensors") { columns { name } } }`,
    );
    expect(schemas.data?.f?.columns.map((c) => c.name)).toEqual(['petal', 'sepal']);
    expect(schemas.data?.c?.columns.map((c) => c.name)).toEqual(['income', 'job']);
    expect(schemas.data?.s?.columns.map((c) => c.name)).toEqual(['f0', 'f1', 'f2', 'f3']);
    // The default pipeline is untouched: no rows, no model.
    const stats = await call<{ stats: { rowsIngested: number; activeModelVersion: number | null } }>(
      '{ stats { rowsIngested activeModelVersion } }',
    );
    expect(stats.data?.stats).toEqual({ rowsIngested: 0, activeModelVersion: null });
    // The cache of 1 MB held one forest at a time: the others were evicted and loaded again.
    expect(p.server.platform.models.evictions).toBeGreaterThan(0);
    const { models } = p.server.platform;
    expect(models.bytes <= 1024 * 1024 || models.size === 1).toBe(true);
  });

  it('lists the fleet with each pipeline’s version, accuracy and drift checks', async () => {
    for (const name of ['flowers', 'credit', 'sensors']) {
      const check = await call<{ checkDrift: { skipped: string | null; event: { id: string } | null } }>(
        CHECK,
        {
          pipeline: name,
        },
      );
      expect(check.data?.checkDrift.event?.id).toBeDefined();
    }
    const fleet = await call<{
      pipelines: {
        name: string;
        servingVersion: number | null;
        lastCheckAt: string | null;
        attention: string;
      }[];
    }>('{ pipelines { name servingVersion lastCheckAt attention } }');
    const byName = new Map(fleet.data?.pipelines.map((x) => [x.name, x]));
    expect([...byName.keys()].sort()).toEqual(['credit', 'default', 'flowers', 'sensors']);
    for (const name of ['flowers', 'credit', 'sensors']) {
      expect(byName.get(name)?.servingVersion).toBe(1);
      expect(byName.get(name)?.lastCheckAt).not.toBeNull();
    }
    expect(byName.get('default')).toMatchObject({ servingVersion: null, attention: 'NO_MODEL' });

    // Predictions whose true class came back count in the serving version's accuracy (they read
    // "–" before: a client that only predicts and sends feedback had no accuracy on the fleet).
    const accuracyOf = async () =>
      (
        await call<{ pipelines: { name: string; accuracy: number | null; accuracyRows: number }[] }>(
          '{ pipelines { name accuracy accuracyRows } }',
        )
      ).data!.pipelines.find((x) => x.name === 'flowers')!;
    const before = await accuracyOf();
    const predicted = await call<{ predict: { predictions: { id: string; className: string }[] } }>(PREDICT, {
      pipeline: 'flowers',
      input: {
        records: [
          { petal: 0.4, sepal: 5 },
          { petal: 5.2, sepal: 6 },
          { petal: 0.7, sepal: 4.5 },
        ],
      },
    });
    const sent = predicted.data!.predict.predictions;
    // Two right, one wrong.
    const truth = [
      sent[0]!.className,
      sent[1]!.className,
      sent[2]!.className === 'setosa' ? 'virginica' : 'setosa',
    ];
    const fed = await call(
      'mutation F($input: FeedbackInput!) { submitFeedback(pipeline: "flowers", input: $input) { updated } }',
      { input: { predictionIds: sent.map((x) => x.id), labelNames: truth } },
    );
    expect(fed.errors).toBeUndefined();
    const after = await accuracyOf();
    expect(after.accuracyRows).toBe(before.accuracyRows + 3);
    const right = (before.accuracy ?? 0) * before.accuracyRows + 2;
    expect(after.accuracy).toBeCloseTo(right / after.accuracyRows, 10);
  });

  it('reaches nothing of another pipeline through an id', async () => {
    const checks = await call<{
      driftEvents: { items: { id: string; trainingJob: { id: string } | null }[] };
    }>('{ driftEvents(pipeline: "flowers") { items { id trainingJob { id } } } }');
    const checkId = checks.data!.driftEvents.items[0]!.id;
    const jobs = await call<{ trainingJobs: { items: { id: string }[] } }>(
      '{ trainingJobs(pipeline: "flowers") { items { id } } }',
    );
    const jobId = jobs.data!.trainingJobs.items[0]!.id;
    const elsewhere = await call<{ driftEvent: unknown; trainingJob: unknown }>(
      'query Q($c: ID!, $j: ID!) { driftEvent(id: $c, pipeline: "credit") { id } trainingJob(id: $j, pipeline: "credit") { id } }',
      { c: checkId, j: jobId },
    );
    expect(elsewhere.data).toEqual({ driftEvent: null, trainingJob: null });
    const own = await call<{ driftEvent: { id: string } | null }>(
      'query Q($c: ID!) { driftEvent(id: $c, pipeline: "flowers") { id } }',
      { c: checkId },
    );
    expect(own.data?.driftEvent?.id).toBe(checkId);
    const predicted = await call<{ predict: { predictions: { id: string }[] } }>(PREDICT, {
      pipeline: 'flowers',
      input: { records: [{ petal: 1, sepal: 5 }] },
    });
    const predictionId = predicted.data!.predict.predictions[0]!.id;
    const feedback = await call(
      'mutation F($input: FeedbackInput!) { submitFeedback(input: $input, pipeline: "credit") { updated } }',
      { input: { predictionIds: [predictionId], labels: [0] } },
    );
    expect(feedback.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(feedback.errors?.[0]?.message).toMatch(new RegExp(`no prediction with id ${predictionId}`));
    const model = await call<{ model: { version: number } | null }>(
      '{ model(version: 1, pipeline: "default") { version } }',
    );
    expect(model.data?.model).toBeNull();
  });

  it('refuses a key limited to one pipeline everywhere else, before any work', async () => {
    const keys = new ApiKeys(p.database.sql);
    const { key } = await keys.create('flowers writer', 'writer', p.database.sql, ['flowers']);
    const rows = await call<{ ingest: { rowsStored: number } }>(
      INGEST,
      { pipeline: 'flowers', input: { records: flowers(5, 9), labelColumn: 'species' } },
      key,
    );
    expect(rows.data?.ingest.rowsStored).toBe(5);
    const before = await call<{ stats: { rowsIngested: number } }>(
      '{ stats(pipeline: "credit") { rowsIngested } }',
    );
    for (const [query, variables] of [
      [INGEST, { pipeline: 'credit', input: { records: credit(5, 9), labelColumn: 'approved' } }],
      [INGEST, { input: { features: [[1, 2, 3, 4]], labels: [1] } }],
      ['{ stats(pipeline: "credit") { rowsIngested } }', {}],
      ['subscription { statsUpdated(pipeline: "sensors") { rowsIngested } }', {}],
    ] as const) {
      const refused = await call(query, variables, key);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const refused = await call(INGEST, { pipeline: 'credit', input: { records: credit(5, 9) } }, key);
    expect(refused.errors?.[0]?.message).toBe(
      'your key "flowers writer" may use the pipelines "flowers", not "credit"',
    );
    const after = await call<{ stats: { rowsIngested: number } }>(
      '{ stats(pipeline: "credit") { rowsIngested } }',
    );
    expect(after.data?.stats.rowsIngested).toBe(before.data?.stats.rowsIngested);
    const rest = await fetch(`${p.url}/pipelines/credit/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ records: [{ income: 50, job: 'clerk' }] }),
    });
    expect(rest.status).toBe(403);
    const fleet = await call<{ pipelines: { name: string }[] }>('{ pipelines { name } }', {}, key);
    expect(fleet.data?.pipelines.map((x) => x.name)).toEqual(['flowers']);
  });

  it('answers REST on /pipelines/{name}/…, in the original pipeline’s shape', async () => {
    const rest = (path: string, body: unknown) =>
      fetch(`${p.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${p.adminKey}` },
        body: JSON.stringify(body),
      });
    const predicted = await rest('/pipelines/sensors/predict', { features: [[0.9, 0, 0, 0.9]] });
    expect(predicted.status).toBe(200);
    expect(await predicted.json()).toMatchObject({ predictions: [1], model_version: 1 });
    const stored = await rest('/pipelines/sensors/ingest/batch', {
      features: [[0.1, 0.1, 0.1, 0.1]],
      labels: [0],
    });
    expect(await stored.json()).toMatchObject({ status: 'success', rows_stored: 1 });
    const bad = await rest('/pipelines/No%20Such/predict', { features: [[1, 1, 1, 1]] });
    expect(bad.status).toBe(400);
    const missing = await rest('/pipelines/nowhere/predict', { features: [[1, 1, 1, 1]] });
    expect(missing.status).toBe(404);
  });

  it('checks pipeline names and settings, and creates a pipeline on first ingest', async () => {
    const bad = await call(PREDICT, { pipeline: 'Not OK', input: { features: [[1]] } });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toMatch(/lowercase letters, digits/);
    const unknown = await call(PREDICT, { pipeline: 'ghost', input: { features: [[1]] } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const created = await call<{ createPipeline: { name: string; settings: Record<string, number> } }>(
      'mutation { createPipeline(input: { name: "tuned", settings: { N_ESTIMATORS: 7, WINDOW_SIZE: "250" } }) { name settings } }',
    );
    expect(created.data?.createPipeline).toEqual({
      name: 'tuned',
      settings: { N_ESTIMATORS: 7, WINDOW_SIZE: 250 },
    });
    const config = await call<{ config: { nEstimators: number; windowSize: number } }>(
      '{ config(pipeline: "tuned") { nEstimators windowSize } }',
    );
    expect(config.data?.config).toEqual({ nEstimators: 7, windowSize: 250 });
    const again = await call('mutation { createPipeline(input: { name: "tuned" }) { name } }');
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const wrong = await call(
      'mutation { configurePipeline(name: "tuned", settings: { N_ESTIMATORS: 0, COLOUR: "red" }) { name } }',
    );
    expect(wrong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrong.errors?.[0]?.message).toMatch(/N_ESTIMATORS: .*COLOUR: not a pipeline setting/s);
    const configured = await call<{ configurePipeline: { settings: Record<string, number> } }>(
      'mutation { configurePipeline(name: "tuned", settings: { MAX_DEPTH: 4 }) { settings } }',
    );
    expect(configured.data?.configurePipeline.settings).toEqual({ MAX_DEPTH: 4 });
    const fresh = await call<{ ingest: { rowsStored: number } }>(INGEST, {
      pipeline: 'fresh-1',
      input: { records: [{ a: 1, label: 'x' }] },
    });
    expect(fresh.data?.ingest.rowsStored).toBe(1);
  });

  it('archives a pipeline: writes and jobs stop, its data stays readable', async () => {
    const archived = await call<{ archivePipeline: { archived: boolean } }>(
      'mutation { archivePipeline(name: "sensors") { archived } }',
    );
    expect(archived.data?.archivePipeline.archived).toBe(true);
    const write = await call(INGEST, {
      pipeline: 'sensors',
      input: { features: [[1, 1, 1, 1]], labels: [1] },
    });
    expect(write.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(write.errors?.[0]?.message).toBe(
      'pipeline "sensors" is archived: restore it before writing to it',
    );
    const retrain = await call('mutation { retrain(pipeline: "sensors") { alreadyPending } }');
    expect(retrain.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const stats = await call<{ stats: { rowsIngested: number } }>(
      '{ stats(pipeline: "sensors") { rowsIngested } }',
    );
    expect(stats.data?.stats.rowsIngested).toBe(401);
    const listed = await call<{ pipelines: { name: string }[] }>('{ pipelines { name } }');
    expect(listed.data?.pipelines.map((x) => x.name)).not.toContain('sensors');
    const all = await call<{ pipelines: { name: string; attention: string }[] }>(
      '{ pipelines(includeArchived: true) { name attention } }',
    );
    expect(all.data?.pipelines.find((x) => x.name === 'sensors')?.attention).toBe('ARCHIVED');
    const notDefault = await call('mutation { archivePipeline(name: "default") { archived } }');
    expect(notDefault.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const restored = await call<{ archivePipeline: { archived: boolean } }>(
      'mutation { archivePipeline(name: "sensors", archived: false) { archived } }',
    );
    expect(restored.data?.archivePipeline.archived).toBe(false);
    const written = await call<{ ingest: { rowsStored: number } }>(INGEST, {
      pipeline: 'sensors',
      input: { features: [[1, 1, 1, 1]], labels: [1] },
    });
    expect(written.data?.ingest.rowsStored).toBe(1);
  });
});
