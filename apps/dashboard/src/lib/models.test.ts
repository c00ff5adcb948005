import { describe, expect, it } from 'vitest';
import { formatRowWindow, keyParams, summarizeParams } from './models.ts';

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
