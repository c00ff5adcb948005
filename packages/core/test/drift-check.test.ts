// The measuring half of a drift check, without a database: inputs in, a measurement and an action
// out (packages/core/src/drift-check.ts).
import { loadConfig } from '@automl-stream/config';
import { describe, expect, it } from 'vitest';
import {
  backoffRows,
  cooldownWhy,
  type DriftCheckInputs,
  decideAction,
  measureDrift,
  measureDriftInTurns,
  preparedReference,
  reportReference,
  retrainReason,
  rowsAfterMoved,
} from '../src/drift-check.ts';
import { seeded } from '../src/policy/testing.ts';

const settings = loadConfig({}).drift;
const cooldown = { cooldownRows: 1000, minIntervalSeconds: 300 };

function rows(n: number, nFeatures: number, seed: number, shift = 0): number[][] {
  const next = seeded(seed);
  return Array.from({ length: n }, () => Array.from({ length: nFeatures }, () => next() + shift));
}

function inputs(overrides: Partial<DriftCheckInputs> = {}): DriftCheckInputs {
  return {
    model: {
      nFeatures: 3,
      nClasses: 2,
      featureImportances: [0.5, 0.3, 0.2],
      referencePredictions: [500, 500],
    },
    reference: rows(1000, 3, 1),
    window: { features: rows(1000, 3, 2), predicted: Array.from({ length: 1000 }, (_, i) => i % 2) },
    errors: { wrong: [], at: [], rowId: [] },
    ...overrides,
  };
}

