// The demo's reducer of subscription events, its accuracy split and its hold point, without a
// platform: events in, lines and summary out.
import type { DriftEventFieldsFragment, TrainingEventsSubscription } from '@automl-stream/sdk/node.ts';
import { describe, expect, it } from 'vitest';
import { accuracyAroundDrift } from './accuracy.ts';
import { holdAt } from './preflight.ts';
import { DemoTracker, formatSummary } from './summary.ts';

const tracker = () =>
  new DemoTracker(
    {
      stream: 'sea',
      description: 'SEA concepts',
      driftPoints: [{ position: 3000, description: 'the threshold moves' } as never],
      servingVersion: null,
    },
    3000,
  );

function check(overrides: Partial<DriftEventFieldsFragment>): DriftEventFieldsFragment {
  return {
    id: '1',
    trigger: 'ROWS',
    verdict: 'NO_DRIFT',
    drifted: false,
    dataDrift: false,
    predictionDrift: false,
    conceptDrift: false,
    action: 'none',
    features: [
      { feature: 'f0', drifted: false },
      { feature: 'f1', drifted: false },
    ],
    conceptDriftDetails: null,
    trainingJob: null,
    ...overrides,
  } as DriftEventFieldsFragment;
}

type TrainingEvent = TrainingEventsSubscription['trainingEvents'];
const training = (overrides: Partial<TrainingEvent>) =>
  ({ trainingJobId: '7', type: 'QUEUED', job: null, ...overrides }) as TrainingEvent;

