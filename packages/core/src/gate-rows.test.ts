import { trainForest } from '@automl-stream/ml';
import { describe, expect, it } from 'vitest';
import { honestProba, outOfBagFrom, probaRows, scoreProba } from './gate-rows.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('outOfBagFrom', () => {
  const served = [at(1), at(1), at(2), at(3), at(3), at(4)];
  const unseen = (from: number) => ({ from, championLearnedAll: false });

  it('starts after the rows served up to the champion’s window end (same second: seen)', () => {
    expect(outOfBagFrom(served, at(2), 1)).toEqual(unseen(3));
    expect(outOfBagFrom(served, at(3), 1)).toEqual(unseen(5));
  });

  it('takes every row without a champion; none follow it: every row, the champion not compared', () => {
    expect(outOfBagFrom(served, null, 6)).toEqual(unseen(0));
    expect(outOfBagFrom(served, at(4), 1)).toEqual({ from: 0, championLearnedAll: true });
  });

  it('holds out instead when some but fewer than asked follow it', () => {
    expect(outOfBagFrom(served, at(2), 4)).toBeNull();
  });
});

describe('honestProba', () => {
  const rows = Array.from({ length: 120 }, (_, i) => [((i * 37) % 120) / 120, (i % 7) / 7]);
  const labels = rows.map((r, i) => Number(r[0]! > 0.5 !== (i % 6 === 0)));

  it('is out of bag on the rows learned and a plain prediction on the rows before them', async () => {
    const learned = { start: 40, end: 120 };
    const forest = await trainForest(rows.slice(40), labels.slice(40), {
      nEstimators: 25,
      seed: 3,
      nClasses: 2,
    });
    const honest = await honestProba(forest, rows, learned, 2);
    const oob = forest.outOfBagProba(rows.slice(40));
    for (const r of [40, 77, 119])
      if (oob.votes[r - 40]! > 0) expect(honest[r * 2 + 1]).toBeCloseTo(oob.proba[(r - 40) * 2 + 1]!, 12);
    const plain = forest.predictProba(rows.slice(0, 40));
    for (const r of [0, 13, 39]) expect(honest[r * 2 + 1]).toBeCloseTo(plain[r]![1]!, 12);
    // In-sample the forest copies its labels; out of bag it errs on the flipped sixth.
    const inSample = scoreProba(forest.predictProba(rows.slice(40)), labels.slice(40), 2).metrics.accuracy;
    const outOfBag = scoreProba(probaRows(honest, 2, 40), labels.slice(40), 2).metrics;
    expect(inSample).toBeGreaterThan(0.97);
    expect(outOfBag.accuracy).toBeLessThan(0.92);
    expect(outOfBag.holdoutRows).toBe(80);
    const classes = outOfBag.classes as { n: number }[];
    expect(classes.reduce((n, c) => n + c.n, 0)).toBe(80);
  });
});
