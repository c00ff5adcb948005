import { describe, expect, it } from 'vitest';
import { BIN_VALUES_PER_TURN, binEdges, binFeatures, binFeaturesInTurns, binOf } from './binning.ts';
import { mulberry32 } from './synthetic.ts';

describe('binEdges', () => {
  it('cuts halfway between consecutive distinct values when they fit (the exact CART candidates)', () => {
    expect(Array.from(binEdges(Float64Array.from([1, 1, 2, 4, 4, 4, 7]), 255))).toEqual([1.5, 3, 5.5]);
  });

  it('gives a constant feature no cut', () => {
    expect(binEdges(Float64Array.from([3, 3, 3]), 255).length).toBe(0);
  });

  it('places at most nBins - 1 quantile cuts, strictly increasing, never inside a run of ties', () => {
    const random = mulberry32(5);
    // Half the values are exactly 0 (a heavy tie), the rest continuous.
    const values = Float64Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? 0 : random()));
    const sorted = values.slice().sort();
    const edges = binEdges(sorted, 16);
    expect(edges.length).toBe(15); // the tie costs one bin, the 5000 other values get 15
    for (let i = 1; i < edges.length; i++) expect(edges[i]!).toBeGreaterThan(edges[i - 1]!);
    const distinct = new Set(values);
    for (const e of edges) expect(distinct.has(e)).toBe(false);
    // Bins are roughly equally filled, apart from the tie at 0 which stays whole.
    const counts = new Map<number, number>();
    for (const v of values) counts.set(binOf(edges, v), (counts.get(binOf(edges, v)) ?? 0) + 1);
    expect(counts.get(0)).toBe(5000);
    for (const [bin, n] of counts) if (bin > 0) expect(Math.abs(n - 5000 / 15)).toBeLessThan(5);
  });

  it('keeps a cut strictly between two values one ulp apart', () => {
    const a = 1;
    const b = 1 + Number.EPSILON;
    const [edge] = binEdges(Float64Array.from([a, b]), 255);
    expect(a <= edge!).toBe(true);
    expect(b <= edge!).toBe(false);
  });
});

describe('binOf and binFeatures', () => {
  it('bin(x) <= b exactly when x <= edges[b], the identity that turns bin splits into float thresholds', () => {
    const random = mulberry32(9);
    const values = Float64Array.from({ length: 3000 }, () => Math.round(random() * 1000) / 10);
    const edges = binEdges(values.slice().sort(), 32);
    let mismatches = 0;
    for (const x of values) {
      const bin = binOf(edges, x);
      for (let b = 0; b < edges.length; b++) if (bin <= b !== x <= edges[b]!) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('stores bins feature-major in shared memory, one bin count per feature', () => {
    const data = Float64Array.from([0, 10, 1, 10, 2, 10, 3, 10]); // 4 rows × 2 features
    const binned = binFeatures({ data, nRows: 4, nFeatures: 2 }, 255);
    expect(binned.bins.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(binned.bins)).toEqual([0, 1, 2, 3, 0, 0, 0, 0]);
    expect(Array.from(binned.binCounts)).toEqual([4, 1]);
  });

  it('bins in turns of the event loop to the same result, and stops when aborted', async () => {
    // 3,000 rows × 60 features: numeric with ties and missing values, every third categorical.
    const random = mulberry32(9);
    const nRows = 3000;
    const nFeatures = 60;
    const categorical = Uint8Array.from({ length: nFeatures }, (_, f) => (f % 3 === 2 ? 1 : 0));
    const data = Float64Array.from({ length: nRows * nFeatures }, (_, i) => {
      const f = i % nFeatures;
      if (random() < 0.05) return Number.NaN;
      return categorical[f]
        ? Math.floor(random() * 12)
        : f % 3 === 1
          ? Math.round(random() * 4)
          : random() * 1e3;
    });
    const matrix = { data, nRows, nFeatures };
    const whole = binFeatures(matrix, 255, categorical);
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    const inTurns = await binFeaturesInTurns(matrix, 255, categorical);
    clearInterval(ticking);
    expect(Buffer.from(inTurns.bins).equals(Buffer.from(whole.bins))).toBe(true);
    expect(Array.from(inTurns.binCounts)).toEqual(Array.from(whole.binCounts));
    expect(Array.from(inTurns.hasMissing)).toEqual(Array.from(whole.hasMissing));
    expect(Array.from(inTurns.categorySeen)).toEqual(Array.from(whole.categorySeen));
    expect(inTurns.edges.map((e) => Array.from(e))).toEqual(whole.edges.map((e) => Array.from(e)));
    // 180,000 values: the event loop had turns in between (a timer ran during the binning).
    expect(nRows * nFeatures).toBeGreaterThan(2 * BIN_VALUES_PER_TURN);
    expect(turns).toBeGreaterThan(0);

    const controller = new AbortController();
    const binning = binFeaturesInTurns(matrix, 255, categorical, controller.signal);
    controller.abort(new Error('stop'));
    await expect(binning).rejects.toThrow('stop');
  });
});
