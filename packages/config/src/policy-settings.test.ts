import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './environment.ts';
import { parsePipelineSettings } from './pipeline-settings.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('P8 at start-up: settings that would switch the retraining loop off are refused', () => {
  it('refuses DRIFT_SHARE=0 and PSI_THRESHOLD=0 together, each with what it would do', () => {
    const problems = problemsOf(() => loadConfig({ DRIFT_SHARE: '0', PSI_THRESHOLD: '0' }));
    expect(problems).toEqual([
      'DRIFT_SHARE: must be in (0, 1]: 0 would call every check a drift (got 0)',
      'PSI_THRESHOLD: must be > 0: 0 flags every feature of every check (got 0)',
    ]);
  });

  it('in production also refuses settings that weaken the loop (small chunks and windows, a job expiring while it waits)', () => {
    const problems = problemsOf(() =>
      loadConfig({
        NODE_ENV: 'production',
        WINDOW_SIZE: '100',
        MIN_TRAIN_ROWS: '100',
        RETRAIN_WAIT_SECONDS: '300',
        RETRAIN_EXPIRE_SECONDS: '400',
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^WINDOW_SIZE: must be an integer >= 200.*\(got 100\)$/);
    expect(problems[1]).toMatch(/^MIN_TRAIN_ROWS: must be an integer >= 125.*\(got 100\)$/);
    expect(problems[2]).toMatch(
      /^RETRAIN_EXPIRE_SECONDS: must exceed RETRAIN_WAIT_SECONDS \(300\) \+ 120 s.*\(got 400\)$/,
    );
  });

  it('elsewhere loads them with a warning naming the variable (tests and small demos use them)', () => {
    const config = loadConfig({ MIN_TRAIN_ROWS: '100' });
    expect(config.retrain.minTrainRows).toBe(100);
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings![0]).toMatch(/^MIN_TRAIN_ROWS: must be an integer >= 125.*NODE_ENV=production/);
  });

  it('loads the defaults, in production too, with no warning', () => {
    expect(loadConfig({}).warnings).toEqual([]);
    expect(loadConfig({ NODE_ENV: 'production' }).warnings).toEqual([]);
  });

  it('refuses a pipeline whose overrides would switch its loop off', () => {
    const base = loadConfig({});
    expect(problemsOf(() => parsePipelineSettings({ DRIFT_SHARE: 0 }, base))).toEqual([
      'DRIFT_SHARE: must be in (0, 1]: 0 would call every check a drift (got 0)',
    ]);
    expect(parsePipelineSettings({ DRIFT_SHARE: 0.3 }, base)).toEqual({ DRIFT_SHARE: 0.3 });
  });

  it('refuses a production pipeline with a window too small for the policy, allows it elsewhere', () => {
    const production = loadConfig({ NODE_ENV: 'production' });
    expect(problemsOf(() => parsePipelineSettings({ WINDOW_SIZE: 100 }, production))).toEqual([
      'WINDOW_SIZE: must be an integer >= 200: smaller chunks cannot see a drift of a few points (got 100)',
    ]);
    expect(parsePipelineSettings({ WINDOW_SIZE: 100 }, loadConfig({}))).toEqual({ WINDOW_SIZE: 100 });
  });
});
