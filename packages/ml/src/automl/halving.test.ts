import { describe, expect, it } from 'vitest';
import {
  buildCandidates,
  type Candidate,
  DEFAULT_SEARCH_SPACE,
  isImbalanced,
  resolveWindows,
} from './candidates.ts';
import {
  FitCostModel,
  fitsAhead,
  interleaveWindows,
  planRungs,
  promote,
  rungRows,
  subsampleRows,
} from './halving.ts';

const schedule = { eta: 3, topTrees: 30, minTrees: 10 };

describe('the halving schedule', () => {
  it('keeps a third of the candidates per rung until at most three remain, with more rows and trees', () => {
    const rungs = planRungs(72, schedule);
    expect(rungs.map((r) => r.candidates)).toEqual([72, 24, 8, 3]);
    expect(rungs.map((r) => r.rowFraction)).toEqual([1 / 27, 1 / 9, 1 / 3, 1]);
    expect(rungs.map((r) => r.trees)).toEqual([10, 10, 10, 30]);
    expect(planRungs(3, schedule).map((r) => r.candidates)).toEqual([3]);
    // Over 3 windows the best of each window also goes on: at most a third + 2.
    expect(planRungs(54, schedule, 3).map((r) => r.candidates)).toEqual([54, 20, 9, 5]);
    expect(planRungs(54, schedule, 3).map((r) => r.trees)).toEqual([10, 10, 10, 30]);
    expect(fitsAhead(54, 0, planRungs(54, schedule, 3), 3, 3)).toBe(54 + 20 + 9 + 5);
    expect(fitsAhead(15, 1, planRungs(54, schedule, 3), 3, 3)).toBe(15 + 7 + 5);
    expect(planRungs(54, { ...schedule, eta: 2 }).map((r) => r.candidates)).toEqual([54, 27, 14, 7, 4, 2]);
  });

  it('promotes the best third and the best of every window not among them', () => {
    const trial = (id: number, start: number) => ({
      candidate: {
        id,
        window: { name: `from-${start}`, start, end: 100, rows: 100 - start },
        params: { maxDepth: null, minSamplesLeaf: 1, maxFeatures: 'sqrt' as const, classWeight: null },
      },
    });
    const ranked = [
      trial(4, 0),
      trial(2, 0),
      trial(7, 50),
      trial(1, 0),
      trial(9, 0),
      trial(3, 80),
      trial(5, 80),
    ];
    expect(promote(ranked, 3).map((t) => t.candidate.id)).toEqual([4, 2, 7, 3]);
    expect(promote(ranked.slice(0, 2), 3).map((t) => t.candidate.id)).toEqual([4]);
  });

  it('scores rung 0 window by window in turn, each window in its own order', () => {
    const windows = [
      { name: 'since-change', start: 80, end: 100, rows: 20 },
      { name: 'all', start: 0, end: 100, rows: 100 },
    ];
    const space = { ...DEFAULT_SEARCH_SPACE, maxDepth: [null], minSamplesLeaf: [1] };
    const candidates = buildCandidates(windows, space, 64, false);
    const trials = candidates.map((candidate) => ({ candidate }));
    const order = interleaveWindows(trials).map(
      (t) => `${t.candidate.window.name}:${t.candidate.params.maxFeatures}`,
    );
    expect(order).toEqual([
      'since-change:sqrt',
      'all:sqrt',
      'since-change:log2',
      'all:log2',
      'since-change:0.5',
      'all:0.5',
      'since-change:all',
      'all:all',
    ]);
    // With a cost, each window cheapest first (64 features: log2 6, sqrt 8, 0.5 32, all 64).
    const tried = { sqrt: 8, log2: 6, '0.5': 32, all: 64 } as Record<string, number>;
    const cheap = interleaveWindows(trials, (t) => tried[String(t.candidate.params.maxFeatures)]!);
    expect(
      cheap.map((t) => `${t.candidate.window.name}:${t.candidate.params.maxFeatures}`).slice(0, 4),
    ).toEqual(['since-change:log2', 'all:log2', 'since-change:sqrt', 'all:sqrt']);
    // A window with fewer candidates runs out first; none is lost or repeated.
    const uneven = interleaveWindows([...trials.slice(0, 4), trials[4]!]);
    expect(uneven.map((t) => t.candidate.id)).toEqual([0, 4, 1, 2, 3]);
  });

  it('gives every window the same share of its rows, the largest at least the minimum', () => {
    const window = (rows: number) => ({ name: `w${rows}`, start: 0, end: rows, rows });
    const candidate = (rows: number): Candidate => ({
      id: 0,
      window: window(rows),
      params: { maxDepth: null, minSamplesLeaf: 1, maxFeatures: 'sqrt', classWeight: null },
    });
    const [rung0, , , top] = planRungs(72, schedule);
    // Largest window 16,200: 1/27 of it is 600 rows; a window of 2,700 gets 100 (same share).
    expect(rungRows(candidate(16_200), rung0!, 16_200, 200, 20)).toBe(600);
    expect(rungRows(candidate(2_700), rung0!, 16_200, 200, 20)).toBe(100);
    // Largest window 2,700: 1/27 would be 100 rows, raised to 200 (share 2/27) for every window.
    expect(rungRows(candidate(2_700), rung0!, 2_700, 200, 20)).toBe(200);
    expect(rungRows(candidate(270), rung0!, 2_700, 200, 20)).toBe(20);
    expect(rungRows(candidate(2_700), top!, 16_200, 200, 20)).toBe(2_700);
  });

  it('draws a seeded subsample: sorted, distinct, inside the window, the same for the same seed', () => {
    const rows = subsampleRows(1000, 6000, 700, 5);
    expect(rows.length).toBe(700);
    expect(new Set(rows).size).toBe(700);
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...rows)).toBeLessThan(6000);
    expect(Array.from(rows)).toEqual([...rows].sort((a, b) => a - b));
    expect(subsampleRows(1000, 6000, 700, 5)).toEqual(rows);
    expect(subsampleRows(1000, 6000, 700, 6)).not.toEqual(rows);
    // Uniform over the window: about half the draws in each half.
    const firstHalf = rows.filter((r) => r < 3500).length;
    expect(firstHalf).toBeGreaterThan(300);
    expect(firstHalf).toBeLessThan(400);
    expect(subsampleRows(10, 20, 50, 1)).toEqual(Int32Array.from({ length: 10 }, (_, i) => 10 + i));
  });

  it('predicts a large fit from the fixed cost and the median cost per unit of the larger fits', () => {
    // Fits that cost 5 ms + 0.01 ms per unit of work.
    const model = new FitCostModel();
    const calm = new FitCostModel();
    for (let i = 1; i <= 8; i++) {
      model.add(1000 * i, 5 + 10 * i);
      calm.add(1000 * i, 5 + 10 * i);
    }
    model.add(500, 400); // a pause of the machine during a small fit
    // The fixed part is taken as the fastest fit (15 ms), which understates the unit cost a little:
    // 1,005 ms true, 815 predicted; the pause changes nothing.
    expect(model.estimate(1e5)).toBeCloseTo(815, 6);
    expect(calm.estimate(1e5)).toBeCloseTo(815, 6);
    const few = new FitCostModel();
    for (let i = 1; i <= 7; i++) few.add(1000 * i, 5 + 10 * i);
    expect(few.estimate(1e5)).toBe(0); // too few fits to tell
    expect(model.estimate(8000 * 21)).toBe(0); // too far beyond the largest fit (8,000)
    expect(model.estimate(8000 * 21, true)).toBeCloseTo(15 + 0.008 * 168_000, 6);
    expect(model.estimate(8000 * 20)).toBeCloseTo(15 + 0.008 * 160_000, 6);
  });
});

