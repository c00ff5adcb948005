import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG } from './config.ts';
import { type GateInput, promotionGate, repromoteWithoutTraining } from './gate.ts';
import { seeded } from './testing.ts';

const config = DEFAULT_POLICY_CONFIG;

/** Predictions right with probability `accuracy`, the two models' errors independent. */
function predictions(labels: number[], accuracy: number, random: () => number): number[] {
  return labels.map((y) => (random() < accuracy ? y : 1 - y));
}

/** A challenger against a champion v1 that a level test flagged, no archived versions. */
function flaggedChampion(
  labels: number[],
  challenger: number[],
  champion: number[],
  extra: Partial<GateInput> = {},
): GateInput {
  return {
    labels,
    challenger: { version: null, predicted: challenger },
    champion: { version: 1, predicted: champion },
    archived: [],
    championFlagged: true,
    lineageError: null,
    ...extra,
  };
}

describe('promotionGate (P6)', () => {
  const random = seeded(1);
  const labels = Array.from({ length: 150 }, () => (random() < 0.5 ? 1 : 0));

  it('promotes the first version without comparison', () => {
    const gate = promotionGate(
      {
        labels,
        challenger: { version: null, predicted: labels },
        champion: null,
        archived: [],
        championFlagged: false,
        lineageError: null,
      },
      config,
    );
    expect(gate.decision).toBe('promote');
  });

  it('refuses a clearly worse challenger, and says by how much and on which bound', () => {
    const champion = predictions(labels, 0.94, seeded(2));
    const challenger = predictions(labels, 0.84, seeded(3));
    const gate = promotionGate(
      {
        labels,
        challenger: { version: null, predicted: challenger },
        champion: { version: 1, predicted: champion },
        archived: [],
        championFlagged: false,
        lineageError: null,
      },
      config,
    );
    expect(gate.decision).toBe('reject');
    expect(gate.metric).toBe('accuracy');
    expect(gate.lowerBound!).toBeLessThan(-config.promotionTolerance);
    expect(gate.explanation.decision).toMatch(/lower bound of challenger − champion/);
    expect(gate.explanation.evidence.test).toBe('exact McNemar');
  });

  it('needs only a point estimate when a level test flagged the champion', () => {
    const champion = predictions(labels, 0.75, seeded(4));
    const challenger = champion.map((p, i) => (i < 12 ? labels[i]! : p));
    const input = {
      labels,
      challenger: { version: null, predicted: challenger },
      champion: { version: 1, predicted: champion },
      archived: [],
      lineageError: null,
    };
    expect(promotionGate({ ...input, championFlagged: true }, config).decision).toBe('promote');
    const unflagged = promotionGate({ ...input, championFlagged: false }, config);
    expect(unflagged.difference!).toBeGreaterThan(0);
  });

  it('judges balanced accuracy under imbalance: a majority-only challenger never wins (A11)', () => {
    const r = seeded(5);
    const rare = Array.from({ length: 1000 }, () => (r() < 0.02 ? 1 : 0));
    const champion = rare.map((y) => (y === 1 ? (r() < 0.7 ? 1 : 0) : r() < 0.01 ? 1 : 0));
    const majority = rare.map(() => 0);
    for (const championFlagged of [false, true]) {
      const gate = promotionGate(
        {
          labels: rare,
          challenger: { version: null, predicted: majority },
          champion: { version: 1, predicted: champion },
          archived: [],
          championFlagged,
          lineageError: null,
        },
        config,
      );
      expect(gate.metric).toBe('balanced_accuracy');
      expect(gate.decision).toBe('reject');
      expect(gate.challengerScore).toBe(0.5);
    }
  });

  it('refuses when both models are far below the lineage, and points to the rise in the window', () => {
    const champion = predictions(labels, 0.72, seeded(6));
    const challenger = predictions(labels, 0.73, seeded(7));
    const r = seeded(8);
    const wrong = Array.from({ length: 600 }, (_, i) => (r() < (i < 400 ? 0.05 : 0.3) ? 1 : 0));
    const gate = promotionGate(
      {
        labels,
        challenger: { version: null, predicted: challenger },
        champion: { version: 1, predicted: champion },
        archived: [],
        championFlagged: true,
        lineageError: 0.05,
        windowErrors: { wrong, servedAt: wrong.map((_, i) => 2000 + i) },
      },
      config,
    );
    expect(gate.decision).toBe('reject');
    expect(Math.abs(gate.requeueSince! - 2400)).toBeLessThan(40);
    expect(gate.explanation.summary).toMatch(/far above the lineage/);
  });

  it('after losing on a window whose errors rose again inside it, retrains from the second rise (gradual drift)', () => {
    const champion = predictions(labels, 0.6, seeded(9));
    const challenger = predictions(labels, 0.5, seeded(10));
    const r = seeded(11);
    // The champion's errors: 30 % from the window's start, 70 % from its 100th row on.
    const wrong = Array.from({ length: 150 }, (_, i) => (r() < (i < 100 ? 0.3 : 0.7) ? 1 : 0));
    const windowErrors = { wrong, servedAt: wrong.map((_, i) => 2000 + i) };
    const input = flaggedChampion(labels, challenger, champion, { windowErrors });
    const gate = promotionGate(input, config);
    expect(gate.decision).toBe('reject');
    expect(Math.abs(gate.requeueSince! - 2100)).toBeLessThan(15);
    expect(gate.explanation.evidence.riseZ as number).toBeGreaterThanOrEqual(config.moveLocatedZ);
    expect(gate.explanation.decision).toMatch(/rose again inside the window/);
    // Without a second rise, or with the rule off, it is a plain rejection.
    const flat = wrong.map((_, i) => (r() < 0.5 ? 1 : 0) * (i % 2));
    expect(
      promotionGate({ ...input, windowErrors: { ...windowErrors, wrong: flat } }, config).requeueSince,
    ).toBeNull();
    expect(promotionGate(input, { ...config, moveLocatedWindow: false }).requeueSince).toBeNull();
  });

  it('replaces a flagged champion that wins on all the gate rows but loses on the newest, keeping the rise', () => {
    // 150 gate rows: the champion right on the 110 older ones, the challenger on 80 of them; on
    // the newest 40 the champion is wrong on 30, the challenger on 10.
    const older = labels.slice(0, 110);
    const newest = labels.slice(110);
    const champion = [...older, ...newest.map((y, i) => (i < 30 ? 1 - y : y))];
    const challenger = [
      ...older.map((y, i) => (i < 30 ? 1 - y : y)),
      ...newest.map((y, i) => (i < 10 ? 1 - y : y)),
    ];
    const wrong = champion.map((p, i) => Number(p !== labels[i]));
    const windowErrors = { wrong, servedAt: wrong.map((_, i) => 5000 + i) };
    const input = flaggedChampion(labels, challenger, champion, { windowErrors, newestRows: 40 });
    const gate = promotionGate(input, config);
    expect(gate.decision).toBe('promote');
    expect(gate.explanation.decision).toMatch(
      /on the newest 40 of the 150 gate rows: the older ones favour the failing champion/,
    );
    expect(Math.abs(gate.requeueSince! - 5110)).toBeLessThan(10);
    // All rows are the newest, the champion is not flagged, or the rule is off: rejected.
    expect(promotionGate({ ...input, newestRows: 150 }, config).decision).toBe('reject');
    expect(promotionGate({ ...input, championFlagged: false }, config).decision).toBe('reject');
    expect(promotionGate(input, { ...config, newestRowsRule: false }).decision).toBe('reject');
  });

  it('re-promotes an archived version that beats the challenger and the champion (recurring concept)', () => {
    const archived = predictions(labels, 0.95, seeded(9));
    const champion = predictions(labels, 0.7, seeded(10));
    const challenger = predictions(labels, 0.88, seeded(11));
    const input = {
      labels,
      challenger: { version: null, predicted: challenger },
      champion: { version: 2, predicted: champion },
      championFlagged: true,
      lineageError: null,
    };
    const gate = promotionGate({ ...input, archived: [{ version: 1, predicted: archived }] }, config);
    expect(gate.decision).toBe('repromote');
    expect(gate.version).toBe(1);
    // An archived version that beats the challenger but not the champion stays archived.
    const strong = predictions(labels, 0.97, seeded(12));
    const weaker = predictions(labels, 0.85, seeded(13));
    const stays = promotionGate(
      {
        ...input,
        champion: { version: 2, predicted: strong },
        challenger: { version: null, predicted: predictions(labels, 0.75, seeded(14)) },
        archived: [{ version: 1, predicted: weaker }],
      },
      config,
    );
    expect(stays.decision).toBe('reject');
  });

  it('does not re-promote on balanced accuracy an archived version that loses on plain accuracy', () => {
    // After a covariate shift the new regime is 92 % class 0; an archived version that calls most
    // of it class 1 wins on balanced accuracy only through the 6 rows of class 1 (T2).
    const shifted = [...Array<number>(72).fill(0), 1, 1, 1, 1, 1, 1];
    const allZero = shifted.map(() => 0);
    // Right on the 6 rows of class 1 and on 8 of class 0: balanced 0.56, accuracy 0.18.
    const old = shifted.map((_, i) => (i < 72 && i % 9 === 0 ? 0 : 1));
    const input = {
      labels: shifted,
      challenger: { version: null, predicted: allZero },
      champion: { version: 2, predicted: allZero },
      archived: [{ version: 1, predicted: old }],
      championFlagged: true,
      lineageError: null,
    };
    const gate = promotionGate(input, config);
    expect(gate.metric).toBe('balanced_accuracy');
    expect(gate.decision).toBe('promote');
    // With 3 rows, class 1 has no weight of its own (balancedMinClassRows): plain accuracy decides.
    const three = [...Array<number>(72).fill(0), 1, 1, 1];
    const few = promotionGate(
      {
        ...input,
        labels: three,
        challenger: { version: null, predicted: three.map(() => 0) },
        champion: { version: 2, predicted: three.map(() => 0) },
        archived: [{ version: 1, predicted: old.slice(0, 75) }],
      },
      config,
    );
    expect(few.metric).toBe('accuracy');
    expect(few.decision).toBe('promote');
  });

  it('gives a class of one hold-out row no weight: a 14 % → 65 % retrain is not lost on one row', () => {
    // Seattle's weather, a retrain's hold-out of 105 days: 1 "rain", 33 "sun", 71 "fog". The
    // serving model got the one rain day right and little else (14 %); the retrain 65 %, but not
    // the rain day. Balanced accuracy over all three classes weighed that one day as a third of
    // the score and rejected the retrain (0.4598 vs 0.4747).
    const labels = [1, ...Array<number>(33).fill(2), ...Array<number>(71).fill(4)];
    const champion = labels.map((y, i) => (y === 1 || (y === 2 && i < 15) ? y : 0));
    const challenger = labels.map((y, i) => (y === 1 ? 2 : y === 2 ? (i < 27 ? 2 : 4) : i < 76 ? 4 : 2));
    const input = flaggedChampion(labels, challenger, champion);
    const gate = promotionGate(input, config);
    expect(gate.metric).toBe('accuracy');
    expect(gate.challengerScore).toBeCloseTo(68 / 105, 9);
    expect(gate.championScore).toBeCloseTo(15 / 105, 9);
    expect(gate.decision).toBe('promote');
    // Weighing every class (the rule before), the one row decided it.
    const before = promotionGate(input, { ...config, balancedMinClassRows: 1 });
    expect(before.metric).toBe('balanced_accuracy');
    expect(before.decision).toBe('reject');
  });
});