describe('DemoTracker', () => {
  it('prints each check once, counts a drift before the drift point as a false alarm', () => {
    const t = tracker();
    expect(t.onCheck(check({ id: '1' }), { sent: 1000, seconds: 20 }).lines).toEqual([
      'check #1 (rows): no drift; 0/2 features drifted',
    ]);
    expect(t.onCheck(check({ id: '1' }), { sent: 1000, seconds: 20 }).lines).toEqual([]);
    const early = check({
      id: '2',
      drifted: true,
      dataDrift: true,
      verdict: 'DRIFT',
      action: 'COOLDOWN',
      features: [
        { feature: 'f0', drifted: true },
        { feature: 'f1', drifted: false },
      ],
    } as Partial<DriftEventFieldsFragment>);
    expect(t.onCheck(early, { sent: 2000, seconds: 40 }).lines).toEqual([
      'DRIFT  check #2 (rows): data drift; 1/2 features drifted (f0) → cooldown',
    ]);
    expect(t.summary).toMatchObject({ driftChecks: 2, falseAlarms: 1, detection: null });
  });

  it('records the first drift after the drift point as the detection, with its delay and kinds', () => {
    const t = tracker();
    const found = check({
      id: '5',
      drifted: true,
      conceptDrift: true,
      verdict: 'DRIFT',
      action: 'RETRAIN_QUEUED',
      trainingJob: { id: '9' } as never,
      conceptDriftDetails: { detector: 'adwin', errorRateBefore: 0.1, errorRateAfter: 0.42 },
    });
    expect(t.onCheck(found, { sent: 3400, seconds: 70 }).lines).toEqual([
      'DRIFT  check #5 (rows): concept drift (adwin: error 10.0% → 42.0%); 0/2 features drifted → retrain queued (job 9)',
    ]);
    const still = {
      ...found,
      id: '6',
      verdict: 'STILL_DRIFTING',
      action: 'RETRAIN_PENDING',
      trainingJob: null,
    };
    expect(t.onCheck(still as never, { sent: 3600, seconds: 74 }).lines).toEqual([
      'STILL  check #6 (rows): concept drift (adwin: error 10.0% → 42.0%); 0/2 features drifted → retrain pending (the same drift, its retrain under way)',
    ]);
    t.onCheck({ ...found, id: '7' }, { sent: 4000, seconds: 80 });
    expect(t.summary.detection).toEqual({
      row: 3400,
      delayRows: 400,
      seconds: 70,
      checkId: '5',
      kinds: ['concept'],
    });
  });

  it('follows a training job: waiting, halfway once, finished; training only while not waiting', () => {
    const t = tracker();
    t.onTraining(training({ type: 'QUEUED', job: { reason: 'drift check 5' } as never }));
    expect(t.training).toBe(true);
    const waiting = t.onTraining(training({ type: 'PROGRESS', waitingForRows: 300 }));
    expect(waiting.lines).toEqual(['training job 7: waiting for 300 labelled rows of the new concept']);
    expect(t.onTraining(training({ type: 'PROGRESS', waitingForRows: 200 })).lines).toEqual([]);
    expect(t.training).toBe(false);
    expect(t.onTraining(training({ type: 'PROGRESS', treesDone: 20, treesTotal: 100 }))).toEqual({
      lines: [],
      status: 'training job 7: 20/100 trees',
    });
    expect(t.onTraining(training({ type: 'PROGRESS', treesDone: 50, treesTotal: 100 })).lines).toEqual([
      'training job 7: 50/100 trees',
    ]);
    expect(t.onTraining(training({ type: 'PROGRESS', treesDone: 60, treesTotal: 100 })).lines).toEqual([]);
    const done = t.onTraining(
      training({
        type: 'FINISHED',
        version: 2,
        outcome: 'PROMOTED',
        job: { metrics: { accuracy: 0.912 }, durationMs: 840 } as never,
      }),
    );
    expect(done.lines).toEqual(['training job 7 finished: v2 promoted (out-of-sample accuracy 0.912)']);
    expect(t.summary.trainings).toEqual([{ jobId: '7', version: 2, outcome: 'promoted', trainingMs: 840 }]);
    expect(t.training).toBe(false);
  });

  it('tracks the serving version through promotions and rollbacks', () => {
    const t = tracker();
    const promoted = t.onPromoted(
      {
        version: 2,
        previousVersion: 1,
        action: 'PROMOTED',
        model: {
          metrics: { accuracy: 0.9 },
          championMetrics: { accuracy: 0.7 },
          trainRows: 800,
          trainingMs: 1500,
        },
      } as never,
      { sent: 3900, seconds: 80 },
    );
    expect(promoted.lines).toEqual([
      'PROMOTED  v2 serves now: out-of-sample accuracy 0.900 vs v1 0.700 on the same rows; trained on 800 rows in 1.5s',
    ]);
    expect(
      t.onPromoted({ version: 1, previousVersion: 2, action: 'ROLLED_BACK' } as never, {
        sent: 4000,
        seconds: 81,
      }).lines,
    ).toEqual(['ROLLBACK  v1 serves again (was v2)']);
    expect(t.servingVersion).toBe(1);
    expect(formatSummary(t.summary)).toContain('promoted       v2 at row 3900');
  });
});

describe('accuracyAroundDrift', () => {
  it('splits the accuracy series at the drift point by stream rows and model version', () => {
    const batchLog = [
      { firstScored: 1, lastScored: 100, startRow: 0, endRow: 100 },
      { firstScored: 101, lastScored: 200, startRow: 100, endRow: 200 },
      { firstScored: 201, lastScored: 300, startRow: 200, endRow: 300 },
      { firstScored: 301, lastScored: 400, startRow: 300, endRow: 400 },
    ];
    const series = [
      { position: 100, count: 100, accuracy: 0.9, modelVersion: 1 },
      { position: 200, count: 100, accuracy: 0.6, modelVersion: 1 },
      { position: 300, count: 100, accuracy: 0.8, modelVersion: 2 },
      { position: 400, count: 100, accuracy: 0.9, modelVersion: 2 },
    ];
    expect(accuracyAroundDrift(series, { batchLog, driftAt: 100, versionAtDrift: 1 })).toEqual({
      beforeDrift: 0.9,
      afterDriftStaleModel: 0.6,
      afterRetrain: expect.closeTo(0.85, 10),
      retrainedVersion: 2,
    });
  });
});

describe('holdAt', () => {
  it('holds the stream so the first model scores up to 500 old-concept rows before the drift', () => {
    expect(holdAt(3000, 500)).toBe(2500);
    expect(holdAt(600, 500)).toBe(500);
    expect(holdAt(400, 500)).toBe(400);
  });
});
