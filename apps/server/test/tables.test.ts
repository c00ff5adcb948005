// Bring your own table: records keyed by column name with missing values, categories and named
// classes, over GraphQL and REST on a real server; the schema inferred, read, declared and evolved.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { gql, startTestPlatform, type TestPlatform } from '../src/testing.ts';

const INGEST = `mutation Ingest($input: IngestInput!) {
  ingest(input: $input) { rowsStored labelledRows }
}`;
const PREDICT = `mutation Predict($input: PredictInput!) {
  predict(input: $input) { modelVersion unseenCategories absentColumns predictions { label className classProbabilities } }
}`;
const SCHEMA = `{ dataSchema { columns { name type nullable categoryCount categories } label { name kind classes } } }`;
const DEFINE = `mutation D($input: SchemaInput!) { defineSchema(input: $input) { columns { name type nullable } label { name kind classes } } }`;

/**
 * A medical-like table: `glucose` decides the class together with `smoker`; `insulin` is missing
 * in a third of the rows ("NA"), `smoker` is y/n with gaps, classes are pos/neg.
 */
function table(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const glucose = Math.round(60 + rand() * 140);
    const smoker = rand() < 0.5 ? 'y' : 'n';
    const insulin = rand() < 0.33 ? 'NA' : String(Math.round(rand() * 300));
    const positive = glucose > 140 || (smoker === 'y' && glucose > 110);
    return { glucose, insulin, smoker: rand() < 0.05 ? '' : smoker, class: positive ? 'pos' : 'neg' };
  });
}

