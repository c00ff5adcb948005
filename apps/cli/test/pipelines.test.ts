import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli } from './run-cli.ts';

/** `n` rows of two tables with different columns: sensor readings and shop orders. */
const sensorsCsv = (n: number) =>
  `temp,humidity,state\n${Array.from({ length: n }, (_, i) => `${(20 + (i % 7)).toFixed(1)},${(i * 13) % 100},${i % 3 === 0 ? 'hot' : 'ok'}`).join('\n')}\n`;
const ordersCsv = (n: number) =>
  `amount,country,returned\n${Array.from({ length: n }, (_, i) => `${(i * 7) % 90}.5,${['de', 'fr', 'it'][i % 3]},${i % 4 === 0 ? 'yes' : 'no'}`).join('\n')}\n`;

interface FleetRow {
  name: string;
  attention: string;
  servingVersion: number | null;
  pendingTraining: number;
  pipeline: { archived: boolean };
}

describe('pipelines through the CLI against a real platform', () => {
  let p: TestPlatform;
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string, text: string) => {
    const at = path.join(dir, name);
    writeFileSync(at, text);
    return at;
  };
  /** Stored rows per pipeline name, read from the database. */
  const rowsByPipeline = async () => {
    const rows = await p.database.sql<{ name: string; n: number }[]>`
      select p.name, count(r.pipeline_id)::int as n
      from pipelines p left join rows r on r.pipeline_id = p.id group by p.name order by p.name`;
    return Object.fromEntries(rows.map((r) => [r.name, r.n]));
  };

  beforeAll(async () => {
    // MIN_TRAIN_ROWS above what is ingested: no training, so the fleet's state is known.
    p = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '1000', N_ESTIMATORS: '5' });
    dir = mkdtempSync(path.join(tmpdir(), 'automl-cli-pipelines-'));
    env = { AUTOML_URL: p.url, AUTOML_API_KEY: p.adminKey! };
  });
  afterAll(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ingests two tables into two pipelines (--pipeline, AUTOML_PIPELINE); pipelines list shows both', async () => {
    const sensors = file('sensors.csv', sensorsCsv(120));
    const orders = file('orders.csv', ordersCsv(90));
    const [first, second] = await Promise.all([
      cli(['ingest', sensors, '--pipeline', 'sensors', '--label-column', 'state', '--json'], env),
      cli(['ingest', orders, '--label-column', 'returned', '--json'], { ...env, AUTOML_PIPELINE: 'orders' }),
    ]);
    expect(first.stderr).not.toMatch(/error/);
    expect(second.stderr).not.toMatch(/error/);
    expect(JSON.parse(first.stdout)).toMatchObject({ rows: 120, rowsStored: 120, complete: true });
    expect(JSON.parse(second.stdout)).toMatchObject({ rows: 90, rowsStored: 90, complete: true });
    expect(await rowsByPipeline()).toEqual({ default: 0, orders: 90, sensors: 120 });

    // Each pipeline got the schema of its own file.
    const shown = JSON.parse((await cli(['pipelines', 'show', 'orders', '--json'], env)).stdout);
    expect(shown.dataSchema.columns.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['amount', 'NUMERIC'],
      ['country', 'CATEGORICAL'],
    ]);
    expect(shown.dataSchema.label.name).toBe('returned');
    expect([...shown.dataSchema.label.classes].sort()).toEqual(['no', 'yes']);
    // --pipeline wins over AUTOML_PIPELINE: the sensors file goes to sensors, not orders.
    const again = await cli(
      ['ingest', sensors, '--pipeline', 'sensors', '--label-column', 'state', '--json'],
      {
        ...env,
        AUTOML_PIPELINE: 'orders',
      },
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ rowsStored: 0, duplicateBatches: 1 });

    const fleet = JSON.parse((await cli(['pipelines', 'list', '--json'], env)).stdout) as FleetRow[];
    expect(fleet.map((f) => f.name).sort()).toEqual(['default', 'orders', 'sensors']);
    for (const f of fleet)
      expect(f).toMatchObject({ attention: 'NO_MODEL', servingVersion: null, pendingTraining: 0 });
    const table = (await cli(['pipelines', 'list'], env)).stdout.split('\n');
    expect(table[0]).toMatch(
      /^name\s+attention\s+serving\s+accuracy\s+last check \(UTC\)\s+pending training$/,
    );
    expect(table.filter((line) => /^(orders|sensors)\s+no model\s+-\s+-\s+-\s+0$/.test(line))).toHaveLength(
      2,
    );

    // The read commands follow the pipeline too.
    const models = await cli(['models', '--json'], { ...env, AUTOML_PIPELINE: 'sensors' });
    expect(JSON.parse(models.stdout)).toMatchObject({ total: 0, items: [] });
    const unknown = await cli(['models', '--pipeline', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: NOT_FOUND: no pipeline is named "nope"/);
  });

  it('creates a pipeline from a schema file with --set overrides; configure merges, show prints them', async () => {
    const schema = file(
      'schema.json',
      JSON.stringify({
        columns: [
          { name: 'glucose', type: 'numeric' },
          { name: 'smoker', type: 'boolean' },
        ],
        label: 'class',
      }),
    );
    const created = await cli(
      ['pipelines', 'create', 'clinic', '--schema', schema, '--set', 'WINDOW_SIZE=500', 'n_estimators=50'],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe(
      'created pipeline "clinic"; settings: N_ESTIMATORS=50, WINDOW_SIZE=500; schema: 2 columns, label "class"\n' +
        'use it with --pipeline clinic (or AUTOML_PIPELINE=clinic)\n',
    );
    const config = await gql<{ config: { windowSize: number } }>(
      p.graphqlUrl,
      'query { config(pipeline: "clinic") { windowSize } }',
      {},
      p.adminKey,
    );
    expect(config.data?.config.windowSize).toBe(500);

    const configured = await cli(
      ['pipelines', 'configure', 'clinic', '--set', 'MAX_DEPTH=8', '--unset', 'WINDOW_SIZE'],
      env,
    );
    expect(configured.stdout).toBe('pipeline "clinic" settings: MAX_DEPTH=8, N_ESTIMATORS=50\n');
    const shown = (await cli(['pipelines', 'show', 'clinic'], env)).stdout;
    expect(shown).toMatch(
      /^pipeline {2}clinic\nstate {5}active; created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/,
    );
    expect(shown).toContain('settings  MAX_DEPTH=8, N_ESTIMATORS=50\nlabel     class (string)\n');
    expect(shown).toMatch(/^glucose\s+numeric\s+yes\s+-$/m);
    expect(shown).toMatch(/^smoker\s+boolean\s+yes\s+-$/m);

    const [taken, badSetting] = await Promise.all([
      cli(['pipelines', 'create', 'clinic'], env),
      cli(['pipelines', 'configure', 'clinic', '--set', 'WINDOW_SIZE=-3'], env),
    ]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toBe('error: CONFLICT: a pipeline named "clinic" exists already\n');
    expect(badSetting.code).toBe(1);
    expect(badSetting.stderr).toMatch(
      /^error: BAD_USER_INPUT: invalid pipeline settings: WINDOW_SIZE: .*\(got "-3"\)\n$/,
    );
  });

  it('archive stops ingest into the pipeline with a clear message; restore lets it in again', async () => {
    const orders = file('orders-2.csv', ordersCsv(30));
    const archived = await cli(['pipelines', 'archive', 'orders'], env);
    expect(archived.stdout).toMatch(/^archived pipeline "orders": no more ingest/);

    const refused = await cli(['ingest', orders, '--pipeline', 'orders', '--label-column', 'returned'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'error: CONFLICT: pipeline "orders" is archived: restore it before writing to it\n',
    );
    expect((await rowsByPipeline()).orders).toBe(90);

    const active = JSON.parse((await cli(['pipelines', 'list', '--json'], env)).stdout) as FleetRow[];
    expect(active.map((f) => f.name)).not.toContain('orders');
    const all = JSON.parse((await cli(['pipelines', 'list', '--all', '--json'], env)).stdout) as FleetRow[];
    expect(all.find((f) => f.name === 'orders')).toMatchObject({
      attention: 'ARCHIVED',
      pipeline: { archived: true },
    });

    expect((await cli(['pipelines', 'restore', 'orders'], env)).stdout).toBe(
      'restored pipeline "orders": it takes ingest and predictions again\n',
    );
    const accepted = await cli(['ingest', orders, '--label-column', 'returned', '--json'], {
      ...env,
      AUTOML_PIPELINE: 'orders',
    });
    expect(JSON.parse(accepted.stdout)).toMatchObject({ rowsStored: 30 });
    expect((await rowsByPipeline()).orders).toBe(120);
  });

  it('a key created with --pipelines sensors may not ingest into orders: FORBIDDEN, exit 1', async () => {
    const dbEnv = { DATABASE_URL: p.database.url };
    const created = await cli(
      ['keys', 'create', 'sensor feed', '--role', 'writer', '--pipelines', 'sensors', '--json'],
      dbEnv,
    );
    expect(created.stderr).toBe('');
    const key = JSON.parse(created.stdout) as { key: string; prefix: string; pipelines: string[] };
    expect(key.pipelines).toEqual(['sensors']);

    const listed = await cli(['keys', 'list'], dbEnv);
    expect(listed.stdout).toMatch(/^id\s+prefix\s+role\s+pipelines\s+name/);
    expect(listed.stdout).toMatch(
      new RegExp(`^\\s*\\d+\\s+${key.prefix}\\s+writer\\s+sensors\\s+sensor feed\\s`, 'm'),
    );
    expect(listed.stdout).toMatch(/^\s*\d+\s+\w{8}\s+admin\s+all\s+test admin\s/m);

    const asFeed = { AUTOML_URL: p.url, AUTOML_API_KEY: key.key };
    const before = await rowsByPipeline();
    const orders = file('orders-3.csv', ordersCsv(10));
    const refused = await cli(
      ['ingest', orders, '--pipeline', 'orders', '--label-column', 'returned'],
      asFeed,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error: FORBIDDEN: your key "sensor feed" may use the pipelines "sensors", not "orders"\n',
    );
    const sensors = file('sensors-2.csv', sensorsCsv(40));
    const allowed = await cli(
      ['ingest', sensors, '--pipeline', 'sensors', '--label-column', 'state', '--batch-size', '7', '--json'],
      asFeed,
    );
    expect(allowed.stderr).not.toMatch(/error/);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ rowsStored: 40 });
    expect(await rowsByPipeline()).toEqual({ ...before, sensors: before.sensors! + 40 });

    // The fleet it sees is its own pipeline only.
    const fleet = JSON.parse((await cli(['pipelines', 'list', '--json'], asFeed)).stdout) as FleetRow[];
    expect(fleet.map((f) => f.name)).toEqual(['sensors']);
  });

  it('models says why no model serves yet; lowering MIN_TRAIN_ROWS below the stored rows trains one at once', async () => {
    const orders = file('small.csv', ordersCsv(150));
    await cli(['ingest', orders, '--pipeline', 'small', '--label-column', 'returned', '--json'], env);
    const before = await cli(['models', '--pipeline', 'small'], env);
    expect(before.stdout).toBe(
      'no model yet: version 1 trains by itself once 1000 labelled rows (MIN_TRAIN_ROWS) of two classes are stored; for a smaller table: pipelines configure small --set MIN_TRAIN_ROWS=<n>\n',
    );
    // What it says to do: before, nothing trained until the next timed check (300 s later).
    const configured = await cli(['pipelines', 'configure', 'small', '--set', 'MIN_TRAIN_ROWS=125'], env);
    expect(configured.code).toBe(0);
    const right = await cli(['models', '--pipeline', 'small'], env);
    expect(right.stdout).toMatch(
      /^(no model yet: version 1 is training \(job \d+, (queued|running): bootstrap: 150 labelled rows \(MIN_TRAIN_ROWS 125\)\)\n|\* v1 )/m,
    );
    let versions: { version: number }[] = [];
    for (let i = 0; i < 60 && versions.length === 0; i++) {
      versions = JSON.parse((await cli(['models', '--pipeline', 'small', '--json'], env)).stdout).items;
      if (versions.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(versions.map((v) => v.version)).toEqual([1]);

    // Without --label-column, a file holding the pipeline's label column ("returned") is read with
    // it as the label: before, predict and a second ingest refused "returned" as an unknown feature.
    const out = path.join(dir, 'small-predicted.csv');
    const predicted = await cli(['predict', orders, '--pipeline', 'small', '-o', out, '--json'], env);
    expect(predicted.stderr).not.toMatch(/error/);
    expect(JSON.parse(predicted.stdout)).toMatchObject({ rows: 150, labelledRows: 150 });
    const more = file(
      'small-2.csv',
      ordersCsv(160).split('\n').slice(151).join('\n').replace(/^/, 'amount,country,returned\n'),
    );
    const again = await cli(['ingest', more, '--pipeline', 'small', '--json'], env);
    expect(again.stderr).not.toMatch(/error/);
    expect(JSON.parse(again.stdout)).toMatchObject({
      rows: 10,
      rowsStored: 10,
      scoredRows: 10,
      firstModelVersion: 1,
      modelVersion: 1,
    });
    const [stored] = await p.database.sql<{ labelled: number }[]>`
      select count(r.label)::int as labelled from rows r join pipelines p on p.id = r.pipeline_id
      where p.name = 'small'`;
    expect(stored?.labelled).toBe(160);

    // A feature named "label" stays a feature: the pipeline's label column ("y") is the label.
    const tagged = (from: number) =>
      file(
        `tagged-${from}.csv`,
        `label,amount,y\n${Array.from({ length: 20 }, (_, i) => `t${(from + i) % 3},${from + i},${(from + i) % 2}`).join('\n')}\n`,
      );
    const first = await cli(
      ['ingest', tagged(0), '--pipeline', 'tagged', '--label-column', 'y', '--json'],
      env,
    );
    expect(JSON.parse(first.stdout)).toMatchObject({ rowsStored: 20, labelledRows: 20 });
    const second = await cli(['ingest', tagged(20), '--pipeline', 'tagged', '--json'], env);
    expect(second.stderr).not.toMatch(/error/);
    expect(JSON.parse(second.stdout)).toMatchObject({ rowsStored: 20, labelledRows: 20 });
    const schema = JSON.parse((await cli(['pipelines', 'show', 'tagged', '--json'], env)).stdout).dataSchema;
    expect(schema.columns.map((c: { name: string }) => c.name)).toEqual(['label', 'amount']);
    expect(schema.label.name).toBe('y');
  }, 60_000);
});
