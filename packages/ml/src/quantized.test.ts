import { describe, expect, it } from 'vitest';
import { decodeForest } from './artifact.ts';
import { Forest, walkTree } from './forest.ts';
import { compileLayout, type InferenceLayout, predictRows, quantizeRows } from './inference.ts';
import type { FeatureType } from './options.ts';
import { makeSyntheticDataset, mulberry32, toRowArrays } from './synthetic.ts';
import { trainForest } from './train.ts';

/** The float walk of the same forest: the layout with the quantized nodes taken away. */
function floatPath(layout: InferenceLayout, data: Float64Array, hasMissing = false): Float64Array {
  const out = new Float64Array((data.length / layout.nFeatures) * layout.nClasses);
  predictRows({ ...layout, quantized: null }, data, 0, data.length / layout.nFeatures, out, hasMissing);
  return out;
}

function quantizedPath(layout: InferenceLayout, data: Float64Array): Float64Array {
  const out = new Float64Array((data.length / layout.nFeatures) * layout.nClasses);
  predictRows(layout, data, 0, data.length / layout.nFeatures, out, false);
  return out;
}

/** The cuts of feature f (without the +∞ padding). */
function cutsOf(layout: InferenceLayout, f: number): number[] {
  const { cuts, cutStart, steps } = layout.quantizer;
  const end = f + 1 < layout.nFeatures ? cutStart[f + 1]! - steps[f]! : cuts.length - steps[f]!;
  return Array.from(cuts.subarray(cutStart[f]!, end));
}

/**
 * Rows that probe every cut of every feature: the cut itself, the doubles just below and above
 * it, ±0, values far outside the range, mixed with random rows of `data`.
 */
function probeRows(layout: InferenceLayout, data: Float64Array, seed: number): Float64Array {
  const F = layout.nFeatures;
  const random = mulberry32(seed);
  const values: number[][] = Array.from({ length: F }, (_, f) => {
    const probes = [0, -0, 1e300, -1e300, Number.MAX_VALUE, -Number.MIN_VALUE, Number.MIN_VALUE];
    for (const c of cutsOf(layout, f))
      probes.push(c, c * (1 - 2 ** -52), c * (1 + 2 ** -52), c + 1e-9, c - 1e-9);
    return probes;
  });
  const nRows = Math.max(...values.map((v) => v.length)) + 64;
  const rows = new Float64Array(nRows * F);
  for (let r = 0; r < nRows; r++) {
    const source = Math.floor(random() * (data.length / F));
    for (let f = 0; f < F; f++) {
      const probes = values[f]!;
      rows[r * F + f] = r < probes.length ? probes[(r * 7 + f) % probes.length]! : data[source * F + f]!;
    }
  }
  return rows;
}

