import { beforeAll, describe, expect, it } from 'vitest';
import { ForestInputError } from './errors.ts';
import type { Forest } from './forest.ts';
import type { TrainForestOptions } from './options.ts';
import { trainForest } from './train.ts';

const rows = Array.from({ length: 12 }, (_, i) => [i, (i * 7) % 5]);
const labels = rows.map((_, i) => i % 3);

async function rejection(
  features: Parameters<typeof trainForest>[0],
  y: Parameters<typeof trainForest>[1],
  options: TrainForestOptions = {},
): Promise<ForestInputError> {
  try {
    await trainForest(features, y, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ForestInputError);
    return error as ForestInputError;
  }
  throw new Error('expected trainForest to reject');
}

describe('bad training input is rejected with a ForestInputError that says what is wrong', () => {
  it('empty set', async () => {
    expect((await rejection([], [])).message).toMatch(/features has 0 rows; training needs at least 2/);
    expect((await rejection([[], []], [0, 1])).message).toMatch(/rows are empty/);
  });

  it('ragged rows', async () => {
    const ragged = rows.map((r, i) => (i === 4 ? [1] : r));
    expect((await rejection(ragged, labels)).message).toBe(
      'features[4] has 1 values but features[0] has 2; every row needs the same number of features',
    );
  });

  it('NaN, Infinity and non-numbers, naming row and column', async () => {
    const withNaN = rows.map((r, i) => (i === 3 ? [r[0]!, Number.NaN] : r));
    expect((await rejection(withNaN, labels)).message).toMatch(
      /^features\[3\]\[1\] is NaN; every feature value/,
    );
    const withInf = rows.map((r, i) => (i === 5 ? [Number.NEGATIVE_INFINITY, 1] : r));
    expect((await rejection(withInf, labels)).message).toMatch(/^features\[5\]\[0\] is -Infinity/);
    const withString = rows.map((r, i) => (i === 2 ? ['7', 1] : r)) as number[][];
    expect((await rejection(withString, labels)).message).toMatch(/^features\[2\]\[0\] is string "7"/);
    const flat = new Float64Array(24);
    flat[13] = Number.NaN;
    expect((await rejection(flat, labels, { nFeatures: 2 })).message).toMatch(/^features\[6\]\[1\] is NaN/);
  });

  it('a flat array without a usable feature count', async () => {
    expect((await rejection(new Float64Array(24), labels)).message).toMatch(/options\.nFeatures/);
    expect((await rejection(new Float64Array(25), labels, { nFeatures: 2 })).message).toMatch(
      /25 values, which is not a whole number of rows of 2 features/,
    );
  });

  it('one class only', async () => {
    expect((await rejection(rows, new Array(12).fill(0))).message).toBe(
      'all 12 labels are class 0; training a classifier needs at least two classes',
    );
  });

  it('labels that are not 0..K-1', async () => {
    const gap = labels.map((y) => (y === 1 ? 3 : y));
    expect((await rejection(rows, gap)).message).toMatch(/labels run from 0 to 3 but class 1 never occurs/);
    expect(
      (
        await rejection(
          rows,
          labels.map((y, i) => (i === 6 ? 1.5 : y)),
        )
      ).message,
    ).toMatch(/^labels\[6\] is 1.5; labels must be class indices 0..K-1/);
    expect(
      (
        await rejection(
          rows,
          labels.map((y, i) => (i === 1 ? -1 : y)),
        )
      ).message,
    ).toMatch(/^labels\[1\] is -1/);
    expect((await rejection(rows, labels.slice(1))).message).toMatch(
      /labels has 11 entries but features has 12 rows/,
    );
    expect((await rejection(rows, labels, { nClasses: 2 })).message).toMatch(
      /labels\[2\] is 2 but options.nClasses is 2/,
    );
  });

  it('bad options, naming the option', async () => {
    const cases: [TrainForestOptions, RegExp][] = [
      [{ nEstimators: 0 }, /options\.nEstimators must be an integer in 1\.\.1000000, got 0/],
      [{ maxDepth: 0 }, /options\.maxDepth must be an integer in 1\.\.1000, got 0/],
      [{ maxDepth: 2.5 }, /options\.maxDepth/],
      [{ minSamplesLeaf: 0 }, /options\.minSamplesLeaf must be an integer >= 1, got 0/],
      [{ minSamplesSplit: 1 }, /options\.minSamplesSplit must be an integer >= 2, got 1/],
      [{ maxFeatures: 'half' as 'sqrt' }, /options\.maxFeatures must be 'sqrt', 'log2', 'all'/],
      [{ maxFeatures: 0 }, /options\.maxFeatures/],
      [{ maxFeatures: 1.5 }, /options\.maxFeatures/],
      [{ seed: -1 }, /options\.seed must be an integer in 0\.\.4294967295, got -1/],
      [{ threads: 0 }, /options\.threads must be an integer in 1\.\.1024, got 0/],
      [{ nBins: 300 }, /options\.nBins must be an integer in 2\.\.256, got 300/],
      [{ bootstrap: 'yes' as unknown as boolean }, /options\.bootstrap must be true or false/],
      [{ onProgress: 5 as unknown as () => void }, /options\.onProgress must be a function/],
      [{ nClasses: 1 }, /options\.nClasses must be an integer >= 2/],
    ];
    for (const [options, message] of cases)
      expect((await rejection(rows, labels, options)).message).toMatch(message);
  });
});

