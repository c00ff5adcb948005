import { describe, expect, it } from 'vitest';
import { gateEvidenceFrom, type ServedOutcomes } from './gate-evidence.ts';
import type { GateSplit } from './gate-rows.ts';
import { decidePromotion } from './promotion-decision.ts';
import type { ModelVersionRecord } from './storage/models-storage.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, s * 10));

/** `n` outcomes served 10 ms apart from `from`, erring at rate `rate` (every k-th wrong). */
function served(parts: { n: number; rate: number }[]): ServedOutcomes {
  const wrong: number[] = [];
  for (const { n, rate } of parts)
    for (let i = 0; i < n; i++) wrong.push(rate > 0 && i % Math.round(1 / rate) === 0 ? 1 : 0);
  return { wrong, at: wrong.map((_, i) => at(i)), rowId: wrong.map((_, i) => i + 1) };
}

describe('gateEvidenceFrom', () => {
  const stream = served([
    { n: 1000, rate: 0.05 },
    { n: 600, rate: 0.5 },
  ]);

  it('measures the lineage before the change and keeps the window from the change on', () => {
    const e = gateEvidenceFrom(
      stream,
      { at: at(1000), rowId: 1001 },
      { firstAt: at(800), lastAt: at(1599) },
      5000,
    );
    expect(e.lineageError).toBeCloseTo(0.05, 3);
    expect(e.windowErrors.wrong).toHaveLength(600);
    expect(e.starts[0]).toEqual({ at: at(1000), rowId: 1001 });
    expect(e.windowErrors.servedAt[599]).toBe(599);
  });

  it('reads at most `lineageWindow` outcomes before the change, and none under 100', () => {
    expect(
      gateEvidenceFrom(stream, { at: at(1000), rowId: 1001 }, { firstAt: null, lastAt: null }, 200)
        .lineageError,
    ).toBeCloseTo(0.05, 3);
    expect(
      gateEvidenceFrom(stream, { at: at(50), rowId: 51 }, { firstAt: null, lastAt: null }, 5000).lineageError,
    ).toBeNull();
    expect(
      gateEvidenceFrom(stream, null, { firstAt: at(0), lastAt: at(1599) }, 5000).lineageError,
    ).toBeNull();
  });

  it('orders outcomes served at the same moment by their row ids', () => {
    const same: ServedOutcomes = { wrong: [0, 1, 1], at: [at(5), at(5), at(5)], rowId: [7, 8, 9] };
    const e = gateEvidenceFrom(same, { at: at(5), rowId: 8 }, { firstAt: at(5), lastAt: at(5) }, 5000);
    expect(e.windowErrors.wrong).toEqual([1, 1]);
    expect(e.starts.map((s) => s.rowId)).toEqual([8, 9]);
  });
});

describe('decidePromotion with the lineage evidence', () => {
  const champion = { version: 3 } as ModelVersionRecord;
  /** Gate rows of which the challenger gets the first `c` right and the champion `k` from row `off`. */
  function scored(n: number, c: number, k: number, off = 0) {
    const testY = Array.from({ length: n }, () => 1);
    const split: GateSplit = { trainX: [], trainY: [], testX: [], testY, outOfBagFrom: 0 };
    return {
      split,
      scores: {
        predicted: testY.map((_, i) => (i < c ? 1 : 0)),
        champion,
        championPredicted: testY.map((_, i) => (i >= off && i < off + k ? 1 : 0)),
      },
    };
  }
  const window = (parts: { n: number; rate: number }[]) =>
    gateEvidenceFrom(served(parts), null, { firstAt: at(0), lastAt: at(100_000) }, 5000);

  it('queues a flagged champion’s lost retrain again from the rise inside its window', () => {
    const { split, scores } = scored(400, 300, 320);
    const evidence = window([
      { n: 300, rate: 0.1 },
      { n: 300, rate: 0.6 },
    ]);
    const d = decidePromotion(scores, split, true, 0.01, evidence);
    expect(d.promote).toBe(false);
    expect(d.requeue?.rowId).toBeGreaterThan(250);
    expect(d.requeue?.rowId).toBeLessThan(350);
    expect(d.gate).toMatch(/rose again inside the window at position \d+ \(z \d/);
  });

  it('rejects without a requeue when the window shows no second rise, and unflagged never requeues', () => {
    const { split, scores } = scored(400, 300, 320);
    const flat = window([{ n: 600, rate: 0.2 }]);
    expect(decidePromotion(scores, split, true, 0.01, flat)).toMatchObject({
      promote: false,
      requeue: null,
      regression: false,
    });
    const rising = window([
      { n: 300, rate: 0.1 },
      { n: 300, rate: 0.6 },
    ]);
    expect(decidePromotion(scores, split, false, 0.01, rising).requeue).toBeNull();
  });

  it('refuses both models far above the lineage’s earlier error (the regression check)', () => {
    // Challenger 70 % right, champion 69 %: a point-estimate win, but the lineage erred 5 %.
    const { split, scores } = scored(400, 280, 276, 30);
    const evidence = { ...window([{ n: 400, rate: 0.3 }]), lineageError: 0.05 };
    const d = decidePromotion(scores, split, true, 0.01, evidence);
    expect(d).toMatchObject({ promote: false, regression: true });
    expect(d.gate).toMatch(/both models err far above the lineage's earlier level 0\.05/);
    // Without the lineage's error the same scores promote (a flagged champion, challenger ≥ champion).
    expect(decidePromotion(scores, split, true, 0.01, { ...evidence, lineageError: null }).promote).toBe(
      true,
    );
  });

  it('promotes a challenger clearly better than the champion even far above the lineage', () => {
    const { split, scores } = scored(400, 300, 200);
    const evidence = { ...window([{ n: 400, rate: 0.3 }]), lineageError: 0.05 };
    expect(decidePromotion(scores, split, true, 0.01, evidence).promote).toBe(true);
  });
});
