// A table smaller than MIN_TRAIN_ROWS never gets a model by itself. Before, predict said "ingest
// at least 500 labelled rows … or call retrain", and a retrain failed "only 406 labelled rows are
// stored; training needs MIN_TRAIN_ROWS = 500" (a real table of 406 cars): neither said that the
// setting can be lowered for the pipeline. Both now say how. And lowering it (what they say to do)
// once the rows are stored asked for nothing: the first model came at the next timed check, up to
// CHECK_INTERVAL_SECONDS (300 s) later. Configuring the pipeline now asks at once.
import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/errors.ts';
import { getTrainingJob, listTrainingJobs } from '../src/storage/training-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

const HINT =
  'lower MIN_TRAIN_ROWS for this pipeline: automl-stream pipelines configure default --set MIN_TRAIN_ROWS=150';

describe('a table smaller than MIN_TRAIN_ROWS', () => {
  const suite = quietPlatformForSuite({ MIN_TRAIN_ROWS: '300', AUTOML_BUDGET_SECONDS: '0' });

  it('says how to lower MIN_TRAIN_ROWS when predict finds no model and when a retrain has too few rows', async () => {
    const { db, platform } = suite;
    const features = Array.from({ length: 200 }, (_, k) => [k / 200, ((k * 37) % 200) / 200]);
    await platform.data.ingest({
      features,
      labels: features.map((f) => Number(f[0]! > 0.5)),
      batchId: 'small',
    });
    let refused: unknown = null;
    try {
      platform.data.servingModel();
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'MODEL_NOT_READY' });
    expect((refused as Error).message).toContain(
      'once 300 labelled rows (MIN_TRAIN_ROWS) of at least two classes',
    );
    expect((refused as Error).message).toContain(HINT);
    const { job } = await platform.drift.requestRetrain('by hand, too few rows');
    await platform.retrain.run(job.id);
    const failed = await getTrainingJob(db.sql, 1, job.id);
    expect(failed).toMatchObject({ status: 'failed', outcome: 'insufficient_data' });
    expect(failed!.error).toContain(
      'only 200 labelled rows are stored; training needs MIN_TRAIN_ROWS = 300: ingest more, or',
    );
    expect(failed!.error).toContain(HINT);
  }, 60_000);

  it('queues the first model at once when MIN_TRAIN_ROWS is lowered below the rows a pipeline holds', async () => {
    const { db, platform } = suite;
    const created = await platform.pipelines.create({ name: 'cars' });
    const runtime = await platform.pipelines.runtime('cars');
    const features = Array.from({ length: 180 }, (_, k) => [k / 180, ((k * 37) % 180) / 180]);
    await runtime.data.ingest({
      features,
      labels: features.map((f) => Number(f[0]! > 0.5)),
      batchId: 'cars-all',
    });
    const listed = () => listTrainingJobs(db.sql, created.id, { limit: 10, offset: 0 });
    expect(await listed()).toHaveLength(0);
    await platform.pipelines.configure('cars', { MIN_TRAIN_ROWS: 150 });
    const jobs = await listed();
    expect(jobs.map((j) => [j.status, j.reason])).toEqual([
      ['queued', 'bootstrap: 180 labelled rows (MIN_TRAIN_ROWS 150)'],
    ]);
    // Configuring again while it is open queues no second one.
    await platform.pipelines.configure('cars', { MIN_TRAIN_ROWS: 140, AUTOML_BUDGET_SECONDS: 3 });
    expect(await listed()).toHaveLength(1);

    // 180 rows are fewer than a search needs: the version says so (a wine-sized
    // table read "AUTOML_BUDGET_SECONDS was 0" in models --candidates with the budget at 8 s).
    const configured = await platform.pipelines.runtime('cars');
    const run = await configured.retrain.run(jobs[0]!.id);
    expect(run.version?.params.search).toBeUndefined();
    expect(run.version?.params.fixed).toMatch(
      /^search skipped: \d+ training rows, fewer than the 200 a search needs$/,
    );
  }, 60_000);
});
