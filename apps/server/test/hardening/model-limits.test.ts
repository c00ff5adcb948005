// H5 and L8 (security audit, issue #19), through a real server on a real port: labels far beyond
// the known classes are refused (one row labelled 999 made the next model 1000 classes wide), a
// model too large for MAX_MODEL_BYTES is refused with the reason recorded, and a production
// artifact that cannot be loaded no longer stops the server from starting.
import { createTestDatabase, type TestDatabase } from '@automl-stream/db/testing.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../src/testing.ts';
import { createKey, INGEST, labelledBatch, PREDICT, postGraphQL, waitFor } from './harness.ts';

const FEEDBACK = 'mutation F($input: FeedbackInput!) { submitFeedback(input: $input) { updated } }';

interface Job {
  id: string;
  status: string;
  outcome: string | null;
  error: string | null;
}

describe('labels and model size (H5)', () => {
  let p: TestPlatform;
  let writer: string;
  let admin: string;
  const graphql = () => p.graphqlUrl;

  beforeAll(async () => {
    p = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '100', TRAIN_WINDOW: '2000' });
    admin = p.adminKey!;
    writer = await createKey(p.database.sql, 'writer');
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('refuses a label at or beyond MAX_CLASSES, from any key, and stores nothing', async () => {
    for (const key of [writer, admin]) {
      const r = await postGraphQL(
        graphql(),
        INGEST,
        { input: { features: [[0.1, 0.2, 0.3]], labels: [999] } },
        key,
      );
      expect(r.errors?.[0]).toMatchObject({
        message: 'labels[0] is 999: labels are class indices, whole numbers from 0 to 31 (MAX_CLASSES 32)',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    const [{ n }] = (await p.database.sql`select count(*)::int as n from rows`) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it('lets a writer add one class beyond the serving model, an admin more, and checks feedback too', async () => {
    const seed = labelledBatch(300, 99);
    const seeded = await postGraphQL(graphql(), INGEST, { input: { ...seed, batchId: 'h5-seed' } }, writer);
    expect(seeded.errors).toBeUndefined();
    const active = await waitFor(
      async () => {
        const r = await postGraphQL<{ activeModel: { version: number; nClasses: number } | null }>(
          graphql(),
          '{ activeModel { version nClasses } }',
          {},
          writer,
        );
        return r.data?.activeModel ?? undefined;
      },
      'the first model',
      60_000,
    );
    expect(active.nClasses).toBe(2);
    // The limit is the serving process's model in memory, which loads it on the promotion's
    // notification: under load that can come after the API already answers with it.
    await waitFor(
      async () => ((await p.server.platform.holder.refresh())?.version === active.version ? true : undefined),
      'the serving process to load the first model',
    );

    const tooFar = await postGraphQL(
      graphql(),
      INGEST,
      { input: { features: [[0.5, 0.5, 0.5]], labels: [5] } },
      writer,
    );
    expect(tooFar.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooFar.errors?.[0]?.message).toBe(
      `labels[0] is 5: labels run from 0 to 2: the serving model (v${active.version}) knows classes 0 to 1 and a writer key may add 1 new class at a time (MAX_NEW_CLASSES); an admin key may use labels up to 31 (MAX_CLASSES 32)`,
    );
    const oneNew = await postGraphQL(
      graphql(),
      INGEST,
      { input: { features: [[0.5, 0.5, 0.5]], labels: [2] } },
      writer,
    );
    expect(oneNew.errors).toBeUndefined();
    const byAdmin = await postGraphQL(
      graphql(),
      INGEST,
      { input: { features: [[0.5, 0.5, 0.5]], labels: [7] } },
      admin,
    );
    expect(byAdmin.errors).toBeUndefined();

    const predicted = await postGraphQL<{ predict: { predictions: { id: string }[] } }>(
      graphql(),
      PREDICT,
      { input: { features: [[0.2, 0.2, 0.2]] } },
      writer,
    );
    const id = predicted.data!.predict.predictions[0]!.id;
    const feedback = await postGraphQL(
      graphql(),
      FEEDBACK,
      { input: { predictionIds: [id], labels: [999] } },
      writer,
    );
    expect(feedback.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(feedback.errors?.[0]?.message).toMatch(/^labels\[0\] is 999: labels run from 0 to 2/);
    const [{ n }] = (await p.database.sql`
      select count(*)::int as n from predictions where feedback_label is not null`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(0);
  });
});

describe('a model too large for MAX_MODEL_BYTES (H5)', () => {
  let p: TestPlatform;
  beforeAll(async () => {
    // 1000 classes allowed to the admin, 1 MiB per model: the audit's 1000-class model, bounded.
    p = await startTestPlatform(inject('postgresUrl'), {
      MIN_TRAIN_ROWS: '100',
      MAX_CLASSES: '1000',
      MAX_MODEL_BYTES: String(1024 * 1024),
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('is refused at training, with the reason recorded, and never registered or served', async () => {
    const seed = labelledBatch(300, 5);
    const labels: number[] = seed.labels;
    labels[7] = 999;
    const r = await postGraphQL(p.graphqlUrl, INGEST, { input: { ...seed, batchId: 'wide' } }, p.adminKey);
    expect(r.errors).toBeUndefined();
    const job = await waitFor(
      async () => {
        const jobs = await postGraphQL<{ trainingJobs: { items: Job[] } }>(
          p.graphqlUrl,
          '{ trainingJobs { items { id status outcome error } } }',
          {},
          p.adminKey,
        );
        const first = jobs.data?.trainingJobs.items[0];
        return first && first.status === 'FAILED' ? first : undefined;
      },
      'the bootstrap retrain to be refused',
      60_000,
    );
    expect(job.outcome).toBe('MODEL_TOO_LARGE');
    expect(job.error).toMatch(
      /^the model would hold [\d.]+ MB in memory once loaded \(\d+ leaves × 1000 classes\), above MAX_MODEL_BYTES \(1\.0 MB\): not registered$/,
    );
    const models = await postGraphQL<{ models: { total: number }; activeModel: null }>(
      p.graphqlUrl,
      '{ models { total } activeModel { version } }',
      {},
      p.adminKey,
    );
    expect(models.data).toEqual({ models: { total: 0 }, activeModel: null });
  });
});

describe('a production artifact that cannot be loaded (L8)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('postgresUrl'), { migrate: false });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('does not stop the server from starting: it serves MODEL_NOT_READY and stays healthy', async () => {
    const first = await startTestPlatform(inject('postgresUrl'), { MIN_TRAIN_ROWS: '100' }, { database });
    try {
      await postGraphQL(
        first.graphqlUrl,
        INGEST,
        { input: { ...labelledBatch(300, 3), batchId: 's' } },
        first.adminKey,
      );
      await waitFor(
        async () =>
          (
            await postGraphQL<{ activeModel: { version: number } | null }>(
              first.graphqlUrl,
              '{ activeModel { version } }',
              {},
              first.adminKey,
            )
          ).data?.activeModel?.version,
        'the first model',
        60_000,
      );
    } finally {
      await first.stop();
    }
    await database.sql`update model_versions set artifact = '\\x00' where status = 'production'`;

    const second = await startTestPlatform(inject('postgresUrl'), {}, { database });
    try {
      const health = await fetch(`${second.url}/health`);
      expect(health.status).toBe(200);
      const predicted = await postGraphQL(
        second.graphqlUrl,
        PREDICT,
        { input: { features: [[0.1, 0.2, 0.3]] } },
        second.adminKey,
      );
      expect(predicted.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_READY');
    } finally {
      await second.stop();
    }
  });
});