describe('measureDrift', () => {
  it('finds no drift when the window looks like the reference', () => {
    const m = measureDrift(inputs(), settings);
    expect(m).toMatchObject({
      verdict: 'no_drift',
      drifted: false,
      dataDrift: false,
      predictionDrift: false,
    });
    expect(m.features.map((f) => f.feature)).toEqual(['f0', 'f1', 'f2']);
    expect(m.features.map((f) => f.importance)).toEqual([0.5, 0.3, 0.2]);
    expect(m.histograms).toHaveLength(3);
    expect(m.nReference).toBe(1000);
    expect(m.nCurrent).toBe(1000);
  });

  it('sorts a reference once: checks against the same rows reuse its sorted form, with the same verdict', () => {
    const reference = rows(1200, 3, 1);
    const first = preparedReference(reference, undefined);
    expect(preparedReference(reference, undefined)).toBe(first);
    // Another declaration of the kinds, or other rows (a new version's sample), are sorted anew.
    const declared = preparedReference(reference, [true, false, false]);
    expect(declared).not.toBe(first);
    expect(declared.kinds[0]).toBe('categorical');
    expect(preparedReference(rows(1200, 3, 1), undefined)).not.toBe(first);
    const window = { features: rows(1000, 3, 2, 0.3), predicted: [] as number[] };
    const a = measureDrift(inputs({ reference, window }), settings);
    const b = measureDrift(inputs({ reference, window }), settings);
    expect(a.chunk?.pValue).toBeLessThan(0.01);
    expect(b.chunk).toEqual(a.chunk);
  });

  it('sorts a reference once for the per-feature report and the histograms, with the same report', () => {
    const reference = rows(1200, 3, 1);
    const names = ['f0', 'f1', 'f2'];
    const first = reportReference(reference, null, names);
    expect(reportReference(reference, null, names)).toBe(first);
    expect(reportReference(reference, ['numeric', 'numeric', 'numeric'], names)).not.toBe(first);
    expect(reportReference(reference, null, ['a', 'b', 'c'])).not.toBe(first);
    expect(reportReference(rows(1200, 3, 1), null, names)).not.toBe(first);
    // The measurement against the kept form equals one against a fresh copy of the same rows.
    const window = { features: rows(1000, 3, 2, 0.3), predicted: [] as number[] };
    const kept = measureDrift(inputs({ reference, window }), settings);
    const fresh = measureDrift(inputs({ reference: reference.map((r) => [...r]), window }), settings);
    expect(kept.features).toEqual(fresh.features);
    expect(kept.histograms).toEqual(fresh.histograms);
    expect(kept.features.every((f) => f.drifted)).toBe(true);
    expect(kept.histograms[0]!.reference.reduce((a, b) => a + b, 0)).toBe(1200);
  });

  it('measures in turns of the event loop to the same measurement', async () => {
    const moved = inputs({ window: { features: rows(1000, 3, 2, 0.3), predicted: [] } });
    // A ticker that runs once per turn of the event loop (each setImmediate queues the next).
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const measuring = measureDriftInTurns(moved, settings);
    turns = 0;
    const inTurns = await measuring;
    ticking = false;
    expect(inTurns).toEqual(measureDrift(moved, settings));
    expect(inTurns.dataDrift).toBe(true);
    expect(turns).toBeGreaterThan(0);
  });

  it('finds data drift when every feature moved, with each feature drifted', () => {
    const m = measureDrift(inputs({ window: { features: rows(1000, 3, 2, 0.5), predicted: [] } }), settings);
    expect(m).toMatchObject({ verdict: 'drift', drifted: true, dataDrift: true, driftedShare: 1 });
    expect(m.features.every((f) => f.drifted && f.ksPValue < 1e-10)).toBe(true);
  });

  it('says of a moved feature the model barely uses (an identifier) that it does not vote', () => {
    // f2 counts up like an id: far from the reference, but its importance is below 1/(2·3).
    const window = rows(1000, 3, 2).map((r, i) => [r[0]!, r[1]!, 5 + i]);
    const model = {
      nFeatures: 3,
      nClasses: 2,
      featureImportances: [0.6, 0.38, 0.02],
      referencePredictions: [500, 500],
    };
    const m = measureDrift(inputs({ model, window: { features: window, predicted: [] } }), settings);
    expect(m.dataDrift).toBe(false);
    const id = m.features.find((f) => f.feature === 'f2')!;
    expect(id.drifted).toBe(true);
    expect(id.reason).toMatch(
      /; does not vote: the model uses it little or not at all \(importance 0\.020 < 1\/\(2·3\)\), so it cannot raise a drift verdict$/,
    );
    expect(m.features.filter((f) => f.reason.includes('does not vote'))).toHaveLength(1);
  });

  it('takes features moved in two checks in a row, flagged or advisory, for a covariate shift', () => {
    const moved = { features: rows(1000, 3, 2, 0.5), predicted: [] };
    const first = measureDrift(inputs({ window: moved, movedStreak: 0 }), settings);
    expect(first.shift).toMatchObject({ confirmed: false, checks: 1 });
    const second = measureDrift(inputs({ window: moved, movedStreak: 1 }), settings);
    expect(second.shift).toMatchObject({ confirmed: true, checks: 2 });
    expect(second.shift!.reason).toMatch(/^covariate shift: the features moved in 2 checks in a row/);
    // Against a reference too small for a verdict the chunk is advisory, and it still counts.
    const small = measureDrift(
      inputs({ reference: rows(400, 3, 1), window: moved, movedStreak: 1 }),
      settings,
    );
    expect(small).toMatchObject({ dataDrift: false, chunk: { advisory: true }, shift: { confirmed: true } });
    // Features that did not move end the run, whatever came before.
    const still = measureDrift(inputs({ movedStreak: 5 }), settings);
    expect(still.shift).toMatchObject({ confirmed: false, checks: 0 });
  });

  it('confirms a covariate shift with the rows served since the check before, which shares the rest of its window', () => {
    // The check at row 1,000 flagged [501, 1000]; an early check at 1,200 reads [701, 1200].
    const ids = Array.from({ length: 500 }, (_, i) => 1200 - i);
    const window = {
      span: { source: 'rows' as const, first: 701, last: 1200 },
      ids,
      features: ids.map((id) => [id]),
    };
    const before = (flagged: boolean, first = 501, last = 1000) => ({
      flagged,
      span: { source: 'rows' as const, first, last },
    });
    const tail = rowsAfterMoved([before(true)], window, 100);
    expect(tail?.features.map((f) => f[0])).toEqual(ids.slice(0, 200));
    expect(tail?.movedStreak).toBe(1);
    expect(rowsAfterMoved([before(true)], window, 250)).toBeNull(); // 200 rows after it
    expect(rowsAfterMoved([before(false)], window, 100)).toBeNull();
    expect(rowsAfterMoved([before(true, 1, 500)], window, 100)).toBeNull(); // disjoint: it counts as it is

    const moved = { features: rows(1000, 3, 2, 0.5), predicted: [] };
    const measure = (tailRows: number[][], movedStreak: number) =>
      measureDrift(
        inputs({ window: moved, movedStreak: 0, tail: { features: tailRows, movedStreak } }),
        settings,
      ).shift;
    const confirmed = measure(rows(200, 3, 3, 0.5), 1);
    expect(confirmed).toMatchObject({ confirmed: true, checks: 2 });
    expect(confirmed!.reason).toMatch(
      /^covariate shift: the features moved in the check before and in the 200 rows served since it \(data drift: Simes p/,
    );
    expect(measure(rows(200, 3, 3), 1)).toMatchObject({ confirmed: false, checks: 1 });
    expect(measure(rows(200, 3, 3, 0.5), 0)).toMatchObject({ confirmed: false, checks: 1 });
  });

  it('lets labels decide: moved features warn while labels come in, and act without labels only on two checks in a row', () => {
    const moved = { window: { features: rows(1000, 3, 2, 0.5), predicted: [] } };
    const withLabels = measureDrift(inputs({ ...moved, labelsComeIn: true }), settings);
    expect(withLabels).toMatchObject({ verdict: 'warning', drifted: false, dataDrift: true });
    expect(withLabels.chunk?.warning).toMatch(/labels come in and decide/);
    const first = measureDrift(inputs({ ...moved, labelsComeIn: false, flaggedStreak: 0 }), settings);
    expect(first).toMatchObject({ verdict: 'warning', drifted: false, dataDrift: true });
    expect(first.chunk?.warning).toMatch(/two in a row/);
    const second = measureDrift(inputs({ ...moved, labelsComeIn: false, flaggedStreak: 1 }), settings);
    expect(second).toMatchObject({ verdict: 'drift', drifted: true, dataDrift: true });
    // Flagged by three checks in a row while the labels showed no loss: accepted, no longer a warning.
    const accepted = measureDrift(inputs({ ...moved, labelsComeIn: true, flaggedStreak: 3 }), settings);
    expect(accepted).toMatchObject({ verdict: 'no_drift', drifted: false, dataDrift: true });
    expect(accepted.chunk?.warning).toMatch(/^accepted: flagged by 3 checks in a row/);
  });

  it('says insufficient data below 100 current rows, and ignores rows of another width', () => {
    const narrow = rows(500, 2, 3);
    const m = measureDrift(
      inputs({ window: { features: [...rows(99, 3, 2), ...narrow], predicted: [] } }),
      settings,
    );
    expect(m).toMatchObject({ verdict: 'insufficient_data', drifted: false, nCurrent: 99, features: [] });
  });

  it('finds prediction drift when the predicted-class mix moved far enough', () => {
    const predicted = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const m = measureDrift(inputs({ window: { features: rows(1000, 3, 2), predicted } }), settings);
    expect(m.predictionDrift).toBe(true);
    expect(m.prediction).toMatchObject({
      referenceCounts: [500, 500],
      currentCounts: [900, 100],
      drifted: true,
    });
  });

  it('acts on a moved class mix only without labels: while labelled outcomes show no rise it is advisory', () => {
    const predicted = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const unlabelled = measureDrift(inputs({ window: { features: rows(1000, 3, 2), predicted } }), settings);
    expect(unlabelled).toMatchObject({ drifted: true, verdict: 'drift', predictionDrift: true });
    // The first disjoint chunk to see the mix move: a warning (a retrain needs two in a row).
    const first = measureDrift(
      inputs({ window: { features: rows(1000, 3, 2), predicted }, predictionStreak: 0 }),
      settings,
    );
    expect(first).toMatchObject({ drifted: false, verdict: 'warning', predictionDrift: true });
    expect(first.prediction.warning).toMatch(/^the first check to see the class mix move/);
    // The loop test's false alarm before its change: labels came in, steady at 10 % errors.
    const wrong = Array.from({ length: 600 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const at = wrong.map((_, i) => new Date(Date.UTC(2026, 0, 1) + i * 1000));
    const errors = { wrong, at, rowId: wrong.map((_, i) => i + 1) };
    const labelled = measureDrift(
      inputs({ window: { features: rows(1000, 3, 2), predicted }, errors }),
      settings,
    );
    expect(labelled).toMatchObject({ drifted: false, verdict: 'warning', predictionDrift: true });
    expect(labelled.prediction).toMatchObject({ drifted: true, advisory: true });
  });

  it('finds concept drift when the error rate of the serving version rises, and locates it', () => {
    const wrong = [...Array.from({ length: 2000 }, (_, i) => (i % 10 === 0 ? 1 : 0)), ...Array(1000).fill(1)];
    const at = wrong.map((_, i) => new Date(Date.UTC(2026, 0, 1) + i * 1000));
    const rowId = wrong.map((_, i) => i + 1);
    const m = measureDrift(inputs({ errors: { wrong, at, rowId } }), settings);
    expect(m).toMatchObject({ verdict: 'drift', conceptDrift: true, dataDrift: false });
    expect(m.concept.changeIndex).toBeGreaterThanOrEqual(1990);
    expect(m.concept.changeIndex).toBeLessThanOrEqual(2010);
    expect(m.concept.changeRowId).toBe(m.concept.changeIndex! + 1);
  });
});

describe('decideAction', () => {
  const drift = { drifted: true, verdict: 'drift' as const };

  it('queues a retrain for a drift when nothing is pending and the last one is old', () => {
    expect(decideAction(drift, { pending: false, last: null }, cooldown)).toBe('retrain_queued');
    expect(decideAction(drift, { pending: false, last: { secondsAgo: 301 } }, cooldown)).toBe(
      'retrain_queued',
    );
  });

  it('queues nothing for a version a retrain replaced while the check measured it', () => {
    expect(decideAction(drift, { pending: false, last: null, replacedBy: 3 }, cooldown)).toBe('none');
    expect(decideAction(drift, { pending: false, last: null, replacedBy: null }, cooldown)).toBe(
      'retrain_queued',
    );
  });

  it('leaves a pending retrain alone: one shift, one retrain', () => {
    expect(decideAction(drift, { pending: true, last: null }, cooldown)).toBe('retrain_pending');
  });

  it('holds a drift retrain for RETRAIN_MIN_INTERVAL_SECONDS after the last one was queued', () => {
    expect(decideAction(drift, { pending: false, last: { secondsAgo: 299 } }, cooldown)).toBe('cooldown');
  });

  it('does not wait in rows after a promoted drift retrain: the new version is tested afresh', () => {
    const promoted = { pending: false, last: { secondsAgo: 3600 }, backoff: null };
    expect(decideAction(drift, promoted, cooldown)).toBe('retrain_queued');
  });

  it('backs off in labelled rows after drift retrains that replaced nothing, doubling to ×16 (P7)', () => {
    const after = (failures: number, labelledSince: number) =>
      decideAction(
        drift,
        { pending: false, last: { secondsAgo: 3600 }, backoff: { failures, labelledSince } },
        cooldown,
      );
    expect([after(1, 999), after(1, 1000)]).toEqual(['cooldown', 'retrain_queued']);
    expect([after(2, 1999), after(2, 2000)]).toEqual(['cooldown', 'retrain_queued']);
    expect([after(3, 3999), after(3, 4000)]).toEqual(['cooldown', 'retrain_queued']);
    expect([after(5, 15_999), after(5, 16_000)]).toEqual(['cooldown', 'retrain_queued']);
    expect(backoffRows(1000, 9)).toBe(16_000);
    expect(
      cooldownWhy(
        {
          pending: false,
          last: { secondsAgo: 3600 },
          backoff: { failures: 2, labelledSince: 150 },
        },
        cooldown,
      ),
    ).toBe(
      'no retrain yet: back-off after 2 drift retrain(s) in a row that replaced nothing, 150 of 2000 labelled rows (DRIFT_COOLDOWN_ROWS 1000 × 2)',
    );
    expect(cooldownWhy({ pending: false, last: { secondsAgo: 12.5 } }, cooldown)).toBe(
      'no retrain yet: the last drift-triggered retrain was queued 12 s ago (RETRAIN_MIN_INTERVAL_SECONDS 300)',
    );
  });

  it('does nothing without a drift', () => {
    expect(
      decideAction({ drifted: false, verdict: 'no_drift' }, { pending: false, last: null }, cooldown),
    ).toBe('none');
    expect(
      decideAction(
        { drifted: false, verdict: 'insufficient_data' },
        { pending: false, last: null },
        cooldown,
      ),
    ).toBe('insufficient_data');
  });

  it('names the kinds of drift in the retrain reason', () => {
    expect(retrainReason(7, { dataDrift: true, predictionDrift: false, conceptDrift: true })).toBe(
      'drift check 7: data drift, concept drift',
    );
  });
});
