import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gql, startTestPlatform, type TestPlatform } from '@automl-stream/server/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cli, spawnCli, waitForOutput } from './run-cli.ts';

/** Rows of the rule class = x0 + x1 > 1 over three uniform features, seeded. */
function rows(n: number, seed: number) {
  let s = seed;
  const rand = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const x = [rand(), rand(), rand()];
    return { x, label: x[0]! + x[1]! > 1 ? 1 : 0 };
  });
}

const csv = (data: { x: number[]; label: number }[], withLabel = true) =>
  `${withLabel ? 'x0,x1,x2,label' : 'x0,x1,x2'}\n${data.map((r) => [...r.x.map((v) => v.toFixed(6)), ...(withLabel ? [r.label] : [])].join(',')).join('\n')}\n`;

describe('automl-stream commands against a real platform', () => {
  let p: TestPlatform;
  let dir: string;
  let env: Record<string, string>;
  const count = async (table: string) => {
    const [row] = await p.database.sql.unsafe(`select count(*)::int as n from ${table}`);
    return (row as unknown as { n: number }).n;
  };
  const waitForVersion = async (version: number) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await gql<{ activeModel: { version: number } | null }>(
        p.graphqlUrl,
        '{ activeModel { version } }',
        {},
        p.adminKey,
      );
      if ((r.data?.activeModel?.version ?? 0) >= version) return;
      if (Date.now() > deadline) throw new Error(`no v${version} after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  type Job = {
    id: string;
    status: string;
    outcome: string | null;
    resultVersion: number | null;
    reason: string;
    error: string | null;
  };
  const jobFields = 'id status outcome resultVersion reason error';
  /**
   * A second version, promoted or not: the retrain asked for here, or the one already open (a
   * drift retrain the manual check queued). The gate may keep v1 (when v1 trained late, on the same
   * rows); the test promotes by hand below either way.
   */
  const secondVersion = async (): Promise<Job> => {
    const asked = await gql<{ retrain: { job: Job } }>(
      p.graphqlUrl,
      `mutation { retrain(reason: "cli test") { job { ${jobFields} } } }`,
      {},
      p.adminKey,
    );
    let job = asked.data!.retrain.job;
    const deadline = Date.now() + 90_000;
    while (job.status === 'QUEUED' || job.status === 'RUNNING') {
      if (Date.now() > deadline)
        throw new Error(`retrain job still ${job.status} after 90 s: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      const r = await gql<{ trainingJob: Job }>(
        p.graphqlUrl,
        `{ trainingJob(id: "${job.id}") { ${jobFields} } }`,
        {},
        p.adminKey,
      );
      job = r.data!.trainingJob;
    }
    return job;
  };

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '200',
      WINDOW_SIZE: '200',
      N_ESTIMATORS: '10',
    });
    dir = mkdtempSync(path.join(tmpdir(), 'automl-cli-'));
    env = { AUTOML_URL: p.url, AUTOML_API_KEY: p.adminKey! };
  });
  afterAll(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ingest: a crash half-way, then a re-run, stores every row exactly once', async () => {
    const file = path.join(dir, 'train.csv');
    writeFileSync(file, csv(rows(1000, 1)));
    // Crash: SIGKILL as soon as the first batches are reported (no chance to clean up).
    const first = spawnCli(['ingest', file, '--batch-size', '50'], env);
    await waitForOutput(first, (o) => /ingest .*\d+%/.test(o.stderr), 30_000, 'the first progress line');
    first.child.kill('SIGKILL');
    const crashed = await first.done;
    expect(crashed.signal).toBe('SIGKILL');
    // A batch in flight at the kill may still commit on the server: count once the count holds.
    let storedBeforeRerun = await count('rows');
    for (let previous = -1; previous !== storedBeforeRerun; ) {
      previous = storedBeforeRerun;
      await new Promise((resolve) => setTimeout(resolve, 500));
      storedBeforeRerun = await count('rows');
    }
    expect(storedBeforeRerun % 50).toBe(0);
    expect(storedBeforeRerun).toBeGreaterThan(0);

    const rerun = await cli(['ingest', file, '--batch-size', '50', '--json'], env);
    expect(rerun.stderr).not.toMatch(/error/);
    expect(rerun.code).toBe(0);
    // Not a terminal: the progress goes to stderr as plain lines, with no escape codes.
    expect(rerun.stderr).toMatch(/^ingest {2}\[#{24}\] {2}100% {2}1000\/1000 rows/m);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is checked
    expect(rerun.stderr).not.toMatch(/[\r\u001b]/);
    const summary = JSON.parse(rerun.stdout);
    expect(summary).toMatchObject({
      rows: 1000,
      rowsSent: 1000,
      batches: 20,
      duplicateBatches: storedBeforeRerun / 50,
      newBatches: 20 - storedBeforeRerun / 50,
      rowsStored: 1000 - storedBeforeRerun,
      complete: true,
    });
    expect(await count('rows')).toBe(1000);
    expect(await count('batches')).toBe(20);

    // A third run stores nothing at all.
    const again = JSON.parse((await cli(['ingest', file, '--batch-size', '50', '--json'], env)).stdout);
    expect(again).toMatchObject({ rowsStored: 0, duplicateBatches: 20 });
    expect(await count('rows')).toBe(1000);
  });

  it('ingest: a bad file stops before sending anything, with the line', async () => {
    const file = path.join(dir, 'bad.csv');
    writeFileSync(file, 'x0,x1,x2,label\n0.1,0.2,0.3,1\n0.1,oops,0.3,0\n');
    const run = await cli(['ingest', file], env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`error: ${file}: line 3: column "x1": "oops" is not a number`);
    const missing = await cli(['ingest', path.join(dir, 'nope.csv')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: cannot read .*nope\.csv: no such file/);
    expect(await count('rows')).toBe(1000);
  });

  it('predict: writes the rows with their predictions, and the accuracy against the label column', async () => {
    await waitForVersion(1);
    const file = path.join(dir, 'score.csv');
    const data = rows(300, 2);
    writeFileSync(file, csv(data));
    const out = path.join(dir, 'scored.csv');
    const run = await cli(['predict', file, '-o', out, '--batch-size', '128'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^predicted 300 rows with v1 → .*scored\.csv; accuracy against column "label": 0\.\d{3}\n$/,
    );
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('x0,x1,x2,label,prediction,p_0,p_1,prediction_id,model_version');
    expect(lines).toHaveLength(301);
    const predictedRight = lines.slice(1).filter((line) => {
      const cells = line.split(',');
      return cells[3] === cells[4];
    }).length;
    const accuracy = Number(/accuracy against column "label": (0\.\d+)/.exec(run.stdout)![1]);
    expect(accuracy).toBeCloseTo(predictedRight / 300, 3);
    expect(accuracy).toBeGreaterThan(0.8);
    expect(await count('predictions')).toBe(300);

    // --json without -o: the predictions themselves.
    const unlabelled = path.join(dir, 'unlabelled.csv');
    writeFileSync(unlabelled, csv(data.slice(0, 5), false));
    const asJson = await cli(['predict', unlabelled, '--json'], env);
    const predictions = JSON.parse(asJson.stdout) as {
      line: number;
      prediction: number;
      probabilities: number[];
      modelVersion: number;
    }[];
    expect(predictions.map((x) => x.line)).toEqual([2, 3, 4, 5, 6]);
    for (const x of predictions) {
      expect(x.modelVersion).toBe(1);
      expect(x.probabilities).toHaveLength(2);
      expect(x.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('models, drift, promote and rollback, as tables and as --json', async () => {
    const [asJson, asTable] = await Promise.all([cli(['models', '--json'], env), cli(['models'], env)]);
    const models = JSON.parse(asJson.stdout);
    expect(models.total).toBe(1);
    expect(models.items[0]).toMatchObject({ version: 1, status: 'PRODUCTION', serving: true, nFeatures: 3 });
    expect(asTable.stdout).toMatch(/^\* v1\s+production\s+0\.\d{3}/m);

    const check = await gql<{ checkDrift: { event: { id: string } } }>(
      p.graphqlUrl,
      'mutation { checkDrift { event { id } } }',
      {},
      p.adminKey,
    );
    const checkId = check.data!.checkDrift.event.id;
    const drift = JSON.parse((await cli(['drift', '--json'], env)).stdout);
    expect(drift).toMatchObject({ id: checkId, trigger: 'MANUAL', modelVersion: 1 });
    // The file's column names (the CLI declared the schema inferred from its header).
    expect(drift.features.map((f: { feature: string }) => f.feature).sort()).toEqual(['x0', 'x1', 'x2']);
    const table = (await cli(['drift', '--id', String(checkId)], env)).stdout;
    expect(table).toContain(`drift check #${checkId}`);
    expect(table).toMatch(/^feature\s+drifted\s+KS D\s+p \(BH\)\s+PSI/m);
    expect(table).toMatch(/^x0\s+(yes|no)\s+0\.\d{3}/m);
    // The checks as a table, one line each, newest first.
    const listed = await cli(['drift', '--list', '--limit', '5'], env);
    expect(listed.stdout).toMatch(/^check\s+time \(UTC\)\s+trigger\s+verdict\s+found\s+action\s+model$/m);
    expect(listed.stdout.split('\n')[2]).toMatch(
      new RegExp(`^#${checkId}\\s+\\d{4}-\\d\\d-\\d\\d [\\d:]+\\s+manual\\s+\\w+`),
    );
    expect(listed.stdout).toMatch(/^\d+ of \d+ checks, newest first/m);
    const asList = JSON.parse((await cli(['drift', '--list', '--json'], env)).stdout);
    expect(asList.items[0]).toMatchObject({ id: checkId, trigger: 'MANUAL', modelVersion: 1 });
    const mixed = await cli(['drift', '--list', '--id', String(checkId)], env);
    expect(mixed.code).toBe(2);

    // A second version, then promote / rollback between them.
    const job = await secondVersion();
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'SUCCEEDED', resultVersion: 2 });
    if (job.outcome !== 'PROMOTED') expect((await cli(['promote', 'v2'], env)).code).toBe(0);
    const rolledBack = await cli(['rollback', '--json'], env);
    expect(JSON.parse(rolledBack.stdout)).toMatchObject({ version: 1, status: 'PRODUCTION' });
    const promoted = await cli(['promote', 'v2'], env);
    expect(promoted.code).toBe(0);
    expect(promoted.stdout).toMatch(/^v2 is serving now \(out-of-sample accuracy 0\.\d{3}\)\n$/);
    const after = JSON.parse((await cli(['models', '--status', 'production', '--json'], env)).stdout);
    expect(after.items.map((m: { version: number }) => m.version)).toEqual([2]);
  });

  it('turns server and usage errors into one line and an exit code', async () => {
    const [missing, badKey, noKey, usage, unknown] = await Promise.all([
      cli(['promote', '99'], env),
      cli(['models', '--api-key', 'ams_nothere0_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'], env),
      cli(['models'], { AUTOML_URL: p.graphqlUrl }),
      cli(['models', '--limit', 'lots'], env),
      cli(['frobnicate'], env),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: NOT_FOUND: .*99.*\n$/);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/^error: UNAUTHENTICATED: [^\n]+\n$/);
    expect(noKey.stderr).toMatch(/^error: UNAUTHENTICATED: .*\(pass --api-key or set AUTOML_API_KEY\)\n$/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'error: --limit must be a whole number (got "lots")\n(see `automl-stream models --help`)\n',
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error: unknown command "frobnicate"/);
  });

  it('keys: create, list and revoke through the database; the new key works over the API', async () => {
    const dbEnv = { DATABASE_URL: p.database.url };
    const created = await cli(['keys', 'create', 'ci reader', '--role', 'reader', '--json'], dbEnv);
    expect(created.stderr).toBe('');
    const key = JSON.parse(created.stdout) as { key: string; prefix: string; role: string };
    expect(key).toMatchObject({ role: 'reader', name: 'ci reader' });
    expect(key.key).toMatch(new RegExp(`^ams_${key.prefix}_`));

    const listed = JSON.parse((await cli(['keys', 'list', '--json'], dbEnv)).stdout) as {
      prefix: string;
      role: string;
    }[];
    expect(listed.find((k) => k.prefix === key.prefix)).toMatchObject({ role: 'reader' });

    // A reader may read, not promote.
    const asReader = { AUTOML_URL: p.url, AUTOML_API_KEY: key.key };
    expect((await cli(['models', '--json'], asReader)).code).toBe(0);
    const forbidden = await cli(['promote', '1'], asReader);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^error: FORBIDDEN: /);

    const revoked = await cli(['keys', 'revoke', key.prefix], dbEnv);
    expect(revoked.stdout).toBe(`revoked reader key "ci reader" (prefix ${key.prefix})\n`);
    const all = JSON.parse((await cli(['keys', 'list', '--all', '--json'], dbEnv)).stdout) as {
      prefix: string;
      revokedAt: string | null;
    }[];
    expect(all.find((k) => k.prefix === key.prefix)?.revokedAt).toEqual(expect.any(String));
    const nothing = await cli(['keys', 'revoke', 'zzzzzzzz'], dbEnv);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toBe('error: no active key with prefix zzzzzzzz (see keys list)\n');
  });
});
