/**
 * Many pipelines on one platform (issue #15), against the real server over loopback HTTP with its
 * workers in-process and auth on:
 *
 * 1. Fairness: PIPELINES pipelines each get a labelled table (the SEA stream, one seed per
 *    pipeline) at once, so every one queues its first training together, while one "storm"
 *    pipeline asks for a retrain again the moment its previous one ends. Every training job's wait
 *    (training.queued → training.started) is compared with its fair share: the pipelines with a
 *    job waiting or running when it was queued × the time one training turn took during its wait
 *    (dispatch included). Target: no wait above
 *    2 × its fair share, and the storm pipeline trains no more often than one round allows.
 * 2. Checks and retrains of all: checkDrift and a manual retrain in every pipeline; all complete.
 * 3. Single-row predict latency under mixed ingest/predict background traffic, with one pipeline
 *    and then spread over all PIPELINES (same server, same total background rate, interleaved in
 *    ROUNDS). Target: the many-pipeline p50 within 10 % of the one-pipeline p50.
 * 4. Start-up: the server started on a database with one pipeline and its model, and on one with
 *    START_PIPELINES pipelines each with a model (versions copied from a trained one), alternately.
 *    Target: median start-up with START_PIPELINES within 1 s of the one-pipeline start-up.
 *
 *   node --import tsx bench/pipelines/run.ts [--quick]        (or: pnpm bench:pipelines)
 *
 * Postgres: DATABASE_URL's server when set (fresh databases, dropped at the end), else an embedded
 * one in a temporary folder. Exit code 1 on any FAIL.
 */
import { performance } from 'node:perf_hooks';

process.env.NODE_ENV ??= 'production';
const { loadConfig } = await import('../../packages/config/src/index.ts');
const { createLogger } = await import('../../packages/core/src/index.ts');
const { benchPostgres } = await import('../support/postgres.ts');
const { startServer } = await import('../../apps/server/src/index.ts');
const { graphqlCaller } = await import('../support/platform.ts');
const { createStream } = await import('../../packages/streams/src/index.ts');

const QUICK = process.argv.includes('--quick');
const PIPELINES = QUICK ? 20 : 50;
const START_PIPELINES = 200;
const ROWS = QUICK ? 1_000 : 2_000;
const SINGLES = QUICK ? 300 : 1_000;
const ROUNDS = QUICK ? 2 : 3;
const BACKGROUND_PER_SECOND = 20;

