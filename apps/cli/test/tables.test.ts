// Bring your own table through the command line: a CSV with NA gaps, y/n answers and pos/neg
// classes goes in as it is, and predictions come back as the class names.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './run-cli.ts';

/** A medical-like table: glucose and smoking decide the class; insulin is "NA" a third of the time. */
function medical(n: number, seed: number): string {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  const lines = ['glucose,insulin,smoker,"blood pressure",class'];
  for (let i = 0; i < n; i++) {
    const glucose = Math.round(60 + rand() * 140);
    const smoker = rand() < 0.5 ? 'y' : 'n';
    const insulin = rand() < 0.33 ? 'NA' : String(Math.round(rand() * 300));
    const pressure = rand() < 0.1 ? '' : String(Math.round(60 + rand() * 40));
    const positive = glucose > 140 || (smoker === 'y' && glucose > 110);
    lines.push(
      [glucose, insulin, rand() < 0.05 ? '?' : smoker, pressure, positive ? 'pos' : 'neg'].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('a table as it is, through the command line', () => {
  let p: TestPlatform;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '300', N_ESTIMATORS: '30' });
    dir = mkdtempSync(path.join(tmpdir(), 'automl-tables-'));
    env = { AUTOML_URL: p.url, AUTOML_API_KEY: p.adminKey! };
  });
  afterAll(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ingests NA, y/n and pos/neg as they are, keeping the column names', async () => {
    const file = path.join(dir, 'medical.csv');
    writeFileSync(file, medical(800, 1));
    const run = await cli(['ingest', file, '--label-column', 'class'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^stored 800 of 800 rows from .*medical\.csv in 1 batches/);
    const schema = await gql<{
      dataSchema: { columns: { name: string; type: string }[]; label: { classes: string[] } };
    }>(p.graphqlUrl, '{ dataSchema { columns { name type } label { classes } } }', {}, p.adminKey);
    expect(schema.data?.dataSchema.columns).toEqual([
      { name: 'glucose', type: 'NUMERIC' },
      { name: 'insulin', type: 'NUMERIC' },
      { name: 'smoker', type: 'CATEGORICAL' },
      { name: 'blood pressure', type: 'NUMERIC' },
    ]);
    expect([...schema.data!.dataSchema.label.classes].sort()).toEqual(['neg', 'pos']);
  });

  it('predicts with the class names: prediction, p_<class>, and the accuracy against the label', async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await gql<{ activeModel: { version: number } | null }>(
        p.graphqlUrl,
        '{ activeModel { version } }',
        {},
        p.adminKey,
      );
      if (r.data?.activeModel) break;
      if (Date.now() > deadline) throw new Error('no model after 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const file = path.join(dir, 'new.csv');
    writeFileSync(file, medical(200, 2));
    const out = path.join(dir, 'scored.csv');
    const run = await cli(['predict', file, '-o', out, '--label-column', 'class'], env);
    expect(run.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(
      /^glucose,insulin,smoker,blood pressure,class,prediction,p_(pos|neg),p_(pos|neg),prediction_id,model_version$/,
    );
    const predicted = lines.slice(1).map((l) => l.split(',')[5]);
    expect(new Set(predicted)).toEqual(new Set(['pos', 'neg']));
    const accuracy = Number(/accuracy against column "class": (0\.\d+|1\.000)/.exec(run.stdout)![1]);
    expect(accuracy).toBeGreaterThan(0.85);
    expect(run.stderr).not.toMatch(/warning/);

    // A file without a column the model reads is predicted, with a warning that it is missing.
    const partial = path.join(dir, 'partial.csv');
    writeFileSync(partial, 'glucose,smoker\n190,y\n70,n\n');
    const warned = await cli(['predict', partial, '--json'], env);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain(
      `warning: ${partial} has no columns "insulin", "blood pressure" of the schema: every row is predicted with them missing`,
    );
    expect(JSON.parse(warned.stdout).map((r: { prediction: string }) => r.prediction)).toHaveLength(2);
  });

  it('sends the true classes of the predictions back from the scored file (feedback), once', async () => {
    // The file predict -o wrote in the test above: prediction_id and the class column.
    const scored = path.join(dir, 'scored.csv');
    const lines = readFileSync(scored, 'utf8').trim().split('\n');
    // Half of the outcomes known so far: the other classes blank.
    const half = path.join(dir, 'half.csv');
    writeFileSync(
      half,
      `${lines.map((l, i) => (i > 100 ? l.replace(/,(pos|neg),(pos|neg),/, ',,$2,') : l)).join('\n')}\n`,
    );
    const first = await cli(['feedback', half], env);
    expect(first.stderr).toMatch(
      /^feedback {2}\[#{24}\] {2}100% {2}100\/100 rows {2}[\d.]+k? rows\/s {2}\d+s\n$/,
    );
    expect(first.stdout).toBe(
      `recorded 100 true classes from ${half} in pipeline "default"; 100 rows have no class yet\n`,
    );
    const all = await cli(['feedback', scored, '--json'], env);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toEqual({
      file: scored,
      updated: 100,
      unchanged: 100,
      sent: 200,
      waiting: 0,
      complete: true,
    });
    // Stored as the class each row's file says.
    const rows = lines.slice(1).map((l) => l.split(','));
    const ids = rows.map((f) => Number(f.at(-2)));
    const classes = (
      await gql<{ dataSchema: { label: { classes: string[] } } }>(
        p.graphqlUrl,
        '{ dataSchema { label { classes } } }',
        {},
        p.adminKey,
      )
    ).data!.dataSchema.label.classes;
    const stored = await p.database.sql<{ id: string; feedback_label: number }[]>`
      select id, feedback_label from predictions where id = any(${ids}::bigint[]) and feedback_label is not null`;
    const byId = new Map(stored.map((r) => [Number(r.id), classes[r.feedback_label]]));
    expect(byId.size).toBe(200);
    expect(rows.every((f) => byId.get(Number(f.at(-2))) === f[4])).toBe(true);

    const noIds = path.join(dir, 'no-ids.csv');
    writeFileSync(noIds, 'glucose,class\n1,pos\n');
    const refused = await cli(['feedback', noIds], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: ${noIds} has no prediction_id column (columns: glucose, class): feedback names the predictions by the ids predict wrote\n`,
    );
    const unknown = path.join(dir, 'unknown.csv');
    writeFileSync(unknown, `prediction_id,class\n${ids[0]},maybe\n`);
    const bad = await cli(['feedback', unknown], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: BAD_USER_INPUT: labelNames\[0\]: "maybe" is not a class of this pipeline/m,
    );
  });

  it("reads a European spreadsheet's CSV (semicolons, decimal commas) as numbers and writes it back the same way", async () => {
    // The medical table as a spreadsheet in Germany saves it: "123,5" for 123.5, fields split by ";".
    const european = (n: number, seed: number) =>
      medical(n, seed)
        .split('\n')
        .map((line, i) => {
          if (i === 0 || !line) return line.replaceAll(',', ';');
          const fields = line.split(',');
          return [`${fields[0]},5`, ...fields.slice(1)].join(';');
        })
        .join('\n');
    const file = path.join(dir, 'eu.csv');
    writeFileSync(file, european(800, 3));
    expect(readFileSync(file, 'utf8').split('\n')[1]).toMatch(/^\d+,5;(\d+|NA);[yn?];\d*;(pos|neg)$/);
    const run = await cli(['ingest', file, '--pipeline', 'eu', '--label-column', 'class'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`reading ${file} as ";"-separated with decimal commas`);
    // One batch, one progress line (it was printed twice off a terminal).
    expect(run.stderr.split('\n').filter((l) => l.startsWith('ingest')).length).toBe(1);
    const shown = JSON.parse((await cli(['pipelines', 'show', 'eu', '--json'], env)).stdout);
    const types = Object.fromEntries(
      shown.dataSchema.columns.map((c: { name: string; type: string }) => [c.name, c.type]),
    );
    expect(types).toEqual({
      glucose: 'NUMERIC',
      insulin: 'NUMERIC',
      smoker: 'CATEGORICAL',
      'blood pressure': 'NUMERIC',
    });

    const deadline = Date.now() + 60_000;
    while (
      !(
        await gql<{ activeModel: unknown }>(
          p.graphqlUrl,
          '{ activeModel(pipeline: "eu") { version } }',
          {},
          p.adminKey,
        )
      ).data?.activeModel
    ) {
      if (Date.now() > deadline) throw new Error('no model after 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const fresh = path.join(dir, 'eu-new.csv');
    writeFileSync(fresh, european(100, 4));
    const out = path.join(dir, 'eu-scored.csv');
    const scored = await cli(['predict', fresh, '--pipeline', 'eu', '-o', out], env);
    expect(scored.code).toBe(0);
    expect(
      Number(/accuracy against column "class": (0\.\d+|1\.000)/.exec(scored.stdout)![1]),
    ).toBeGreaterThan(0.85);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(
      /^glucose;insulin;smoker;blood pressure;class;prediction;p_(pos|neg);p_(pos|neg);prediction_id;model_version$/,
    );
    // The values as written, and the probabilities with the file's decimal mark.
    expect(lines[1]!.split(';')[0]).toBe(readFileSync(fresh, 'utf8').split('\n')[1]!.split(';')[0]);
    expect(
      lines.slice(1).every((l) => /^\d+,5;/.test(l) && /;(0|1|0,\d+);(0|1|0,\d+);\d+;\d+$/.test(l)),
    ).toBe(true);
  });

  it('stores a table whose classes are partly unknown: the rows without one go in without it', async () => {
    // Before, the first batch mixing both was refused: "records[6] has no label but other records have one";
    // then the CLI sent it as two batches; the platform stores such a batch whole now.
    const lines = medical(300, 5).trim().split('\n');
    const file = path.join(dir, 'gaps.csv');
    writeFileSync(
      file,
      `${lines.map((l, i) => (i > 0 && i % 7 === 0 ? l.replace(/,(pos|neg)$/, ',') : l)).join('\n')}\n`,
    );
    const args = ['ingest', file, '--pipeline', 'gaps', '--label-column', 'class', '--batch-size', '100'];
    const run = await cli(args, env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `stored 300 of 300 rows from ${file} in 3 batches, 258 of them with a class (the others without one: features only, for drift)\n`,
    );
    const [counts] = await p.database.sql<{ rows: number; labelled: number }[]>`
      select count(*)::int as rows, count(label)::int as labelled from rows
      where pipeline_id = (select id from pipelines where name = 'gaps')`;
    expect(counts).toEqual({ rows: 300, labelled: 258 });
    // In the file's order (they went as two batches before, the labelled rows first).
    const order = await p.database.sql<{ labelled: boolean }[]>`
      select label is not null as labelled from rows
      where pipeline_id = (select id from pipelines where name = 'gaps') order by id`;
    const without = order.flatMap((r, i) => (r.labelled ? [] : [i]));
    expect(without).toEqual(Array.from({ length: 42 }, (_, k) => 7 * k + 6));
    // Resumable as before: every part of every batch is known the second time.
    const again = JSON.parse((await cli([...args, '--json'], env)).stdout);
    expect(again).toMatchObject({ rowsStored: 0, batches: 3, duplicateBatches: 3 });
  });

  it('refuses a file whose values do not fit the schema, naming the line and column', async () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'glucose,insulin,smoker,blood pressure,class\n100,5,y,80,pos\nhigh,5,n,80,neg\n');
    const run = await cli(['ingest', file, '--label-column', 'class'], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`error: ${file}: line 3: column "glucose": "high" is not a number`);
    const extra = path.join(dir, 'extra.csv');
    writeFileSync(extra, 'glucose,insulin,smoker,blood pressure,bmi,class\n100,5,y,80,31,pos\n');
    const refused = await cli(['ingest', extra, '--label-column', 'class'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/has column "bmi" that the schema of pipeline "default" does not/);
  });
});
