import { describe, expect, it } from 'vitest';
import {
  applyTrainingEvent,
  progressFromJobs,
  progressShare,
  searchFromPayload,
  type TrainingEventInput,
  type TrainingProgress,
  trainingEventFromLog,
} from './training.ts';

const at = (s: number) => `2025-01-01T00:00:${String(s).padStart(2, '0')}Z`;
const run = (events: TrainingEventInput[], start: TrainingProgress | null = null) =>
  events.reduce(applyTrainingEvent, start);

describe('applyTrainingEvent', () => {
  it('follows a run from queued to finished, with the GraphQL enum names', () => {
    const queued = run([{ type: 'QUEUED', trainingJobId: 5, at: at(0) }]);
    expect(queued).toMatchObject({ jobId: 5, phase: 'queued', treesDone: 0, treesTotal: 0 });
    expect(progressShare(queued)).toBe(0);

    const started = run([{ type: 'STARTED', trainingJobId: 5, treesTotal: 40, at: at(1) }], queued);
    expect(started).toMatchObject({ phase: 'running', treesDone: 0, treesTotal: 40 });

    const half = run(
      [{ type: 'PROGRESS', trainingJobId: 5, treesDone: 20, treesTotal: 40, at: at(2) }],
      started,
    );
    expect(progressShare(half)).toBe(0.5);

    const done = run(
      [{ type: 'FINISHED', trainingJobId: 5, version: 3, outcome: 'promoted', at: at(3) }],
      half,
    );
    expect(done).toEqual({
      jobId: 5,
      phase: 'finished',
      treesDone: 40,
      treesTotal: 40,
      version: 3,
      outcome: 'promoted',
      error: null,
      search: null,
      waitingForRows: null,
      at: at(3),
    });
    expect(progressShare(done)).toBe(1);
  });

  it('accepts the event-log names too', () => {
    expect(
      run([{ type: 'training.progress', trainingJobId: 1, treesDone: 3, treesTotal: 10, at: at(0) }]),
    ).toMatchObject({
      phase: 'running',
      treesDone: 3,
    });
  });

  it('never moves backwards: late progress, older jobs and progress after the end are ignored', () => {
    const s = run([
      { type: 'STARTED', trainingJobId: 2, treesTotal: 10, at: at(0) },
      { type: 'PROGRESS', trainingJobId: 2, treesDone: 8, treesTotal: 10, at: at(2) },
      { type: 'PROGRESS', trainingJobId: 2, treesDone: 4, treesTotal: 10, at: at(1) },
    ]);
    expect(s?.treesDone).toBe(8);
    expect(
      applyTrainingEvent(s, { type: 'PROGRESS', trainingJobId: 1, treesDone: 1, treesTotal: 10, at: at(3) }),
    ).toBe(s);
    const failed = applyTrainingEvent(s, { type: 'FAILED', trainingJobId: 2, error: 'boom', at: at(4) });
    expect(failed).toMatchObject({ phase: 'failed', error: 'boom', treesDone: 8 });
    expect(
      applyTrainingEvent(failed, {
        type: 'PROGRESS',
        trainingJobId: 2,
        treesDone: 9,
        treesTotal: 10,
        at: at(5),
      }),
    ).toBe(failed);
  });

  it('starts a retried attempt from zero, and a re-delivered queued changes nothing', () => {
    const s = run([
      { type: 'STARTED', trainingJobId: 2, treesTotal: 10, at: at(0) },
      { type: 'PROGRESS', trainingJobId: 2, treesDone: 6, treesTotal: 10, at: at(1) },
    ]);
    expect(applyTrainingEvent(s, { type: 'QUEUED', trainingJobId: 2, at: at(2) })).toBe(s);
    expect(
      applyTrainingEvent(s, { type: 'STARTED', trainingJobId: 2, treesTotal: 10, at: at(3) }),
    ).toMatchObject({ treesDone: 0, phase: 'running' });
  });

  it('moves on to a newer job', () => {
    const s = run([
      { type: 'FINISHED', trainingJobId: 1, version: 1, outcome: 'promoted', at: at(0) },
      { type: 'QUEUED', trainingJobId: 2, at: at(1) },
    ]);
    expect(s).toMatchObject({ jobId: 2, phase: 'queued', version: null, outcome: null });
  });
});

describe('progressFromJobs', () => {
  const job = (id: number, status: string, extra: Record<string, unknown> = {}) => ({
    id,
    status,
    treesDone: 0,
    treesTotal: 20,
    queuedAt: at(id),
    ...extra,
  });
  it('prefers the running job, then the queued one, then the newest', () => {
    expect(
      progressFromJobs([job(3, 'QUEUED'), job(2, 'RUNNING', { treesDone: 5, startedAt: at(9) })]),
    ).toMatchObject({
      jobId: 2,
      phase: 'running',
      treesDone: 5,
      at: at(9),
    });
    expect(progressFromJobs([job(1, 'SUCCEEDED'), job(3, 'QUEUED')])).toMatchObject({
      jobId: 3,
      phase: 'queued',
    });
    expect(
      progressFromJobs([
        job(1, 'FAILED', { error: 'x' }),
        job(2, 'SUCCEEDED', { resultVersion: 2, outcome: 'rejected', finishedAt: at(30) }),
      ]),
    ).toEqual({
      jobId: 2,
      phase: 'finished',
      treesDone: 20,
      treesTotal: 20,
      version: 2,
      outcome: 'rejected',
      error: null,
      search: null,
      waitingForRows: null,
      at: at(30),
    });
    expect(progressFromJobs([job(1, 'FAILED', { error: 'x' })])).toMatchObject({
      phase: 'failed',
      error: 'x',
    });
    expect(progressFromJobs([])).toBeNull();
  });
});

