import { trainForest } from '@automl-stream/ml';
import { describe, expect, it } from 'vitest';
import {
  movedFeatures,
  pairedZ,
  type TransferRows,
  transferMask,
  withoutFeatures,
} from './feature-transfer.ts';
import { seeded } from './testing.ts';

const fit = (rows: TransferRows) =>
  trainForest(rows.features as number[][], rows.labels as number[], {
    nEstimators: 30,
    seed: 7,
    threads: 1,
    nClasses: 2,
  });

/**
 * A hidden level moves (a season): `reading` = level + deviation, `deviation` = reading − level
 * + noise is what the label depends on (up when the deviation is positive), `other` is noise.
 */
function levelRows(level: number, n: number, seed: number): TransferRows {
  const random = seeded(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const deviation = 2 * random() - 1;
    features.push([level + deviation, deviation + 0.2 * (random() - 0.5), random()]);
    labels.push(deviation > 0 ? 1 : 0);
  }
  return { features, labels };
}

/** SEA-like: up when x0 + x1 > θ; x1 moves by `shift` and θ with it, so x1 is still needed. */
function seaRows(shift: number, theta: number, n: number, seed: number): TransferRows {
  const random = seeded(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [10 * random(), 10 * random() + shift, 10 * random()];
    features.push(row);
    labels.push(row[0]! + row[1]! > theta ? 1 : 0);
  }
  return { features, labels };
}

/**
 * Two readings of one hidden level (two thermometers): each is level + deviation, and the label
 * depends on the deviation (the third column, a noisy copy of it). A forest of the rows before a
 * move splits on all three; after the level moves, leaving out one reading leaves the other's
 * thresholds pointing the wrong way: only leaving out both transfers.
 */
function twoReadings(level: number, n: number, seed: number): TransferRows {
  const random = seeded(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const deviation = 2 * random() - 1;
    const reading = () => level + deviation + 0.05 * (random() - 0.5);
    features.push([reading(), reading(), deviation + 0.4 * (random() - 0.5)]);
    labels.push(deviation > 0 ? 1 : 0);
  }
  return { features, labels };
}

describe('feature transfer across a located change', () => {
  it('leaves out a level feature whose thresholds no longer hold after the change', async () => {
    const result = await transferMask(levelRows(0, 500, 1), levelRows(5, 500, 2), fit);
    expect(result.dropped).toEqual([0]);
    expect(result.baseline).toBeLessThan(0.7);
    expect(result.accuracy).toBeGreaterThan(0.9);
    expect(result.steps[0]).toMatchObject({ features: [0], kept: true });
    expect(result.steps[0]!.z).toBeGreaterThan(3);
  });

  it('leaves out features that pay only together (a greedy search, one at a time, kept both)', async () => {
    const result = await transferMask(twoReadings(0, 500, 11), twoReadings(3, 500, 12), fit);
    expect(result.dropped.sort()).toEqual([0, 1]);
    const one = result.steps.filter((s) => s.features.length === 1);
    const both = result.steps.find((s) => s.features.length === 2)!;
    expect(one).toHaveLength(2);
    // Each alone does not clear the corrected threshold; both together do, by far.
    for (const step of one) expect(step.passed).toBe(false);
    expect(both).toMatchObject({ passed: true, kept: true });
    expect(both.accuracy).toBeGreaterThan(result.baseline + 0.2);
  });

  it('keeps a moved feature the concept needs', async () => {
    const result = await transferMask(seaRows(0, 9.5, 500, 3), seaRows(3, 12.5, 500, 4), fit);
    expect(
      movedFeatures(seaRows(0, 9.5, 500, 3).features, seaRows(3, 12.5, 500, 4).features).map(
        (m) => m.feature,
      ),
    ).toEqual([1]);
    expect(result.dropped).toEqual([]);
    expect(result.steps[0]!.z).toBeLessThan(0);
  });

  it('tries nothing when no feature moved, and never a categorical column', async () => {
    const stationary = await transferMask(levelRows(0, 400, 5), levelRows(0, 400, 6), fit);
    expect(stationary).toMatchObject({ dropped: [], steps: [] });
    const categorical = await transferMask(levelRows(0, 500, 1), levelRows(5, 500, 2), fit, {
      categorical: [true, false, false],
    });
    expect(categorical.dropped).toEqual([]);
  });

  it('counts paired wins and losses, and blanks the columns it leaves out', () => {
    expect(pairedZ(Uint8Array.of(0, 0, 0, 0, 1), Uint8Array.of(1, 1, 1, 1, 1))).toBeCloseTo(2, 10);
    expect(pairedZ(Uint8Array.of(1, 0), Uint8Array.of(0, 1))).toBe(0);
    expect(withoutFeatures([[1, 2, 3]], [0, 2])).toEqual([[0, 2, 0]]);
  });
});
