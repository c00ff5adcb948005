import { describe, expect, it } from 'vitest';
import {
  chunkIsDue,
  countOnce,
  prepareChunkReference,
  resolveDriftSource,
  simesPValue,
  testChunk,
  trailingRunBelow,
  votingFeatures,
} from './chunk.ts';
import { ksTest } from './ks.ts';
import { loadPolicyReference } from './testing/policy-reference.ts';
import { SeededRandom } from './testing/seeded-random.ts';
import { relativeError } from './testing/stats-reference.ts';

const reference = loadPolicyReference();

describe('chunk tests against scipy 1.10 (policy-reference.json)', () => {
  it.each(
    reference.categorical.map((c, i) => ({ ...c, i })),
  )('categorical feature with an unseen bucket, case $i', ({ reference: ref, current, p_value }) => {
    const prepared = prepareChunkReference(ref.map((v) => [v]));
    expect(prepared.kinds).toEqual(['categorical']);
    const result = testChunk(
      prepared,
      current.map((v) => [v]),
    );
    expect(result.features[0]!.test).toBe('chi-square');
    expect(relativeError(result.features[0]!.distributionPValue, p_value)).toBeLessThanOrEqual(1e-9);
    expect(result.pValue).toBe(result.features[0]!.pValue);
  });

  it('missing values: Fisher on the missing rate, KS on the present values, Bonferroni over both', () => {
    const random = new SeededRandom(8);
    const ref = Array.from({ length: 1000 }, (_, i) => [i < 50 ? Number.NaN : random.normal()]);
    const cur = Array.from({ length: 500 }, (_, i) => [i < 60 ? Number.NaN : random.normal()]);
    const result = testChunk(prepareChunkReference(ref), cur).features[0]!;
    const fisher = reference.missing_rate.find(
      (c) => c.reference_missing === 50 && c.current_missing === 60,
    )!;
    expect(relativeError(result.missing!.pValue, fisher.p_value)).toBeLessThanOrEqual(1e-9);
    const ks = ksTest(
      ref.slice(50).map((r) => r[0]!),
      cur.slice(60).map((r) => r[0]!),
    );
    expect(result.distributionPValue).toBeCloseTo(ks.pValue, 12);
    expect(result.pValue).toBeCloseTo(Math.min(1, 2 * Math.min(ks.pValue, fisher.p_value)), 12);
    expect(result.missing!.currentRate).toBe(0.12);
  });
});

describe('chunk rules', () => {
  it('counts a row once when it was both predicted and ingested (D6)', () => {
    const random = new SeededRandom(9);
    const ref = prepareChunkReference(Array.from({ length: 2000 }, () => [random.normal(), random.normal()]));
    // A batch of 25 where the first 5 rows were also predicted: 30 entries, 25 entities.
    const entities = Array.from({ length: 500 }, () => [random.normal(), random.normal()]);
    const rows: number[][] = [];
    const keys: number[] = [];
    for (let b = 0; b < 20; b++) {
      for (let i = 0; i < 5; i++) {
        rows.push(entities[b * 25 + i]!);
        keys.push(b * 25 + i);
      }
      for (let i = 0; i < 25; i++) {
        rows.push(entities[b * 25 + i]!);
        keys.push(b * 25 + i);
      }
    }
    expect(rows).toHaveLength(600);
    const once = testChunk(ref, rows, { keys });
    expect(once.nCurrent).toBe(500);
    expect(once.features[0]!.pValue).toBeCloseTo(testChunk(ref, entities).features[0]!.pValue, 12);
    expect(countOnce(['a', 'b', 'c'], [1, 2, 1])).toEqual(['a', 'b']);
  });

  it('treats a feature with few distinct values as categorical and a new value as drift (D15)', () => {
    const random = new SeededRandom(10);
    const ref = prepareChunkReference(
      Array.from({ length: 1000 }, () => [random.integer(3), random.normal()]),
    );
    expect(ref.kinds).toEqual(['categorical', 'numeric']);
    const cur = Array.from({ length: 300 }, (_, i) => [i < 30 ? 5 : random.integer(3), random.normal()]);
    const result = testChunk(ref, cur);
    expect(result.features[0]!.pValue).toBeLessThan(1e-6);
    expect(result.features[0]!.effect).toBeCloseTo(0.1, 1);
    expect(result.features[1]!.pValue).toBeGreaterThan(0.001);
    // Declared kinds win over the guess.
    expect(prepareChunkReference([[1], [2]], { categorical: [false] }).kinds).toEqual(['numeric']);
  });

  it('lets only important features vote: with 2 features an ignored one cannot raise the verdict (D7)', () => {
    const random = new SeededRandom(11);
    const ref = prepareChunkReference(Array.from({ length: 2000 }, () => [random.normal(), random.normal()]));
    const cur = Array.from({ length: 500 }, () => [random.normal(), random.normal() + 1]);
    const ignored = testChunk(ref, cur, { importances: [0.9, 0.1] });
    expect(ignored.voting).toEqual([0]);
    expect(ignored.features[1]!.pValue).toBeLessThan(1e-10);
    expect(ignored.pValue).toBeGreaterThan(0.001);
    const used = testChunk(ref, cur, { importances: [0.5, 0.5] });
    expect(used.pValue).toBeLessThan(1e-10);
    const muted = testChunk(ref, cur, { importances: [0.5, 0.5], muted: new Set([1]) });
    expect(muted.voting).toEqual([0]);
    expect(muted.features[1]!.reason).toMatch(/accepted/);
    expect(votingFeatures(4, null).votes).toEqual([true, true, true, true]);
  });

  it('combines p-values with Simes, resolves the source, closes chunks and counts persistence', () => {
    expect(simesPValue([0.01, 0.04, 0.5])).toBeCloseTo(0.03, 12);
    expect(simesPValue([])).toBe(1);
    expect(resolveDriftSource('auto', { ingested: 10, predicted: 400 })).toBe('rows');
    expect(resolveDriftSource('auto', { ingested: 0, predicted: 400 })).toBe('predictions');
    expect(resolveDriftSource('both', { ingested: 10, predicted: 400 })).toBe('both');
    expect(chunkIsDue(499, 500, 'rows')).toBe(false);
    expect(chunkIsDue(500, 500, 'rows')).toBe(true);
    expect(chunkIsDue(250, 500, 'timer')).toBe(true);
    expect(chunkIsDue(249, 500, 'timer')).toBe(false);
    expect(trailingRunBelow([0.001, 0.5, 0.002, 0.004], 0.01)).toBe(2);
    expect(trailingRunBelow([0.001, 0.5], 0.01)).toBe(0);
  });
});
