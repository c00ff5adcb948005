import { describe, expect, it } from 'vitest';
import { decodeForest } from './artifact.ts';
import { compileLayout, predictRows } from './inference.ts';
import type { FeatureType } from './options.ts';
import { predictionPool, SHARED_CHUNK_ROWS } from './prediction-pool.ts';
import { makeSyntheticDataset, toRowArrays } from './synthetic.ts';
import { trainForest } from './train.ts';

/** The calling thread alone: the reference every synchronous batch must equal bit for bit. */
function oneThread(
  layout: ReturnType<typeof compileLayout>,
  data: Float64Array,
  nRows: number,
  hasMissing: boolean,
) {
  const out = new Float64Array(nRows * layout.nClasses);
  predictRows(layout, data, 0, nRows, out, hasMissing);
  return out;
}

function shared(values: Float64Array): Float64Array {
  const copy = new Float64Array(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

describe('synchronous batches shared with the prediction workers', () => {
  const nRows = 12 * SHARED_CHUNK_ROWS + 37; // chunks shrinking to a short last one
  const data = makeSyntheticDataset({ nRows, nFeatures: 10, seed: 90 });

  it('give the calling thread’s results bit for bit, with 0 to 3 helpers, warm or not', async () => {
    const forest = await trainForest(data.features, data.labels, {
      nFeatures: 10,
      nEstimators: 30,
      seed: 4,
      threads: 2,
    });
    const layout = compileLayout(decodeForest(forest.serialize()));
    const expected = oneThread(layout, data.features, nRows, false);
    const input = shared(data.features);
    for (const helpers of [0, 1, 2, 3, 1, 2]) {
      const out = new Float64Array(new SharedArrayBuffer(8 * nRows * layout.nClasses));
      predictionPool.predictShared(layout, input, nRows, out, helpers, false);
      expect(out).toEqual(expected);
    }
    // The public paths take it for a batch this size: number[][] and Float64Array alike.
    const rows = toRowArrays(data.features, 10);
    expect(forest.predictProbaFlat(data.features)).toEqual(expected);
    expect(forest.predictProba(rows).flat()).toEqual(Array.from(expected));
    expect(forest.predictProbaFlat(data.features).buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('keep missing values and categorical splits exact', async () => {
    const features = data.features.slice();
    for (let i = 0; i < features.length; i += 11) features[i] = Number.NaN;
    for (let r = 0; r < nRows; r++) features[r * 10 + 2] = r % 7;
    const featureTypes = Array.from(
      { length: 10 },
      (_, f) => (f === 2 ? 'categorical' : 'numeric') as FeatureType,
    );
    const forest = await trainForest(features, data.labels, {
      nFeatures: 10,
      nEstimators: 25,
      seed: 8,
      featureTypes,
    });
    const layout = compileLayout(decodeForest(forest.serialize()));
    const expected = oneThread(layout, features, nRows, true);
    expect(forest.predictProbaFlat(features)).toEqual(expected);
    const numeric = await trainForest(features, data.labels, { nFeatures: 10, nEstimators: 25, seed: 8 });
    const numericLayout = compileLayout(decodeForest(numeric.serialize()));
    expect(numeric.predictProbaFlat(features)).toEqual(oneThread(numericLayout, features, nRows, true));
  });

  it('read large number[][] batches straight, and fall back for missing values and bad input', async () => {
    const forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 20, seed: 6 });
    const rows = toRowArrays(data.features, 10);
    const expected = forest.predictProbaFlat(data.features);
    expect(forest.predictProba(rows).flat()).toEqual(Array.from(expected));
    // A NaN deep in the batch: the whole batch takes the missing-value walk, as a flat array does.
    const withNaN = rows.map((row, r) => (r === nRows - 3 ? [Number.NaN, ...row.slice(1)] : row));
    const flatNaN = data.features.slice();
    flatNaN[(nRows - 3) * 10] = Number.NaN;
    expect(forest.predictProba(withNaN).flat()).toEqual(Array.from(forest.predictProbaFlat(flatNaN)));
    // Bad values and rows far into a large batch get the same errors as anywhere else.
    const withInf = rows.map((row, r) => (r === 5000 ? [...row.slice(0, 9), Number.POSITIVE_INFINITY] : row));
    expect(() => forest.predictProba(withInf)).toThrow(
      'rows[5000][9] is Infinity; every feature value must be a finite number, or NaN for a missing value',
    );
    const short = rows.map((row, r) => (r === nRows - 1 ? row.slice(1) : row));
    expect(() => forest.predictProba(short)).toThrow(
      `rows[${nRows - 1}] has 9 values but the model expects 10 features per row`,
    );
    const typedRows = rows.map((row) => Float64Array.from(row)) as unknown as number[][];
    expect(forest.predictProba(typedRows).flat()).toEqual(Array.from(expected));
  });

  it('hand the caller results of its own: a later batch does not change an earlier result', async () => {
    const forest = await trainForest(data.features, data.labels, { nFeatures: 10, nEstimators: 20, seed: 9 });
    const first = forest.predictProbaFlat(data.features);
    const copy = first.slice();
    const firstRows = forest.predictProba(toRowArrays(data.features, 10));
    // The last rows: different values, written where the first rows' were in a shared buffer.
    const tail = data.features.subarray((nRows - 5 * SHARED_CHUNK_ROWS) * 10);
    const second = forest.predictProbaFlat(tail);
    expect(first).toEqual(copy);
    expect(first.buffer).not.toBe(second.buffer);
    expect(second).toEqual(copy.subarray(copy.length - second.length));
    expect(firstRows.flat()).toEqual(Array.from(copy));
    expect(forest.predict(data.features)).toEqual(forest.predict(toRowArrays(data.features, 10)));
  });
});
