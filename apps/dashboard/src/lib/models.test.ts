import { describe, expect, it } from 'vitest';
import {
  candidateCells,
  fixedReason,
  formatRowWindow,
  forwardSummary,
  keyParams,
  leftOutSummary,
  searchSummary,
  summarizeParams,
} from './models.ts';

describe('summarizeParams', () => {
  it('lists parameters sorted by name, nested values as JSON', () => {
    expect(
      summarizeParams({ nEstimators: 50, maxDepth: 12, classWeights: [1, 2], maxFeatures: 'sqrt' }),
    ).toEqual(['classWeights [1,2]', 'maxDepth 12', 'maxFeatures sqrt', 'nEstimators 50']);
  });
  it('copes with whatever else the free-form column holds', () => {
    expect(summarizeParams(null)).toEqual([]);
    expect(summarizeParams('legacy')).toEqual(['"legacy"']);
    expect(summarizeParams([1, 2])).toEqual(['[1,2]']);
    expect(summarizeParams({ seed: null })).toEqual(['seed null']);
  });
  it('leaves the search out (it has its own table)', () => {
    expect(summarizeParams({ maxDepth: null, search: { candidates: [] } })).toEqual(['maxDepth null']);
  });
});

describe('formatRowWindow', () => {
  it('writes the first and last row id of the training window', () => {
    expect(formatRowWindow(1201, 2400)).toBe('rows #1,201–#2,400');
    expect(formatRowWindow(null, 5)).toBe('row window unknown');
  });
});

describe('keyParams', () => {
  it('picks the telling parameters of a forest in a fixed order', () => {
    expect(keyParams({ seed: 42, maxDepth: 10, nEstimators: 20, maxFeatures: 'sqrt' })).toEqual([
      'nEstimators 20',
      'maxDepth 10',
      'maxFeatures sqrt',
    ]);
    expect(keyParams('legacy')).toEqual([]);
  });
});

describe('the leaderboard', () => {
  const candidate = {
    rank: 1,
    window: 'since-change',
    windowRows: 1234,
    maxDepth: null,
    minSamplesLeaf: 5,
    maxFeatures: 'sqrt',
    classWeight: null,
    nTrees: 100,
    score: 0.95123,
    fitMs: 1500,
    rung: 2,
    cutByHalving: false,
    winner: true,
  };
  it('writes a candidate’s cells in the table’s order', () => {
    expect(candidateCells(candidate)).toEqual([
      '1',
      'since-change',
      '1,234',
      'unlimited',
      '5',
      'sqrt',
      'none',
      '100',
      '0.9512',
      '1,500',
      '2',
      '',
    ]);
    expect(
      candidateCells({ ...candidate, maxDepth: 8, classWeight: 'balanced', score: null, cutByHalving: true }),
    ).toEqual(['1', 'since-change', '1,234', '8', '5', 'sqrt', 'balanced', '100', '–', '1,500', '2', 'cut']);
  });
  it('sums the search up in one line', () => {
    const search = { candidates: [1, 2, 3], elapsedMs: 2940, budgetSeconds: 3, rungs: 3, metric: 'accuracy' };
    expect(searchSummary({ ...search, stoppedByBudget: false })).toBe(
      '3 candidates in 2.9 s (budget 3 s), 3 rungs of successive halving, scored by accuracy',
    );
    expect(searchSummary({ ...search, stoppedByBudget: true })).toContain(
      '(budget 3 s, stopped by the budget)',
    );
  });
});

describe('fixedReason', () => {
  it('says why a version is the fixed forest, and nothing for versions that did not record it', () => {
    expect(fixedReason({ nEstimators: 100, fixed: 'AUTOML_BUDGET_SECONDS is 0' })).toBe(
      'AUTOML_BUDGET_SECONDS is 0',
    );
    expect(fixedReason({ nEstimators: 100 })).toBeNull();
    expect(fixedReason(null)).toBeNull();
  });
});

describe('leftOutSummary', () => {
  it('names the features a version was trained without and the transfer that decided it', () => {
    const leftOut = { features: [2], names: ['temp'], baseline: 0.892, accuracy: 0.9712, pastRows: 1511 };
    expect(leftOutSummary({ nEstimators: 30, leftOut })).toBe(
      'trained without temp: a model of the 1,511 rows before the change predicted the window 89.2 % right with it, 97.1 % without',
    );
    expect(leftOutSummary({ leftOut: { ...leftOut, inherited: true } })).toBe(
      'trained without temp, as the version it followed',
    );
    expect(leftOutSummary({ leftOut: { features: [0, 3], inherited: true } })).toBe(
      'trained without column 0, column 3, as the version it followed',
    );
  });

  it('says nothing for a version that used every feature', () => {
    expect(leftOutSummary({ nEstimators: 30 })).toBeNull();
    expect(leftOutSummary({ leftOut: { features: [] } })).toBeNull();
    expect(leftOutSummary(null)).toBeNull();
  });
});

describe('forwardSummary', () => {
  it('says what a version with serially dependent rows promises, and why', () => {
    const forward = { used: true, n: 120, forwardErrors: 55, outOfBagErrors: 0, trainRows: 1480, z: 7.4 };
    expect(forwardSummary({ forward })).toBe(
      'promises its forward error, 45.8 %: its rows are serially dependent, and a model of the 1,480 older rows erred on 55 of the newest 120 where out of bag erred on 0 (0.0 %)',
    );
  });

  it('says how many independent rows the scored rows count as when their labels come in runs', () => {
    const forward = {
      used: true,
      n: 1000,
      forwardErrors: 53,
      outOfBagErrors: 1,
      trainRows: 4000,
      runs: { observed: 22, expected: 483.4, z: 28.3 },
      worth: 50,
    };
    expect(forwardSummary({ forward })).toBe(
      'promises its forward error, 5.3 %: its rows are serially dependent, and a model of the 4,000 older rows erred on 53 of the newest 1,000 where out of bag erred on 1 (0.1 %); their label changed 21 times where independent rows would change 482, so they count as 50 independent rows',
    );
  });

  it('says nothing when the version promises its gate score', () => {
    expect(
      forwardSummary({ forward: { used: false, n: 100, forwardErrors: 3, outOfBagErrors: 2 } }),
    ).toBeNull();
    expect(forwardSummary({ nEstimators: 30 })).toBeNull();
    expect(forwardSummary(null)).toBeNull();
  });
});