type Server = Awaited<ReturnType<typeof startServer>>;
const logger = createLogger('warn', { name: 'bench-pipelines' });
const postgres = await benchPostgres();
const results: { name: string; pass: boolean; line: string }[] = [];
const check = (name: string, pass: boolean, line: string) => {
  results.push({ name, pass, line });
  console.log(`${pass ? 'PASS' : 'FAIL'}  ${name}: ${line}`);
};
const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
};
const median = (xs: number[]) => percentile(xs, 0.5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settings(databaseUrl: string, workers: boolean) {
  return loadConfig({
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    AUTH: 'on',
    WORKERS: String(workers),
    RATE_LIMIT_PER_MINUTE: '0',
    N_ESTIMATORS: '30',
    MAX_DEPTH: '10',
    MIN_TRAIN_ROWS: '500',
    TRAIN_THREADS: '1',
    CHECK_INTERVAL_SECONDS: '3600',
    DRIFT_CHECK_MIN_INTERVAL_SECONDS: '0',
    DRIFT_CHECK_WAIT_SECONDS: '120',
    RETRAIN_MIN_INTERVAL_SECONDS: '0',
    QUEUE_MAINTENANCE_SECONDS: '5',
    DATABASE_URL: databaseUrl,
  });
}

async function start(databaseUrl: string, workers: boolean) {
  const server = await startServer({ config: settings(databaseUrl, workers), databaseUrl, logger, port: 0 });
  const key = (await server.platform.apiKeys.create('bench', 'admin')).key;
  return { server, call: graphqlCaller(server.url, key) };
}
type Client = Awaited<ReturnType<typeof start>>['call'];

const INGEST = `mutation I($input: IngestInput!, $pipeline: String) {
  ingest(input: $input, pipeline: $pipeline) { rowsStored } }`;
const PREDICT = `mutation P($input: PredictInput!, $pipeline: String) {
  predict(input: $input, pipeline: $pipeline) { modelVersion } }`;
const name = (i: number) => `p${String(i).padStart(3, '0')}`;
const table = (i: number, n: number) =>
  createStream('sea', { seed: 100 + i, noise: 0.05, concepts: [3] }).take(n);

/** Events of training jobs as stored: queued and started times per job. */
async function trainingTimes(server: Server) {
  const rows = await server.platform.db.sql<
    { pipeline_id: number; job: string; type: string; at: Date; ms: number | null }[]
  >`select pipeline_id, payload->>'trainingJobId' as job, type, created_at as at, (payload->>'trainingMs')::float8 as ms
    from events where type in ('training.queued', 'training.started', 'training.finished', 'training.failed')
    order by id`;
  const jobs = new Map<string, { pipeline: number; queued?: number; started?: number; finished?: number }>();
  for (const r of rows) {
    const job = jobs.get(r.job) ?? { pipeline: r.pipeline_id };
    if (r.type === 'training.queued') job.queued = r.at.getTime();
    if (r.type === 'training.started') job.started ??= r.at.getTime();
    if (r.type === 'training.finished' || r.type === 'training.failed') job.finished = r.at.getTime();
    jobs.set(r.job, job);
  }
  return [...jobs.values()].filter((j) => j.queued && j.started && j.finished);
}

/** Phase 1: every pipeline's first training at once, beside a storm of retrains in one pipeline. */
async function fairness(server: Server, call: Client) {
  await call(INGEST, { pipeline: 'storm', input: table(999, ROWS) });
  let storming = true;
  const stormRuns: number[] = [];
  const storm = (async () => {
    while (storming) {
      const r = await call<{ retrain: { job: { id: string }; alreadyPending: boolean } }>(
        'mutation { retrain(pipeline: "storm", reason: "storm") { alreadyPending job { id } } }',
      ).catch(() => null);
      if (r && !r.retrain.alreadyPending) stormRuns.push(Number(r.retrain.job.id));
      await sleep(50);
    }
  })();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PIPELINES }, (_, i) => call(INGEST, { pipeline: name(i), input: table(i, ROWS) })),
  );
  await waitUntil(async () => {
    const fleet = await call<{ pipelines: { name: string; servingVersion: number | null }[] }>(
      '{ pipelines { name servingVersion } }',
    );
    return (
      fleet.pipelines.filter((p) => p.name.startsWith('p') && p.servingVersion !== null).length === PIPELINES
    );
  }, 'every pipeline serving its first model');
  const allServingS = (performance.now() - started) / 1000;
  storming = false;
  await storm;
  const jobs = await trainingTimes(server);
  const trainMs = jobs.map((j) => j.finished! - j.started!);
  const meanTrain = trainMs.reduce((a, b) => a + b, 0) / trainMs.length;
  // A job's fair share: one turn of every pipeline that had a job open when it was queued, at the
  // time one training turn took while it waited (its wait over the runs that started in it, which
  // counts the queue's dispatch too). Above 1, other pipelines went ahead of it more than once.
  const ratios = jobs.map((j) => {
    const competing = new Set(
      jobs.filter((o) => o.queued! <= j.queued! && o.finished! > j.queued!).map((o) => o.pipeline),
    );
    const during = jobs.filter((o) => o !== j && o.started! >= j.queued! && o.started! < j.started!);
    const turn = (j.started! - j.queued!) / Math.max(1, during.length);
    return during.length === 0 ? 0 : (j.started! - j.queued!) / (competing.size * turn);
  });

  const waits = jobs.map((j) => (j.started! - j.queued!) / 1000);
  const stormId = (await server.platform.pipelines.get('storm')).id;
  const stormJobs = jobs.filter((j) => j.pipeline === stormId).length;
  console.log(
    `\n${PIPELINES} pipelines + 1 storm: every first model serving after ${allServingS.toFixed(1)} s; ${jobs.length} training runs, mean ${(meanTrain / 1000).toFixed(2)} s; wait p50 ${median(waits).toFixed(1)} s, max ${Math.max(...waits).toFixed(1)} s; wait / fair share p50 ${median(ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}; storm pipeline trained ${stormJobs} times (${stormRuns.length} requests accepted)`,
  );
  check(
    'no pipeline waits longer than twice its fair share',
    Math.max(...ratios) <= 2,
    `max wait / fair share ${Math.max(...ratios).toFixed(2)} (target ≤ 2)`,
  );
  const rounds = allServingS / ((PIPELINES + 1) * (meanTrain / 1000));
  check(
    'the storm pipeline trains at most once per round of the others',
    stormJobs <= Math.ceil(rounds) + 1,
    `${stormJobs} runs in ${rounds.toFixed(1)} rounds`,
  );
}

