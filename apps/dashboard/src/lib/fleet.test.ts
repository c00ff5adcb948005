import { describe, expect, it } from 'vitest';
import { ATTENTION, applyFleetEvent, eventTypeWords, type FleetRow, pendingText } from './fleet.ts';

const row = (name: string, lastEventAt: string | null, lastEventType: string | null = null): FleetRow => ({
  name,
  attention: 'OK',
  servingVersion: 2,
  accuracy: 0.9,
  accuracyRows: 200,
  lastCheckAt: null,
  lastCheckDrifted: null,
  lastVerdict: null,
  pendingTraining: 0,
  lastEventAt,
  lastEventType,
});

const event = (pipeline: string, type: string, at: string) => ({ id: 1, pipeline, type, at });

describe('applyFleetEvent', () => {
  const rows = [row('fraud', '2025-01-01T00:00:10Z', 'drift.checked'), row('credit', null)];

  it('moves the last event of the event’s pipeline only, and asks for a re-read', () => {
    const update = applyFleetEvent(rows, event('credit', 'model.promoted', '2025-01-01T00:01:00Z'));
    expect(update.reread).toBe(true);
    expect(update.rows.map((r) => [r.name, r.lastEventType, r.lastEventAt])).toEqual([
      ['fraud', 'drift.checked', '2025-01-01T00:00:10Z'],
      ['credit', 'model.promoted', '2025-01-01T00:01:00Z'],
    ]);
    // The rows given are left as they were (the page swaps the array).
    expect(rows[1]!.lastEventType).toBeNull();
  });

  it('keeps the order: the server sorts by attention, not the feed', () => {
    const update = applyFleetEvent(rows, event('credit', 'drift.detected', '2025-01-01T00:02:00Z'));
    expect(update.rows.map((r) => r.name)).toEqual(['fraud', 'credit']);
  });

  it('takes a training progress tick as the last event without a re-read', () => {
    const update = applyFleetEvent(rows, event('fraud', 'training.progress', '2025-01-01T00:00:20Z'));
    expect(update.reread).toBe(false);
    expect(update.rows[0]).toMatchObject({
      lastEventType: 'training.progress',
      lastEventAt: '2025-01-01T00:00:20Z',
    });
  });

  it('ignores an older event for the last event (a re-read may have overtaken it)', () => {
    const update = applyFleetEvent(rows, event('fraud', 'training.progress', '2025-01-01T00:00:05Z'));
    expect(update.rows[0]).toMatchObject({
      lastEventType: 'drift.checked',
      lastEventAt: '2025-01-01T00:00:10Z',
    });
  });

  it('re-reads for a pipeline that is not listed yet', () => {
    const update = applyFleetEvent(rows, event('new-one', 'pipeline.created', '2025-01-01T00:03:00Z'));
    expect(update).toEqual({ rows, reread: true });
  });
});

describe('fleet wording', () => {
  it('reads attention states, event types and pending jobs', () => {
    expect(ATTENTION.DRIFT).toEqual({ label: 'drift', tone: 'bad' });
    expect(ATTENTION.NO_MODEL.label).toBe('no model');
    expect(eventTypeWords('model.rolled_back')).toBe('model rolled back');
    expect(eventTypeWords(null)).toBe('none yet');
    expect(pendingText(0)).toBe('none');
    expect(pendingText(1)).toBe('1 job queued or running');
    expect(pendingText(1200)).toBe('1,200 jobs queued or running');
  });
});
