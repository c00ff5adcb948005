import { describe, expect, it } from 'vitest';
import {
  homeTarget,
  pageOfRoute,
  pipelineHref,
  pipelineOfRoute,
  switcherChoices,
  switchHref,
} from './pipeline-routes.ts';

describe('pipelineHref', () => {
  it('puts each page of a pipeline under /p/<name>', () => {
    expect(pipelineHref('credit')).toBe('/p/credit');
    expect(pipelineHref('credit', { kind: 'models' })).toBe('/p/credit/models');
    expect(pipelineHref('credit', { kind: 'checks' })).toBe('/p/credit/drift');
    expect(pipelineHref('credit_2', { kind: 'drift', id: '12' })).toBe('/p/credit_2/drift/12');
  });

  it('escapes what a path cannot carry (names from the URL are not trusted)', () => {
    expect(pipelineHref('a/b?c')).toBe('/p/a%2Fb%3Fc');
  });
});

describe('pipelineOfRoute', () => {
  it('reads the [pipeline] parameter under /p/', () => {
    expect(pipelineOfRoute('/(app)/p/[pipeline]', { pipeline: 'credit' })).toBe('credit');
    expect(pipelineOfRoute('/(app)/p/[pipeline]/drift/[id]', { pipeline: 'fraud', id: '3' })).toBe('fraud');
  });

  it('gives the default pipeline to the first URLs and none to the fleet and sign-in pages', () => {
    expect(pipelineOfRoute('/(app)', {})).toBe('default');
    expect(pipelineOfRoute('/(app)/models', {})).toBe('default');
    expect(pipelineOfRoute('/(app)/drift/[id]', { id: '4' })).toBe('default');
    expect(pipelineOfRoute('/(app)/fleet', {})).toBeNull();
    expect(pipelineOfRoute('/signin', {})).toBeNull();
    expect(pipelineOfRoute(null, {})).toBeNull();
  });
});

describe('pageOfRoute and switchHref', () => {
  it('names the page of a route', () => {
    expect(pageOfRoute('/(app)/p/[pipeline]/models', { pipeline: 'a' })).toEqual({ kind: 'models' });
    expect(pageOfRoute('/(app)/p/[pipeline]/drift', { pipeline: 'a' })).toEqual({ kind: 'checks' });
    expect(pageOfRoute('/(app)/p/[pipeline]/drift/[id]', { pipeline: 'a', id: '7' })).toEqual({
      kind: 'drift',
      id: '7',
    });
    expect(pageOfRoute('/(app)/p/[pipeline]', { pipeline: 'a' })).toEqual({ kind: 'overview' });
    expect(pageOfRoute('/(app)', {})).toEqual({ kind: 'overview' });
  });

  it('keeps the page when switching, but a drift check (numbered per pipeline) goes to the overview', () => {
    expect(switchHref('/(app)/p/[pipeline]/models', { pipeline: 'a' }, 'b')).toBe('/p/b/models');
    expect(switchHref('/(app)/p/[pipeline]/drift', { pipeline: 'a' }, 'b')).toBe('/p/b/drift');
    expect(switchHref('/(app)/p/[pipeline]', { pipeline: 'a' }, 'b')).toBe('/p/b');
    expect(switchHref('/(app)/p/[pipeline]/drift/[id]', { pipeline: 'a', id: '7' }, 'b')).toBe('/p/b');
    expect(switchHref('/(app)', {}, 'fraud')).toBe('/p/fraud');
  });
});

describe('homeTarget', () => {
  it('keeps the default overview at / while it is the only pipeline, or when none could be read', () => {
    expect(homeTarget(['default'])).toBeNull();
    expect(homeTarget([])).toBeNull();
  });

  it('goes to the fleet with more than one pipeline, and to the one pipeline of a limited key', () => {
    expect(homeTarget(['default', 'credit'])).toBe('/fleet');
    expect(homeTarget(['credit', 'fraud'])).toBe('/fleet');
    expect(homeTarget(['credit'])).toBe('/p/credit');
  });
});

describe('switcherChoices', () => {
  it('adds the pipeline shown when the list lacks it (archived), once', () => {
    expect(switcherChoices(['a', 'b'], 'old')).toEqual(['a', 'b', 'old']);
    expect(switcherChoices(['a', 'b'], 'a')).toEqual(['a', 'b']);
    expect(switcherChoices(['a'], null)).toEqual(['a']);
  });
});