describe('the search in the progress', () => {
  const logged = (done: number, total: number, best: number | null, window: string | null, s: number) => ({
    type: 'training.progress',
    payload: {
      trainingJobId: 7,
      treesDone: done,
      treesTotal: total,
      candidatesDone: done,
      candidatesTotal: total,
      bestScore: best,
      bestWindow: window,
    },
    at: at(s),
  });

  it('reads candidates and the best so far from a progress payload, nothing from the fixed forest’s', () => {
    expect(searchFromPayload(logged(3, 40, 0.91, 'all', 1).payload)).toEqual({
      candidatesDone: 3,
      candidatesTotal: 40,
      bestScore: 0.91,
      bestWindow: 'all',
    });
    expect(searchFromPayload({ trainingJobId: 7, treesDone: 3, treesTotal: 20 })).toBeNull();
    expect(searchFromPayload(null)).toBeNull();
    expect(
      trainingEventFromLog({ type: 'training.started', payload: { trainingJobId: 7 }, at: at(0) }),
    ).toBeNull();
    expect(trainingEventFromLog(logged(0, 40, null, null, 1))?.search).toEqual({
      candidatesDone: 0,
      candidatesTotal: 40,
      bestScore: null,
      bestWindow: null,
    });
  });

  it('keeps the newest search report through the subscription’s own progress events, until the end', () => {
    const fromLog = (e: ReturnType<typeof logged>) => trainingEventFromLog(e)!;
    const s = run([
      { type: 'STARTED', trainingJobId: 7, treesTotal: 40, at: at(0) },
      fromLog(logged(10, 40, 0.9, 'newest-500', 1)),
      // The same fit reported by trainingEvents (no payload), and a late, older log event.
      { type: 'PROGRESS', trainingJobId: 7, treesDone: 12, treesTotal: 40, at: at(2) },
      fromLog(logged(8, 40, 0.88, 'all', 1)),
    ]);
    expect(s).toMatchObject({
      phase: 'running',
      treesDone: 12,
      search: { candidatesDone: 10, candidatesTotal: 40, bestScore: 0.9, bestWindow: 'newest-500' },
    });
    const later = run([fromLog(logged(30, 40, 0.95, 'since-change', 3))], s);
    expect(later?.search).toMatchObject({ candidatesDone: 30, bestScore: 0.95, bestWindow: 'since-change' });
    expect(progressShare(later)).toBe(0.75);
    // A retry starts the search again.
    expect(run([{ type: 'STARTED', trainingJobId: 7, treesTotal: 40, at: at(4) }], later)?.search).toBeNull();
  });

  it('seeds the running job’s search from the newest progress event after a load', () => {
    const job = {
      id: 7,
      status: 'RUNNING',
      treesDone: 10,
      treesTotal: 40,
      queuedAt: at(0),
      startedAt: at(1),
    };
    expect(progressFromJobs([job], logged(10, 40, 0.9, 'all', 2))?.search).toEqual({
      candidatesDone: 10,
      candidatesTotal: 40,
      bestScore: 0.9,
      bestWindow: 'all',
    });
    // Progress of another job (an older run) says nothing about this one.
    const older = {
      ...logged(40, 40, 0.8, 'all', 0),
      payload: { ...logged(40, 40, 0.8, 'all', 0).payload, trainingJobId: 6 },
    };
    expect(progressFromJobs([job], older)?.search).toBeNull();
  });
});

describe('a retrain waiting for rows of the new regime', () => {
  it('says how many labelled rows it still waits for, until its first tree (it read "0 of 100 trees")', () => {
    const started = run([{ type: 'STARTED', trainingJobId: 9, treesTotal: 100, at: at(0) }]);
    const waiting = run(
      [{ type: 'PROGRESS', trainingJobId: 9, treesDone: 0, treesTotal: 100, waitingForRows: 340, at: at(1) }],
      started,
    );
    expect(waiting).toMatchObject({ phase: 'running', treesDone: 0, waitingForRows: 340 });
    const fewer = run(
      [{ type: 'PROGRESS', trainingJobId: 9, treesDone: 0, treesTotal: 100, waitingForRows: 120, at: at(2) }],
      waiting,
    );
    expect(fewer?.waitingForRows).toBe(120);
    const training = run(
      [{ type: 'PROGRESS', trainingJobId: 9, treesDone: 10, treesTotal: 100, at: at(3) }],
      fewer,
    );
    expect(training?.waitingForRows).toBeNull();
    // A retried attempt waits anew: nothing carried over.
    expect(
      run([{ type: 'STARTED', trainingJobId: 9, treesTotal: 100, at: at(4) }], fewer)?.waitingForRows,
    ).toBeNull();
  });

  it('is seeded from the newest progress event after a load', () => {
    const job = {
      id: 9,
      status: 'RUNNING',
      treesDone: 0,
      treesTotal: 100,
      queuedAt: at(0),
      startedAt: at(1),
    };
    const event = {
      type: 'training.progress',
      payload: { trainingJobId: 9, treesDone: 0, treesTotal: 100, waitingForRows: 75 },
      at: at(2),
    };
    expect(progressFromJobs([job], event)?.waitingForRows).toBe(75);
    expect(progressFromJobs([{ ...job, treesDone: 5 }], event)?.waitingForRows).toBeNull();
  });
});