describe('tables with named, typed columns', () => {
  let p: TestPlatform;
  const call = (query: string, variables: Record<string, unknown> = {}) =>
    gql(p.graphqlUrl, query, variables, p.adminKey);
  const rest = (path: string, body: unknown) =>
    fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${p.adminKey}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '200',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('infers the schema from a first batch of records and stores missing values as NaN', async () => {
    const first = await call(INGEST, {
      input: { records: table(300, 1), labelColumn: 'class', batchId: 't1' },
    });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({ ingest: { rowsStored: 300, labelledRows: 300 } });
    const schema = (await call(SCHEMA)).data as { dataSchema: unknown };
    expect(schema.dataSchema).toEqual({
      columns: [
        { name: 'glucose', type: 'NUMERIC', nullable: true, categoryCount: 0, categories: [] },
        { name: 'insulin', type: 'NUMERIC', nullable: true, categoryCount: 0, categories: [] },
        {
          name: 'smoker',
          type: 'CATEGORICAL',
          nullable: true,
          categoryCount: 2,
          categories: expect.any(Array),
        },
      ],
      label: { name: 'class', kind: 'STRING', classes: expect.arrayContaining(['pos', 'neg']) },
    });
    const [missing] = await p.database.sql<{ n: number }[]>`
      select count(*)::int as n from rows where features[2] = 'NaN'::float8`;
    expect(missing!.n).toBeGreaterThan(60);
  });

  it('refuses what does not fit, naming the column', async () => {
    const badType = await call(INGEST, {
      input: { records: [{ glucose: 'high', insulin: 1, smoker: 'y', class: 'pos' }] },
    });
    expect(badType.errors?.[0]).toMatchObject({
      message: 'records[0]: column "glucose" is numeric; "high" is not a number',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const unknown = await call(INGEST, {
      input: { records: [{ glucose: 1, insulin: 1, smoker: 'y', bmi: 2, class: 'pos' }] },
    });
    expect(unknown.errors?.[0]?.message).toMatch(/^column "bmi" \(records\[0\]\) is not in the schema/);
    const positional = await call(INGEST, { input: { features: [[1, 2, 3]], labels: [0] } });
    expect(positional.errors?.[0]?.message).toMatch(/has categorical columns \(smoker\): send records/);
  });

  it('trains on the table and answers the class by name, with a probability per class name', async () => {
    const { job } = await p.server.platform.drift.requestRetrain('test');
    const result = await p.server.platform.retrain.run(job.id);
    expect(result.promoted).toBe(true);
    await p.server.platform.holder.refresh();
    const r = await call(PREDICT, {
      input: {
        records: [
          { glucose: 190, insulin: 'NA', smoker: 'n' },
          { glucose: 70, insulin: 20, smoker: 'n' },
          { glucose: 125, insulin: null, smoker: 'y' },
          { glucose: 125, smoker: 'former' },
        ],
      },
    });
    expect(r.errors).toBeUndefined();
    const predict = (
      r.data as {
        predict: {
          unseenCategories: number;
          absentColumns: string[];
          predictions: { className: string; classProbabilities: Record<string, number> }[];
        };
      }
    ).predict;
    expect(predict.predictions.slice(0, 3).map((x) => x.className)).toEqual(['pos', 'neg', 'pos']);
    expect(Object.keys(predict.predictions[0]!.classProbabilities).sort()).toEqual(['neg', 'pos']);
    expect(predict.unseenCategories).toBe(1);
    expect(predict.absentColumns).toEqual([]);
  });

  it('stores a batch mixing rows with and without a class: the labelled ones train, the others count for drift', async () => {
    // Before, the batch was refused: "records[1] has no label but other records have one".
    const records = table(30, 9).map((r, i) => (i % 3 === 1 ? { ...r, class: null } : r));
    const r = await call(INGEST, { input: { records, batchId: 'mixed-1' } });
    expect(r.errors).toBeUndefined();
    expect((r.data as { ingest: unknown }).ingest).toEqual({ rowsStored: 30, labelledRows: 20 });
    const [counts] = await p.database.sql<{ rows: number; labelled: number }[]>`
      select count(*)::int as rows, count(r.label)::int as labelled
      from rows r join batches b on b.id = r.batch_pk where b.batch_id = 'mixed-1'`;
    expect(counts).toEqual({ rows: 30, labelled: 20 });
  });

  it('names the columns no record carried: predicted as missing in every row', async () => {
    const r = await call(PREDICT, {
      input: {
        records: [
          { glucose: 190, smoker: 'n' },
          { glucose: 70, smoker: 'y', class: 'neg' },
        ],
      },
    });
    expect(r.errors?.[0]?.message).toBeUndefined();
    const predict = (r.data as { predict: { absentColumns: string[]; predictions: unknown[] } }).predict;
    expect(predict.absentColumns).toEqual(['insulin']);
    expect(predict.predictions).toHaveLength(2);
    const viaRest = await rest('/predict', { records: [{ insulin: 3 }] });
    expect(viaRest.status).toBe(200);
    const answer = (await viaRest.json()) as { absent_columns: string[] };
    expect(answer.absent_columns).toEqual(['glucose', 'smoker']);
  });

  it('takes delayed labels by class name (labelNames); the same labels sent twice change nothing', async () => {
    const SERIES = '{ accuracySeries(bucketSize: 1, limit: 3) { position accuracy count } }';
    type Series = { accuracySeries: { position: number; accuracy: number; count: number }[] };
    const before = ((await call(SERIES, {})).data as Series).accuracySeries;
    const r = await call(
      'mutation P($input: PredictInput!) { predict(input: $input) { predictions { id className } } }',
      {
        input: {
          records: [
            { glucose: 190, insulin: 'NA', smoker: 'n' },
            { glucose: 70, insulin: 20, smoker: 'n' },
          ],
        },
      },
    );
    const predicted = (r.data as { predict: { predictions: { id: string; className: string }[] } }).predict
      .predictions;
    const ids = predicted.map((x) => x.id);
    // The first prediction was right, the second wrong.
    const truth = [predicted[0]!.className, predicted[1]!.className === 'pos' ? 'neg' : 'pos'];
    const FEEDBACK = `mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated unchanged } }`;
    const sent = await call(FEEDBACK, { input: { predictionIds: ids, labelNames: truth } });
    expect(sent.data).toEqual({ submitFeedback: { updated: 2, unchanged: 0 } });
    const rows = await p.database.sql<{ feedback_label: number }[]>`
      select feedback_label from predictions where id = any(${ids.map(Number)}::bigint[]) order by id`;
    const classes = ((await call(SCHEMA, {})).data as { dataSchema: { label: { classes: string[] } } })
      .dataSchema.label.classes;
    expect(rows.map((row) => classes[row.feedback_label])).toEqual(truth);
    const again = await call(FEEDBACK, { input: { predictionIds: ids, labelNames: truth } });
    expect(again.data).toEqual({ submitFeedback: { updated: 0, unchanged: 2 } });
    // The two outcomes are the newest points of the accuracy series, in the order they were served
    // (before, the series read ingested rows only: delayed labels never showed).
    const after = ((await call(SERIES, {})).data as Series).accuracySeries;
    const last = before.at(-1)?.position ?? 0;
    expect(after.slice(-2)).toEqual([
      { position: last + 1, accuracy: 1, count: 1 },
      { position: last + 2, accuracy: 0, count: 1 },
    ]);

    const unknown = await call(FEEDBACK, { input: { predictionIds: ids, labelNames: ['pos', 'maybe'] } });
    expect(unknown.errors?.[0]).toMatchObject({
      message: expect.stringMatching(
        /^labelNames\[1\]: "maybe" is not a class of this pipeline \(its classes: (pos, neg|neg, pos)\): a new class comes in with its rows \(ingest\)$/,
      ),
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const both = await call(FEEDBACK, {
      input: { predictionIds: ids, labels: [0, 1], labelNames: ['pos', 'neg'] },
    });
    expect(both.errors?.[0]?.message).toBe(
      'send labels (class numbers) or labelNames (the classes as written), one of them',
    );
    const short = await call(FEEDBACK, { input: { predictionIds: ids, labelNames: ['pos'] } });
    expect(short.errors?.[0]?.message).toBe(
      'labelNames has 1 entries for 2 prediction ids: send one class per prediction',
    );
  });

  it('checks drift by column type and names the columns: category shares and missing shares', async () => {
    // The same rule, but now nearly everyone smokes and insulin is missing in most rows.
    const shifted = table(200, 11).map((r, i) => ({
      ...r,
      smoker: i % 10 === 0 ? 'n' : 'y',
      insulin: i % 5 === 0 ? '40' : 'NA',
    }));
    expect((await call(INGEST, { input: { records: shifted, batchId: 'shifted' } })).errors).toBeUndefined();
    // The check itself, in-process (this platform runs no workers); then read through the API.
    const outcome = await p.server.platform.drift.check('manual');
    const r = await call(
      'query C($id: ID!) { driftEvent(id: $id) { verdict dataQuality { missingRate outOfRange } features { feature drifted reason } } }',
      {
        id: String(outcome.check!.id),
      },
    );
    expect(r.errors).toBeUndefined();
    const features = (
      r.data as { driftEvent: { features: { feature: string; drifted: boolean; reason: string }[] } }
    ).driftEvent.features;
    const byName = new Map(features.map((f) => [f.feature, f]));
    expect([...byName.keys()].sort()).toEqual(['glucose', 'insulin', 'smoker']);
    expect(byName.get('smoker')).toMatchObject({ drifted: true });
    expect(byName.get('smoker')!.reason).toMatch(/category shares moved/);
    expect(byName.get('insulin')).toMatchObject({ drifted: true });
    expect(byName.get('insulin')!.reason).toMatch(/missing share rose/);
    // 4 of every 5 insulin cells are missing: 80 % of one column of three.
    const quality = (r.data as { driftEvent: { dataQuality: { missingRate: number; outOfRange: number } } })
      .driftEvent.dataQuality;
    expect(quality.missingRate).toBeGreaterThan(0.2);
    expect(quality.missingRate).toBeLessThan(0.35);
    // The smoker column's histogram: one bar per category, by name.
    const h = await call(
      'query H($id: ID!) { driftEvent(id: $id) { histogram(feature: 2) { categories reference current } } }',
      {
        id: String(outcome.check!.id),
      },
    );
    const bars = (h.data as { driftEvent: { histogram: { categories: string[]; current: number[] } } })
      .driftEvent.histogram;
    expect(bars.categories).toEqual(['y', 'n']);
    expect(bars.current[0]).toBeGreaterThan(bars.current[1]! * 5);
  });

  it('takes records and named labels over REST and answers classes by name', async () => {
    const records = table(20, 7);
    const labels = records.map((r) => r.class);
    const ingest = await rest('/ingest/batch', {
      records: records.map(({ class: _c, ...r }) => r),
      labels,
      batch_id: 'rest-1',
    });
    expect(ingest.status).toBe(200);
    expect(await ingest.json()).toMatchObject({ status: 'success', rows_stored: 20, labelled_rows: 20 });
    const predict = await rest('/predict', { records: [{ glucose: 190, insulin: 5, smoker: 'y' }] });
    const body = (await predict.json()) as {
      classes: string[];
      class_probabilities: Record<string, number>[];
    };
    expect(body.classes).toEqual(['pos']);
    expect(body.class_probabilities[0]!.pos).toBeGreaterThan(0.5);
  });

  it('evolves a declared schema: a column added, a retype or a drop refused by name', async () => {
    const columns = [
      { name: 'glucose', type: 'NUMERIC' },
      { name: 'insulin', type: 'NUMERIC' },
      { name: 'smoker', type: 'CATEGORICAL' },
    ];
    const label = { name: 'class' };
    const added = await call(DEFINE, {
      input: { columns: [...columns, { name: 'age', type: 'NUMERIC', nullable: false }], label },
    });
    expect(added.errors).toBeUndefined();
    expect(
      (added.data as { defineSchema: { columns: { name: string; nullable: boolean }[] } }).defineSchema
        .columns[3],
    ).toEqual({
      name: 'age',
      type: 'NUMERIC',
      nullable: true,
    });
    const retyped = await call(DEFINE, {
      input: { columns: [{ name: 'glucose', type: 'CATEGORICAL' }, ...columns.slice(1)], label },
    });
    expect(retyped.errors?.[0]).toMatchObject({
      message: 'column "glucose" is numeric; it cannot become categorical (stored rows would change meaning)',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const dropped = await call(DEFINE, { input: { columns: columns.slice(0, 2), label } });
    expect(dropped.errors?.[0]?.message).toMatch(
      /^column "smoker" is in the stored schema but not in the new one/,
    );
    // Rows with the new column are stored and still predicted by the model trained before it.
    const withAge = table(5, 9).map((r) => ({ ...r, age: 40 }));
    expect((await call(INGEST, { input: { records: withAge } })).errors).toBeUndefined();
    const r = await call(PREDICT, {
      input: { records: [{ glucose: 190, insulin: 1, smoker: 'n', age: 50 }] },
    });
    expect(
      (r.data as { predict: { predictions: { className: string }[] } }).predict.predictions[0]!.className,
    ).toBe('pos');
  });

  it('keeps a column of thousands of values in bounds: the model caps it to the most frequent MAX_CATEGORIES', async () => {
    const q = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      MIN_TRAIN_ROWS: '200',
      MAX_CATEGORIES: '32',
    });
    try {
      // 3,000 distinct user ids; the class follows the first 20 of them (frequent) or x.
      const records = Array.from({ length: 3_000 }, (_, i) => {
        const user = i % 2 === 0 ? `u${i % 20}` : `rare-${i}`;
        const x = (i * 7919) % 100;
        return { user, x, class: i % 2 === 0 ? (i % 20 < 10 ? 'a' : 'b') : x < 50 ? 'a' : 'b' };
      });
      for (let k = 0; k < 3; k++) {
        const batch = records.slice(k * 1000, (k + 1) * 1000);
        const r = await gql(
          q.graphqlUrl,
          INGEST,
          { input: { records: batch, labelColumn: 'class', batchId: `hc-${k}` } },
          q.adminKey,
        );
        expect(r.errors).toBeUndefined();
      }
      const schema = await q.server.platform.schemas.current();
      expect(schema!.columns[0]!.categories!.length).toBe(1_510);
      const { job } = await q.server.platform.drift.requestRetrain('test');
      const result = await q.server.platform.retrain.run(job.id);
      expect(result.promoted).toBe(true);
      const caps = result.version!.params.categoryCaps as { kept: number[]; other: number[] }[];
      expect(caps).toHaveLength(1);
      expect(caps[0]!.kept).toHaveLength(31);
      expect(result.version!.metrics.accuracy).toBeGreaterThan(0.9);
      await q.server.platform.holder.refresh();
      const p2 = await gql(
        q.graphqlUrl,
        PREDICT,
        {
          input: {
            records: [
              { user: 'u4', x: 90 },
              { user: 'never-seen', x: 10 },
            ],
          },
        },
        q.adminKey,
      );
      expect(p2.errors).toBeUndefined();
      const predict = (
        p2.data as { predict: { unseenCategories: number; predictions: { className: string }[] } }
      ).predict;
      expect(predict.predictions[0]!.className).toBe('a');
      expect(predict.unseenCategories).toBe(1);
    } finally {
      await q.stop();
    }
  });
});