async function waitUntil(test: () => Promise<boolean>, what: string, timeoutMs = 900_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Phase 2: a drift check and a retrain in every pipeline; all complete. */
async function checksAndRetrains(call: Client) {
  const started = performance.now();
  const checks = await Promise.all(
    Array.from({ length: PIPELINES }, (_, i) =>
      call<{ checkDrift: { event: { id: string } | null } }>(
        'mutation C($p: String) { checkDrift(pipeline: $p) { event { id } } }',
        { p: name(i) },
      ),
    ),
  );
  const answered = checks.filter((c) => c.checkDrift.event !== null).length;
  const checkS = (performance.now() - started) / 1000;
  const queued = await Promise.all(
    Array.from({ length: PIPELINES }, (_, i) =>
      call<{ retrain: { job: { id: string } } }>(
        'mutation R($p: String) { retrain(pipeline: $p) { job { id } } }',
        {
          p: name(i),
        },
      ),
    ),
  );
  const done = async () => {
    const states = await Promise.all(
      queued.map((q, i) =>
        call<{ trainingJob: { status: string } | null }>(
          'query J($id: ID!, $p: String) { trainingJob(id: $id, pipeline: $p) { status } }',
          {
            id: q.retrain.job.id,
            p: name(i),
          },
        ),
      ),
    );
    return states.filter((s) => s.trainingJob?.status === 'SUCCEEDED' || s.trainingJob?.status === 'FAILED')
      .length;
  };
  await waitUntil(async () => (await done()) === PIPELINES, 'every retrain to finish');
  const retrainS = (performance.now() - started) / 1000 - checkS;
  check(
    'drift checks of all pipelines complete',
    answered === PIPELINES,
    `${answered}/${PIPELINES} answered in ${checkS.toFixed(1)} s`,
  );
  check(
    'retrains of all pipelines complete',
    true,
    `${PIPELINES}/${PIPELINES} finished in ${retrainS.toFixed(1)} s`,
  );
}

/** Phase 3: single-row predict p50 with background traffic on one pipeline vs spread over all. */
async function latency(call: Client) {
  const probe = createStream('sea', { seed: 7 }).take(SINGLES * ROUNDS * 2 + 100 * 200);
  let k = 0;
  const measure = async (spread: boolean) => {
    let running = true;
    let j = 0;
    const background = (async () => {
      while (running) {
        const pipeline = spread ? name(j % PIPELINES) : name(0);
        const rows = { features: probe.features.slice(0, 100), labels: probe.labels.slice(0, 100) };
        await (j % 2 === 0
          ? call(INGEST, { pipeline, input: rows })
          : call(PREDICT, { pipeline, input: { features: rows.features } }));
        j++;
        await sleep(1000 / BACKGROUND_PER_SECOND);
      }
    })();
    const times: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const pipeline = spread ? name(i % PIPELINES) : name(0);
      const t = performance.now();
      await call(PREDICT, { pipeline, input: { features: [probe.features[k++ % probe.features.length]] } });
      times.push(performance.now() - t);
    }
    running = false;
    await background;
    return median(times);
  };
  // Warm-up: every pipeline's model loaded, the server's code paths compiled.
  for (let i = 0; i < 2 * PIPELINES; i++) {
    await call(PREDICT, { pipeline: name(i % PIPELINES), input: { features: [probe.features[i]] } });
  }
  const one: number[] = [];
  const many: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    one.push(await measure(false));
    many.push(await measure(true));
  }
  const ratio = median(many) / median(one);
  console.log(
    `\nsingle-row predict p50 under ${BACKGROUND_PER_SECOND} background requests/s: one pipeline ${median(one).toFixed(2)} ms, ${PIPELINES} pipelines ${median(many).toFixed(2)} ms (rounds: ${one.map((x) => x.toFixed(2)).join(', ')} / ${many.map((x) => x.toFixed(2)).join(', ')})`,
  );
  check(
    'single-row predict p50 with many pipelines within 10 % of one',
    ratio <= 1.1,
    `ratio ${ratio.toFixed(3)} (target ≤ 1.10)`,
  );
}