describe('repromoteWithoutTraining (recurring concepts)', () => {
  const random = seeded(5);
  const labels = Array.from({ length: 60 }, () => (random() < 0.5 ? 1 : 0));
  const champion = { version: 4, predicted: predictions(labels, 0.3, random) };

  it('serves again an archived version that beats the serving one and keeps its promise', () => {
    const good = predictions(labels, 0.92, random);
    const gate = repromoteWithoutTraining(
      {
        labels,
        champion,
        archived: [
          { version: 1, predicted: predictions(labels, 0.6, random), promise: 0.2 },
          { version: 2, predicted: good, promise: 0.15 },
        ],
      },
      config,
    );
    expect(gate).toMatchObject({ decision: 'repromote', version: 2, metric: 'accuracy' });
    expect(gate!.lowerBound!).toBeGreaterThan(0);
    expect(gate!.challengerScore).toBeCloseTo(good.filter((p, i) => p === labels[i]).length / 60, 10);
  });

  it('keeps waiting for the retrain when the best archived version errs above its promise', () => {
    const gate = repromoteWithoutTraining(
      {
        labels,
        champion,
        archived: [{ version: 2, predicted: predictions(labels, 0.8, random), promise: 0.1 }],
      },
      config,
    );
    expect(gate).toBeNull();
  });

  it('keeps waiting when the archived version is not clearly better than the serving one', () => {
    const same = champion.predicted.map((p, i) => (i < 3 ? labels[i]! : p));
    const gate = repromoteWithoutTraining(
      { labels, champion, archived: [{ version: 2, predicted: same, promise: 0.9 }] },
      config,
    );
    expect(gate).toBeNull();
  });
});