describe('bad prediction input is rejected with a ForestInputError', () => {
  let forest: Forest;
  beforeAll(async () => {
    forest = await trainForest(rows, labels, { nEstimators: 3, threads: 1 });
  });

  it('wrong feature count, batch and single row', () => {
    expect(() => forest.predict([[1, 2, 3]])).toThrow(ForestInputError);
    expect(() => forest.predict([[1, 2], [1]])).toThrow(
      'rows[1] has 1 values but the model expects 2 features per row',
    );
    expect(() => forest.predictProbaFlat(new Float64Array(5))).toThrow(
      /5 values, which is not a whole number of rows of 2/,
    );
    expect(() => forest.predictOne([1, 2, 3])).toThrow(
      'row has 3 values but the model expects 2 features per row',
    );
    expect(() => forest.predictProbaOne([1])).toThrow(ForestInputError);
  });

  it('non-finite values, naming row and column', () => {
    expect(() =>
      forest.predictProba([
        [1, 2],
        [0, Number.POSITIVE_INFINITY],
      ]),
    ).toThrow(/^rows\[1\]\[1\] is Infinity/);
    expect(() => forest.predictProba([[Number.NaN, 1]])).toThrow(/^rows\[0\]\[0\] is NaN/);
    expect(() => forest.predictProba([[1, 2], 'x' as unknown as number[]])).toThrow(
      'rows[1] is not an array of numbers',
    );
    expect(() => forest.predictProba([[1, 2, 3]])).toThrow(
      'rows[0] has 3 values but the model expects 2 features per row',
    );
    expect(() => forest.predictOne([Number.NaN, 1])).toThrow(
      'row[0] is NaN; every feature value must be a finite number',
    );
  });

  it('a two-class batch of rows equals the flat path', async () => {
    const batch = Array.from({ length: 20 }, (_, i) => [i % 5, (i * 3) % 7]);
    const two = await trainForest(
      batch,
      batch.map((x) => (x[0]! + x[1]! > 5 ? 1 : 0)),
      { nEstimators: 3, threads: 1 },
    );
    const flat = two.predictProbaFlat(new Float64Array(batch.flat()));
    expect(two.nClasses).toBe(2);
    expect(two.predictProba(batch)).toEqual(batch.map((_, r) => [flat[2 * r], flat[2 * r + 1]]));
  });

  it('an empty batch is fine and gives no predictions', () => {
    expect(forest.predict([])).toEqual([]);
    expect(forest.predictProbaFlat(new Float64Array(0))).toHaveLength(0);
  });
});
