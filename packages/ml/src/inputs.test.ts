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

  it('Infinity and non-numbers, naming row and column (NaN is a missing value, accepted)', async () => {
    const withInf = rows.map((r, i) => (i === 5 ? [Number.NEGATIVE_INFINITY, 1] : r));
    expect((await rejection(withInf, labels)).message).toBe(
      'features[5][0] is -Infinity; every feature value must be a finite number, or NaN for a missing value',
    );
    const withString = rows.map((r, i) => (i === 2 ? ['7', 1] : r)) as number[][];
    expect((await rejection(withString, labels)).message).toMatch(/^features\[2\]\[0\] is string "7"/);
    const flat = new Float64Array(24);
    flat[13] = Number.POSITIVE_INFINITY;
    expect((await rejection(flat, labels, { nFeatures: 2 })).message).toMatch(
      /^features\[6\]\[1\] is Infinity/,
    );
    const withNaN = rows.map((r, i) => (i === 3 ? [r[0]!, Number.NaN] : r));
    const forest = await trainForest(withNaN, labels, { nEstimators: 2, threads: 1 });
    expect(forest.predict(withNaN)).toHaveLength(12);
  });

  it('bad feature types and category codes, naming the column', async () => {
    expect((await rejection(rows, labels, { featureTypes: ['numeric'] })).message).toBe(
      "options.featureTypes must have one entry per feature (2), 'numeric' or 'categorical'; got 1 entries",
    );
    expect((await rejection(rows, labels, { featureTypes: ['numeric', 'text' as 'numeric'] })).message).toBe(
      `options.featureTypes[1] must be 'numeric' or 'categorical', got "text"`,
    );
    const categorical = { featureTypes: ['numeric', 'categorical'] } as const;
    const tooMany = rows.map((r, i) => (i === 7 ? [r[0]!, 300] : r));
    expect((await rejection(tooMany, labels, categorical)).message).toBe(
      'feature column 1 is categorical but features[7][1] is 300; more than 255 categories are not supported; ' +
        'keep the most frequent 254 and map the rest to one "other" code (C <= 255; NaN for missing)',
    );
    const at255 = rows.map((r, i) => (i === 0 ? [r[0]!, 255] : r));
    expect((await rejection(at255, labels, categorical)).message).toMatch(
      /^feature column 1 is categorical .* is 255;/,
    );
    for (const bad of [-1, 2.5]) {
      const badRows = rows.map((r, i) => (i === 4 ? [r[0]!, bad] : r));
      expect((await rejection(badRows, labels, categorical)).message).toBe(
        `feature column 1 is categorical but features[4][1] is ${bad}; category codes are integers 0..C-1 (C <= 255; NaN for missing)`,
      );
    }
    const at254 = rows.map((r, i) => (i === 0 ? [r[0]!, 254] : r));
    const forest = await trainForest(at254, labels, { ...categorical, nEstimators: 2, threads: 1 });
    expect(forest.featureTypes).toEqual(['numeric', 'categorical']);
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

  it('infinite values, naming row and column; NaN is a missing value', () => {
    expect(() =>
      forest.predictProba([
        [1, 2],
        [0, Number.POSITIVE_INFINITY],
      ]),
    ).toThrow(/^rows\[1\]\[1\] is Infinity/);
    expect(() => forest.predictProba([[1, 2], 'x' as unknown as number[]])).toThrow(
      'rows[1] is not an array of numbers',
    );
    expect(() => forest.predictProba([[1, 2, 3]])).toThrow(
      'rows[0] has 3 values but the model expects 2 features per row',
    );
    expect(() => forest.predictOne([Number.NEGATIVE_INFINITY, 1])).toThrow(
      'row[0] is -Infinity; every feature value must be a finite number, or NaN for a missing value',
    );
    const proba = forest.predictProba([[Number.NaN, 1]])[0]!;
    expect(proba.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(forest.predictProbaOne([Number.NaN, 1])).toEqual(proba);
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