describe('the quantized batch walk', () => {
  it('gives every value the count of its feature’s cuts below it', async () => {
    const data = makeSyntheticDataset({ nRows: 3000, nFeatures: 6, rule: 'nonlinear', seed: 31 });
    // A heavy-tailed feature (cuts crowd at one end) and a binary one (one cut).
    for (let r = 0; r < 3000; r++) {
      data.features[r * 6 + 4] = Math.exp(12 * data.features[r * 6 + 4]!);
      data.features[r * 6 + 5] = data.features[r * 6 + 5]! > 0.5 ? 1 : 0;
    }
    const forest = await trainForest(data.features, data.labels, { nFeatures: 6, nEstimators: 20, seed: 2 });
    const layout = compileLayout(decodeForest(forest.serialize()));
    expect(layout.quantized).not.toBeNull();
    expect(cutsOf(layout, 5)).toEqual([0.5]);
    expect(cutsOf(layout, 4).length).toBeGreaterThan(100);
    const rows = probeRows(layout, data.features, 5);
    const nRows = rows.length / 6;
    const codes = new Uint8Array(rows.length);
    quantizeRows(layout, rows, 0, nRows, codes);
    for (let f = 0; f < 6; f++) {
      const cuts = cutsOf(layout, f);
      for (let r = 0; r < nRows; r++) {
        const x = rows[r * 6 + f]!;
        expect(codes[r * 6 + f], `feature ${f}, value ${x}`).toBe(cuts.filter((c) => c < x).length);
      }
    }
  });

  it('is bit-identical to the float walk and to walking the trees, on every cut and around it', async () => {
    const data = makeSyntheticDataset({ nRows: 4000, nFeatures: 10, rule: 'nonlinear', noise: 0.1, seed: 7 });
    for (let r = 0; r < 4000; r++) data.features[r * 10 + 9] = 3; // a constant feature: no cut at all
    const forest = await trainForest(data.features, data.labels, {
      nFeatures: 10,
      nEstimators: 30,
      maxDepth: 10,
      seed: 3,
    });
    const layout = compileLayout(decodeForest(forest.serialize()));
    expect(layout.quantized).not.toBeNull();
    expect(cutsOf(layout, 9)).toEqual([]);
    const rows = probeRows(layout, data.features, 11);
    const expected = floatPath(layout, rows);
    expect(quantizedPath(layout, rows)).toEqual(expected);
    // The public paths take it, and agree with the nested trees.
    expect(forest.predictProbaFlat(rows)).toEqual(expected);
    const trees = forest.toTrees();
    const asArrays = toRowArrays(rows, 10);
    const batch = forest.predictProba(asArrays);
    for (let r = 0; r < asArrays.length; r += 17) {
      const sums = [0, 0, 0];
      for (const tree of trees) {
        const p = walkTree(tree, asArrays[r]!);
        for (let k = 0; k < 3; k++) sums[k] = sums[k]! + p[k]!;
      }
      expect(batch[r]).toEqual(sums.map((s) => s / trees.length));
    }
    // A row range that starts mid-batch writes the same values.
    const out = new Float64Array(expected.length);
    predictRows(layout, rows, 13, 200, out, false);
    expect(out.subarray(13 * 3, 200 * 3)).toEqual(expected.subarray(13 * 3, 200 * 3));
  });

  it('finishes alone the rows a deep tree keeps past its lockstep depth, with the same answers', async () => {
    // Unlimited depth: lopsided trees, most rows in a leaf far above the deepest one.
    const data = makeSyntheticDataset({ nRows: 6000, nFeatures: 8, rule: 'nonlinear', noise: 0.2, seed: 17 });
    const forest = await trainForest(data.features, data.labels, {
      nFeatures: 8,
      nEstimators: 12,
      maxDepth: null,
      minSamplesLeaf: 2,
      seed: 5,
    });
    const layout = compileLayout(decodeForest(forest.serialize()));
    expect(layout.quantized).not.toBeNull();
    const shorter = Array.from(layout.treeLockstep).filter((d, t) => d < layout.treeDepth[t]!).length;
    expect(shorter).toBeGreaterThan(6);
    // A balanced tree keeps its full depth in lockstep.
    const shallow = await trainForest(data.features, data.labels, {
      nFeatures: 8,
      nEstimators: 4,
      maxDepth: 3,
    });
    const shallowLayout = compileLayout(decodeForest(shallow.serialize()));
    expect(Array.from(shallowLayout.treeLockstep)).toEqual(Array.from(shallowLayout.treeDepth));

    const rows = probeRows(layout, data.features, 19);
    const expected = floatPath(layout, rows);
    expect(quantizedPath(layout, rows)).toEqual(expected);
    const trees = forest.toTrees();
    const asArrays = toRowArrays(rows, 8);
    const K = forest.nClasses;
    for (let r = 0; r < asArrays.length; r += 5) {
      const sums = new Array<number>(K).fill(0);
      for (const tree of trees) {
        const p = walkTree(tree, asArrays[r]!);
        for (let k = 0; k < K; k++) sums[k] = sums[k]! + p[k]!;
      }
      expect(Array.from(expected.subarray(r * K, (r + 1) * K))).toEqual(sums.map((s) => s / trees.length));
    }
  });

  it('is left out where it does not fit, and those forests keep their answers', async () => {
    const data = makeSyntheticDataset({ nRows: 600, nFeatures: 260, seed: 12 });
    const wide = await trainForest(data.features, data.labels, { nFeatures: 260, nEstimators: 4, seed: 1 });
    const wideLayout = compileLayout(decodeForest(wide.serialize()));
    expect(wideLayout.quantized).toBeNull(); // more than 256 features
    expect(wide.predictProbaFlat(data.features)).toEqual(floatPath(wideLayout, data.features));

    const small = makeSyntheticDataset({ nRows: 2000, nFeatures: 4, seed: 13 });
    const forest = await trainForest(small.features, small.labels, {
      nFeatures: 4,
      nEstimators: 10,
      seed: 1,
    });
    const model = decodeForest(forest.serialize());
    expect(compileLayout(model, false).quantized).toBeNull(); // the unpacked layout, for tests
    // More than 255 distinct thresholds in a feature (a forest built elsewhere): the float walk.
    const spread = { ...model, nodeThreshold: model.nodeThreshold.map((t, i) => t + i * 1e-9) };
    const spreadLayout = compileLayout(spread);
    expect(spreadLayout.quantized).toBeNull();
    expect(new Forest(spread).predictProbaFlat(small.features)).toEqual(
      floatPath(spreadLayout, small.features),
    );

    const featureTypes: FeatureType[] = ['categorical', 'numeric', 'numeric', 'numeric'];
    const codes = small.features.slice();
    for (let r = 0; r < 2000; r++) codes[r * 4] = r % 5;
    const categorical = await trainForest(codes, small.labels, {
      nFeatures: 4,
      nEstimators: 10,
      featureTypes,
    });
    expect(compileLayout(decodeForest(categorical.serialize())).quantized).toBeNull();
  });
});
