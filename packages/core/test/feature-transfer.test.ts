// A drift retrain after a located change leaves out a feature that tracks a moving level
// (features-left-out.ts, policy/feature-transfer.ts): its thresholds held before the change and
// point the wrong way after it. The platform records what it left out and why, the new version
// generalises to a level it never saw, and the regime's growth keeps the feature out.
import { loadForest } from '@automl-stream/ml';
import { describe, expect, it } from 'vitest';
import type { LeftOut } from '../src/features-left-out.ts';
import { retrainQueue } from '../src/queues.ts';
import { REGIME_GROWTH } from '../src/retrain-requests.ts';
import { getArtifact } from '../src/storage/models-storage.ts';
import { getTrainingJob } from '../src/storage/training-storage.ts';
import { quietPlatformForSuite } from './quiet-platform.ts';

/**
 * Seeded rows around a hidden level: `reading` = level + deviation, the deviation itself, and a
 * column of noise; the label says whether the deviation is positive. Before the change the
 * reading alone tells it as well as the deviation does; after it, only the deviation.
 */
function levelRows(level: number, n: number, offset: number) {
  const features = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const deviation = ((k * 7919) % 1000) / 500 - 1;
    return [level + deviation, deviation, k % 3];
  });
  const labels = features.map((f) => Number(f[0]! - level > 0));
  return { features, labels };
}

const SETTINGS = {
  MIN_TRAIN_ROWS: '300',
  AUTOML_BUDGET_SECONDS: '0',
  GROWTH_RETRAIN_ROWS: '100000',
  RETRAIN_MIN_INTERVAL_SECONDS: '0',
  WINDOW_SIZE: '200',
};

/** Version 1 learns level 0 (1,000 rows) and serves; no job left in the queue. */
async function servingLevel0({ db, platform }: ReturnType<typeof quietPlatformForSuite>) {
  await platform.data.ingest({ ...levelRows(0, 1000, 0), batchId: 'level-0' });
  const { job } = await platform.drift.requestRetrain('bootstrap for the test');
  expect((await platform.retrain.run(job.id)).promoted).toBe(true);
  await platform.holder.refresh();
  await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;
}

/**
 * Version 1 learns level 0 and serves; 400 rows at level 3 and a check: it must find
 * the change and queue a drift retrain, which it runs and returns with the check.
 */
async function retrainAtLevel3(suite: ReturnType<typeof quietPlatformForSuite>) {
  const { platform } = suite;
  await servingLevel0(suite);
  await platform.data.ingest({ ...levelRows(3, 400, 1000), batchId: 'level-3' });
  const alarm = (await platform.drift.check('manual')).check!;
  expect(alarm).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
  return { alarm, retrain: await platform.retrain.run(alarm.trainingJobId!) };
}

describe('a drift retrain leaves out a feature whose level moved', () => {
  // A check interval of 1 s: the growth below comes once no label arrived for it (a quiet stream).
  // On a live stream it would wait, as the fast model errs on none of these noiseless rows.
  const suite = quietPlatformForSuite({ ...SETTINGS, CHECK_INTERVAL_SECONDS: '1' });

  it('records what it left out, generalises to a new level, and its growth keeps it out', async () => {
    const { db, platform } = suite;
    const { alarm, retrain } = await retrainAtLevel3(suite);
    expect(retrain.promoted).toBe(true);
    const leftOut = retrain.version!.params.leftOut as LeftOut;
    expect(leftOut.features).toEqual([0]);
    expect(leftOut.baseline).toBeLessThan(leftOut.accuracy - 0.1);
    const explained = (await getTrainingJob(db.sql, 1, alarm.trainingJobId!))!.metrics as {
      featuresLeftOut?: string;
    };
    expect(explained.featuresLeftOut).toMatch(
      /^left out f0: they moved across the change, and a model of the \d+ rows before it predicted the window at \d+\.\d % without them/,
    );

    // A level it never saw: the reading is out of range, the deviation still tells.
    const forest = loadForest((await getArtifact(db.sql, 1, retrain.version!.version))!);
    const unseen = levelRows(7, 500, 5000);
    const predicted = forest.predict(unseen.features);
    const right = predicted.filter((p, i) => p === unseen.labels[i]).length;
    expect(right / unseen.labels.length).toBeGreaterThan(0.9);
    await platform.holder.refresh();
    await db.sql`delete from pgboss.job where name = ${retrainQueue.name}`;

    // The regime's rows triple and no label comes for a check interval: its growth keeps the
    // reading out without measuring again.
    await platform.data.ingest({ ...levelRows(3, 1200, 1400), batchId: 'more-level-3' });
    await new Promise((r) => setTimeout(r, 1200));
    const growth = (await platform.drift.check('manual')).trainingJob!;
    expect(growth.reason.startsWith(REGIME_GROWTH)).toBe(true);
    const grown = await platform.retrain.run(growth.id);
    expect(grown.version!.params.leftOut).toMatchObject({ features: [0], inherited: true });
    expect(grown.version!.featureImportances[0]).toBe(0);
  }, 120_000);
});