describe('windows and candidates', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 3);

  it('clips windows at the validation rows, skipping short, duplicate and one-class windows', () => {
    const oneClass = Int32Array.from(labels);
    oneClass.fill(0, 900, 1000);
    const { used, skipped } = resolveWindows(
      [
        { name: 'all', start: 0 },
        { name: 'since-change', start: 700 },
        { name: 'again-all', start: 0 },
        { name: 'tiny', start: 790 },
      ],
      labels,
      800,
      20,
    );
    expect(used).toEqual([
      { name: 'all', start: 0, end: 800, rows: 800 },
      { name: 'since-change', start: 700, end: 800, rows: 100 },
    ]);
    expect(skipped.map((s) => s.name)).toEqual(['again-all', 'tiny']);
    expect(skipped[1]!.reason).toContain('10 training rows');
    const single = resolveWindows(
      [
        { name: 'late', start: 900 },
        { name: 'all', start: 0 },
      ],
      oneClass,
      950,
      20,
    );
    expect(single.skipped[0]!.reason).toContain('same label');
    expect(() => resolveWindows([{ name: 'late', start: 1000 }], labels, 800, 20)).toThrow(
      'start must be a row index',
    );
    expect(() => resolveWindows([], labels, 800, 20)).toThrow('at least one training window');
  });

  it('crosses windows with the space, trying each feature count once and class weights only if imbalanced', () => {
    const windows = [{ name: 'all', start: 0, end: 800, rows: 800 }];
    // 10 features: sqrt and log2 are both 3, so 3 distinct maxFeatures × 3 depths × 2 leaf sizes.
    expect(buildCandidates(windows, DEFAULT_SEARCH_SPACE, 10, false)).toHaveLength(18);
    const weighted = buildCandidates(windows, DEFAULT_SEARCH_SPACE, 10, true);
    expect(weighted).toHaveLength(36);
    expect(weighted.filter((c) => c.params.classWeight === 'balanced')).toHaveLength(18);
    // 64 features: sqrt 8, log2 6, half 32, all 64 are all distinct.
    expect(buildCandidates(windows, DEFAULT_SEARCH_SPACE, 64, false)).toHaveLength(24);
    expect(isImbalanced(labels, 1000, 3)).toBe(false);
    const skewed = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    expect(isImbalanced(skewed, 1000, 2)).toBe(true);
  });
});