/** Phase 4: server start-up on a database with 1 pipeline vs START_PIPELINES pipelines with models. */
async function startup() {
  const one = await postgres.freshDatabase();
  const many = await postgres.freshDatabase();
  try {
    for (const db of [one, many]) {
      const { server, call } = await start(db.url, true);
      await call(INGEST, { input: table(1, 1_000) });
      await server.platform.drift.maybeBootstrap();
      await waitUntil(
        async () =>
          (await call<{ activeModel: unknown }>('{ activeModel { version } }')).activeModel !== null,
        'a model',
      );
      await server.stop(10_000);
    }
    await many.sql`
      insert into pipelines (name, schema, schema_version, n_features)
      select 'q' || lpad(g::text, 3, '0'), p.schema, p.schema_version, p.n_features
      from generate_series(1, ${START_PIPELINES - 1}) g, pipelines p where p.name = 'default'`;
    await many.sql`
      insert into model_versions (pipeline_id, version, status, params, metrics, feature_importances, n_features, n_classes,
        train_rows, holdout_rows, training_ms, artifact, reference_sample, reference_rows, reference_predictions)
      select p.id, 1, 'production', m.params, m.metrics, m.feature_importances, m.n_features, m.n_classes,
        m.train_rows, m.holdout_rows, m.training_ms, m.artifact, m.reference_sample, m.reference_rows, m.reference_predictions
      from pipelines p, model_versions m where p.name like 'q%' and m.pipeline_id = 1 and m.status = 'production'`;
    const times: Record<string, number[]> = { one: [], many: [] };
    for (let r = 0; r < 5; r++) {
      for (const [label, db] of [
        ['one', one],
        ['many', many],
      ] as const) {
        const t = performance.now();
        const server = await startServer({
          config: settings(db.url, false),
          databaseUrl: db.url,
          logger,
          port: 0,
        });
        times[label]!.push(performance.now() - t);
        await server.stop(5_000);
      }
    }
    const diff = median(times.many!) - median(times.one!);
    console.log(
      `\nstart-up: 1 pipeline ${median(times.one!).toFixed(0)} ms, ${START_PIPELINES} pipelines with a model each ${median(times.many!).toFixed(0)} ms (medians of 5)`,
    );
    check(
      `start-up with ${START_PIPELINES} pipelines within 1 s of one`,
      diff <= 1000,
      `+${diff.toFixed(0)} ms (target ≤ 1,000 ms)`,
    );
  } finally {
    await one.drop();
    await many.drop();
  }
}

const database = await postgres.freshDatabase();
let failed = false;
try {
  const { server, call } = await start(database.url, true);
  try {
    await fairness(server, call);
    await checksAndRetrains(call);
    await latency(call);
  } finally {
    await server.stop(10_000);
  }
  await startup();
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await database.drop();
  await postgres.stop();
}
const fails = results.filter((r) => !r.pass).length;
console.log(`\n${results.length - fails} passed, ${fails} failed`);
process.exit(failed || fails > 0 ? 1 : 0);
