// M4 and M5 (security audit, issue #19) through a real server on a real port. The server reaches
// Postgres through a TCP relay that counts the statements it executes (Execute messages of the
// wire protocol), so "one request, thousands of queries" is measured, not inferred.
import { connect, createServer, type Server, type Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import {
  createKey,
  createTestDatabase,
  INGEST,
  labelledBatch,
  postGraphQL,
  type TestDatabase,
  waitFor,
} from './harness.ts';

/** Forwards connections to Postgres and counts the statements clients execute. */
async function statementCounter(target: URL) {
  let executed = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    let buffer = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        // The startup packet (and an SSL request) has no type byte; every later message has one.
        const header = started ? 5 : 4;
        if (buffer.length < header) break;
        const length = started ? buffer.readInt32BE(1) + 1 : buffer.readInt32BE(0);
        if (buffer.length < length) break;
        if (started && (buffer[0] === 0x45 || buffer[0] === 0x51)) executed++; // 'E'xecute, simple 'Q'uery
        if (!started && buffer.readInt32BE(4) === 196608) started = true; // protocol 3.0 startup
        buffer = buffer.subarray(length);
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    get executed() {
      return executed;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('what one reader request costs the database (M4)', () => {
  let db: TestDatabase;
  let relay: Awaited<ReturnType<typeof statementCounter>>;
  let p: TestPlatform;
  let reader: string;

  /** Statements the server executed for one request, once the platform is otherwise idle. */
  async function statementsFor(query: string, variables: Record<string, unknown> = {}) {
    // The key is verified (and cached) by a request of its own, outside the count.
    await postGraphQL(p.graphqlUrl, '{ __typename }', {}, reader);
    const before = relay.executed;
    const answer = await postGraphQL(p.graphqlUrl, query, variables, reader);
    return { answer, statements: relay.executed - before };
  }

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    relay = await statementCounter(new URL(db.url));
    // The server's pools go through the relay; migrations and the test's own reads do not.
    const relayed: TestDatabase = { ...db, url: relay.url };
    p = await startTestPlatform(
      inject('postgresUrl'),
      { WORKERS: 'false', API_STATEMENT_TIMEOUT_MS: '500' },
      { database: relayed },
    );
    reader = await createKey(db.sql, 'reader');
    // 100 drift checks, each with its own training job.
    await db.sql`
      with jobs as (
        insert into training_jobs (reason, status) select 'job ' || g, 'succeeded' from generate_series(1, 100) g
        returning id)
      insert into drift_checks (trigger, verdict, drifted, action, training_job_id)
      select 'schedule', 'drift', true, 'retrain_queued', id from jobs`;
  });
  afterAll(async () => {
    await p?.stop();
    await relay?.close();
    await db?.drop();
  });

  it('loads the training jobs of a page of drift events in one query, not one per event', async () => {
    const { answer, statements } = await statementsFor(
      '{ driftEvents(limit: 100) { items { trainingJob { id } } } }',
    );
    const items = (answer.data as { driftEvents: { items: { trainingJob: { id: string } | null }[] } })
      .driftEvents.items;
    expect(items).toHaveLength(100);
    expect(items.every((i) => i.trainingJob !== null)).toBe(true);
    // The page, its total and the batched jobs (the audit measured 1 + 1 + 100), and at most one
    // background statement of the platform's own timers.
    expect(statements).toBeLessThanOrEqual(4);
  });

  it('answers thirty aliases of stats with one read of the totals', async () => {
    const aliases = Array.from(
      { length: 30 },
      (_, i) => `s${i}: stats { predictionsTotal rowsIngested }`,
    ).join(' ');
    const { answer, statements } = await statementsFor(`{ ${aliases} }`);
    expect(answer.errors).toBeUndefined();
    expect(statements).toBeLessThanOrEqual(2);
  });

  it('refuses the audit’s thirty pages of 500 events before running any of it', async () => {
    const aliases = Array.from(
      { length: 30 },
      (_, i) => `a${i}: driftEvents(limit: 500) { items { trainingJob { id } } }`,
    );
    const { answer, statements } = await statementsFor(`{ ${aliases.join(' ')} }`);
    expect(answer.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(answer.errors?.[0]?.message).toMatch(
      /^This operation may return 15000 list items .* the limit is 10000 \(GRAPHQL_MAX_LIST_ITEMS\)/,
    );
    expect(statements).toBe(0);
    // Variables count too; the dashboard's overview (its real sizes) stays within the limit.
    const viaVariables = await statementsFor(
      'query Q($n: Int) { a: driftEvents(limit: $n) { items { id } } b: driftEvents(limit: $n) { items { id } } }',
      { n: 500 },
    );
    expect(viaVariables.answer.errors).toBeUndefined();
  });

  it('cancels a statement past API_STATEMENT_TIMEOUT_MS instead of holding a connection', async () => {
    const locker = postgres(db.url, { max: 1, onnotice: () => {} });
    let released = false;
    let answered: Awaited<ReturnType<typeof postGraphQL>> | null = null;
    try {
      await locker.begin(async (tx) => {
        await tx`lock table drift_checks in access exclusive mode`;
        // The reader's query waits on the lock: the timeout must end it while the lock is held.
        answered = await postGraphQL(p.graphqlUrl, '{ driftEvents { total } }', {}, reader);
        released = true;
      });
    } finally {
      await locker.end({ timeout: 2 });
    }
    expect(released).toBe(true);
    expect(answered!.errors?.length).toBeGreaterThan(0);
  });
});

describe('checkDrift (M5)', () => {
  let p: TestPlatform;
  let writer: string;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '100',
      DRIFT_CHECK_MIN_INTERVAL_SECONDS: '3',
      DRIFT_CHECK_WAIT_SECONDS: '30',
    });
    writer = await createKey(p.database.sql, 'writer');
    await postGraphQL(
      p.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(300, 41), batchId: 'seed' } },
      writer,
    );
    await waitFor(
      async () =>
        (
          await postGraphQL<{ activeModel: { version: number } | null }>(
            p.graphqlUrl,
            '{ activeModel { version } }',
            {},
            writer,
          )
        ).data?.activeModel?.version,
      'the first model',
      60_000,
    );
  });
  afterAll(async () => {
    await p?.stop();
  });

  const CHECK = 'mutation { checkDrift { skipped event { id trigger nCurrent createdAt } } }';
  type Answer = {
    checkDrift: {
      skipped: string | null;
      event: { id: string; trigger: string; nCurrent: number; createdAt: string } | null;
    };
  };

  it('merges concurrent requests into one check that saw everything written before them', async () => {
    await postGraphQL(
      p.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(150, 42), batchId: 'before' } },
      writer,
    );
    // Manual checks only: the platform's own checks (the rows just ingested, its timer) may run
    // meanwhile, and are not what the requests started.
    const manualChecks = async () =>
      (
        (await p.database
          .sql`select count(*)::int as n from drift_checks where trigger = 'manual'`) as unknown as [
          { n: number },
        ]
      )[0].n;
    const before = await manualChecks();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => postGraphQL<Answer>(p.graphqlUrl, CHECK, {}, writer)),
    );
    const after = await manualChecks();
    for (const a of answers) {
      expect(a.errors).toBeUndefined();
      expect(a.data?.checkDrift.skipped).toBeNull();
      expect(a.data?.checkDrift.event).toMatchObject({ trigger: 'MANUAL', nCurrent: 450 });
    }
    // Twenty requests, at most two checks (one may have started as the first requests arrived).
    expect(after - before).toBeLessThanOrEqual(2);
    expect(new Set(answers.map((a) => a.data!.checkDrift.event!.id)).size).toBeLessThanOrEqual(2);
  });

  it('starts manual checks at most once per DRIFT_CHECK_MIN_INTERVAL_SECONDS, still seeing new rows', async () => {
    const first = (await postGraphQL<Answer>(p.graphqlUrl, CHECK, {}, writer)).data!.checkDrift.event!;
    await postGraphQL(
      p.graphqlUrl,
      INGEST,
      { input: { ...labelledBatch(50, 43), batchId: 'between' } },
      writer,
    );
    const second = (await postGraphQL<Answer>(p.graphqlUrl, CHECK, {}, writer)).data!.checkDrift.event!;
    expect(Number(second.id)).toBeGreaterThan(Number(first.id));
    expect(second.nCurrent).toBe(first.nCurrent + 50);
    const gap = (Date.parse(second.createdAt) - Date.parse(first.createdAt)) / 1000;
    expect(gap).toBeGreaterThanOrEqual(2.5);
  });
});

