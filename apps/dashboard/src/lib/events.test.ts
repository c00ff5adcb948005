import { describe, expect, it } from 'vitest';
import { describeEvent, EVENT_LIST_SIZE, isListed, mergeEvents, type PlatformEventInput } from './events.ts';

const at = '2025-01-01T00:00:00Z';
const event = (id: number, type: string, payload: Record<string, unknown> = {}): PlatformEventInput => ({
  id,
  type,
  payload,
  at,
});

describe('describeEvent', () => {
  it('links a detected drift to its page and names the kinds of drift', () => {
    const view = describeEvent(
      event(7, 'drift.detected', {
        driftCheckId: 12,
        drifted: true,
        dataDrift: true,
        predictionDrift: false,
        conceptDrift: true,
        driftedShare: 0.666,
        action: 'retrain_queued',
      }),
    );
    expect(view).toEqual({
      id: 7,
      type: 'drift.detected',
      at,
      title: 'Drift detected (data, concept)',
      detail: '67 % of features drifted · retrain queued',
      tone: 'bad',
      href: '/p/default/drift/12',
    });
  });

  it('reads drift checks by verdict', () => {
    expect(
      describeEvent(
        event(1, 'drift.checked', {
          driftCheckId: 3,
          verdict: 'no_drift',
          drifted: false,
          driftedShare: 0,
          action: 'none',
        }),
        'credit-scoring',
      ),
    ).toMatchObject({
      title: 'Drift check: no drift',
      detail: '0 % of features drifted · no action',
      tone: 'info',
      href: '/p/credit-scoring/drift/3',
    });
    expect(
      describeEvent(
        event(2, 'drift.checked', {
          driftCheckId: 4,
          verdict: 'insufficient_data',
          action: 'insufficient_data',
        }),
      ),
    ).toMatchObject({
      title: 'Drift check: not enough data',
      detail: 'not enough rows for a verdict',
    });
  });

  it('reads the steps of a training run', () => {
    expect(
      describeEvent(event(1, 'training.queued', { trainingJobId: 5, reason: 'drift detected' })),
    ).toMatchObject({
      title: 'Training #5 queued',
      detail: 'drift detected',
    });
    expect(
      describeEvent(event(2, 'training.started', { trainingJobId: 5, treesTotal: 50, attempt: 2 })).detail,
    ).toBe('50 trees · attempt 2');
    expect(
      describeEvent(event(2, 'training.started', { trainingJobId: 5, treesTotal: 50, attempt: 1 })).detail,
    ).toBe('50 trees');
    expect(
      describeEvent(
        event(3, 'training.finished', {
          trainingJobId: 5,
          version: 3,
          outcome: 'promoted',
          accuracy: 0.912,
          championAccuracy: 0.8,
          trainingMs: 1500,
        }),
      ),
    ).toMatchObject({
      title: 'Training #5 finished: v3 promoted',
      detail: 'accuracy 91.2 % · champion 80.0 % · trained in 1.50 s',
      tone: 'good',
    });
    expect(
      describeEvent(
        event(4, 'training.failed', { trainingJobId: 6, error: 'out of memory', willRetry: true }),
      ),
    ).toMatchObject({
      title: 'Training #6 failed',
      detail: 'out of memory · will retry',
      tone: 'bad',
    });
  });

  it('reads changes of the serving version', () => {
    expect(
      describeEvent(
        event(1, 'model.promoted', {
          version: 3,
          previousVersion: 2,
          reason: 'promoted by admin',
          manual: true,
        }),
      ),
    ).toMatchObject({
      title: 'v3 now serving',
      detail: 'replaces v2 · manual · promoted by admin',
      tone: 'good',
    });
    expect(
      describeEvent(event(1, 'model.promoted', { version: 1, previousVersion: null, reason: 'bootstrap' }))
        .detail,
    ).toBe('bootstrap');
    expect(
      describeEvent(
        event(2, 'model.rolled_back', { version: 2, previousVersion: 3, reason: 'rolled back by admin' }),
      ),
    ).toMatchObject({
      title: 'Rolled back to v2',
      detail: 'from v3 · rolled back by admin',
      tone: 'warn',
    });
    expect(
      describeEvent(event(3, 'model.rejected', { version: 4, reason: 'accuracy 0.7 < champion 0.9' })),
    ).toMatchObject({
      title: 'v4 rejected',
      detail: 'accuracy 0.7 < champion 0.9',
    });
  });

  it('still shows an event type it does not know, and survives a payload that is not an object', () => {
    expect(describeEvent({ id: 1, type: 'something.new', payload: null, at })).toMatchObject({
      title: 'something.new',
      detail: '',
      href: null,
    });
    expect(describeEvent({ id: 2, type: 'training.queued', payload: 'oops', at }).title).toBe(
      'Training #? queued',
    );
  });
});

describe('isListed and mergeEvents', () => {
  it('leaves out progress ticks and the drift.checked twin of a detected drift', () => {
    expect(isListed(event(1, 'training.progress', { treesDone: 5 }))).toBe(false);
    expect(isListed(event(2, 'drift.checked', { drifted: true }))).toBe(false);
    expect(isListed(event(3, 'drift.checked', { drifted: false }))).toBe(true);
    expect(isListed(event(4, 'drift.detected', { drifted: true }))).toBe(true);
  });

  it('lists a check that found the same drift still there (it has no drift.detected twin)', () => {
    const still = event(8, 'drift.checked', {
      drifted: true,
      verdict: 'still_drifting',
      action: 'retrain_pending',
    });
    expect(isListed(still)).toBe(true);
    expect(describeEvent(still, 'default')).toMatchObject({
      title: 'Drift check: still drifting (its retrain is under way)',
      tone: 'warn',
    });
  });

  it('merges newest first, each id once, without the unlisted ones', () => {
    const current = [event(5, 'model.promoted'), event(3, 'training.queued')];
    const merged = mergeEvents(current, [
      event(6, 'training.progress'),
      event(5, 'model.promoted'),
      event(4, 'training.started'),
      event(7, 'drift.detected'),
    ]);
    expect(merged.map((e) => e.id)).toEqual([7, 5, 4, 3]);
  });

  it('keeps at most the list size', () => {
    const many = Array.from({ length: 80 }, (_, k) => event(k + 1, 'training.queued'));
    const merged = mergeEvents([], many);
    expect(merged).toHaveLength(EVENT_LIST_SIZE);
    expect(merged[0]!.id).toBe(80);
    expect(merged.at(-1)!.id).toBe(80 - EVENT_LIST_SIZE + 1);
    expect(mergeEvents(merged, [event(100, 'model.promoted')], 3).map((e) => e.id)).toEqual([100, 80, 79]);
  });
});
