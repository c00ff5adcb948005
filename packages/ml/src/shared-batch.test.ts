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
});