/** `levelRows` with only deviations beyond ±`gap`: the features move, the labels stay as they were. */
function gappedRows(level: number, n: number, offset: number, gap: number) {
  const all = levelRows(level, 4 * n, offset);
  const keep = all.features.flatMap((f, i) => (Math.abs(f[1]!) > gap ? [i] : [])).slice(0, n);
  return { features: keep.map((i) => all.features[i]!), labels: keep.map((i) => all.labels[i]!) };
}

describe('a retrain that reaches back over a covariate shift', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, MIN_TRAIN_ROWS: '600', RETRAIN_WAIT_SECONDS: '1' });

  it('asks the rows after the change, and leaves out the feature that did not transfer', async () => {
    const { db, platform } = suite;
    await servingLevel0(suite);
    // The features move where v1 still reads them right (a warning), then beyond (the labels alarm).
    await platform.data.ingest({ ...gappedRows(0.2, 200, 1000, 0.3), batchId: 'moved' });
    const first = (await platform.drift.check('manual')).check!;
    expect(first).toMatchObject({ conceptDrift: false, action: 'none' });
    await platform.data.ingest({ ...levelRows(3, 400, 2000), batchId: 'level-3' });
    const second = (await platform.drift.check('manual')).check!;
    expect(second).toMatchObject({ conceptDrift: true, action: 'retrain_queued' });
    expect(second.details.shift).toMatchObject({ confirmed: true });

    // The window reaches back (MIN_TRAIN_ROWS: 200 rows before the change); its 400 rows after
    // the change are the new regime the rows before it are asked to predict.
    const retrain = await platform.retrain.run(second.trainingJobId!);
    expect(retrain.promoted).toBe(true);
    expect(retrain.version!.trainRows).toBe(600);
    const leftOut = retrain.version!.params.leftOut as LeftOut;
    // (The change is located a few rows into the batch: as many rows before it as after it.)
    expect(leftOut.features).toEqual([0]);
    expect(leftOut.pastRows).toBeGreaterThan(380);
    expect(leftOut.inherited).toBeUndefined();
    expect(retrain.version!.featureImportances[0]).toBe(0);
    const forest = loadForest((await getArtifact(db.sql, 1, retrain.version!.version))!);
    const unseen = levelRows(7, 500, 5000);
    const right = forest.predict(unseen.features).filter((p, i) => p === unseen.labels[i]).length;
    expect(right / unseen.labels.length).toBeGreaterThan(0.9);
  }, 120_000);
});

describe('FEATURE_TRANSFER=false', () => {
  const suite = quietPlatformForSuite({ ...SETTINGS, FEATURE_TRANSFER: 'false' });

  it('trains the same drift retrain on every feature', async () => {
    const { retrain } = await retrainAtLevel3(suite);
    expect(retrain.version!.params.leftOut).toBeUndefined();
    expect(retrain.version!.featureImportances[0]).toBeGreaterThan(0);
  }, 120_000);
});