describe('checkDrift with no worker running (M5)', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), {
      WORKERS: 'false',
      DRIFT_CHECK_WAIT_SECONDS: '2',
      DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('does not run the check on the API: it answers pending, and the queue holds one check', async () => {
    // A model that serves (stored directly: no worker here to train one).
    const writer = await createKey(p.database.sql, 'writer');
    await postGraphQL(p.graphqlUrl, INGEST, { input: { ...labelledBatch(50, 44), batchId: 's' } }, writer);
    await p.database.sql`
      insert into model_versions (version, status, params, metrics, feature_importances, n_features, n_classes,
        train_rows, holdout_rows, training_ms, artifact, reference_sample, reference_rows, reference_predictions)
      select 1, 'production', '{}', '{"accuracy":1,"f1":1,"logLoss":0,"holdoutRows":1}', '{0,0,0}', 3, 2, 1, 1, 1,
        '\\x00', '\\x00', 0, '{0,0}'`;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        postGraphQL<{ checkDrift: { skipped: string | null; event: unknown } }>(
          p.graphqlUrl,
          'mutation { checkDrift { skipped event { id } } }',
          {},
          writer,
        ),
      ),
    );
    for (const a of answers) expect(a.data?.checkDrift).toEqual({ skipped: 'PENDING', event: null });
    const [{ n }] = (await p.database.sql`select count(*)::int as n from drift_checks`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(0);
    const queued = await p.database.sql<
      { state: string }[]
    >`select state from pgboss.job where name = 'drift-check'`;
    expect(queued.map((q) => q.state)).toEqual(['created']);
  });
});
