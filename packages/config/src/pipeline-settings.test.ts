import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './environment.ts';
import { applyPipelineSettings, PIPELINE_SETTINGS, parsePipelineSettings } from './pipeline-settings.ts';

describe('pipeline settings', () => {
  const base = loadConfig({ WINDOW_SIZE: '1000', N_ESTIMATORS: '100', MIN_TRAIN_ROWS: '500' });

  it('parses overrides by environment name with the environment’s rules and applies them to a copy', () => {
    const settings = parsePipelineSettings(
      { WINDOW_SIZE: '250', N_ESTIMATORS: 7, MAX_FEATURES: 'log2' },
      base,
    );
    expect(settings).toEqual({ WINDOW_SIZE: 250, N_ESTIMATORS: 7, MAX_FEATURES: 'log2' });
    const config = applyPipelineSettings(base, settings);
    expect(config.drift.windowSize).toBe(250);
    expect(config.drift.cooldownRows).toBe(250);
    expect(config.model.nEstimators).toBe(7);
    expect(config.model.maxFeatures).toBe('log2');
    expect(base.drift.windowSize).toBe(1000);
    expect(base.model.nEstimators).toBe(100);
  });

  it('lists every problem: unknown names, values out of range, MIN_TRAIN_ROWS above TRAIN_WINDOW', () => {
    expect(() =>
      parsePipelineSettings({ N_ESTIMATORS: 0, DATABASE_URL: 'x', WINDOW_SIZE: [1] }, base),
    ).toThrow(ConfigError);
    try {
      parsePipelineSettings({ N_ESTIMATORS: 0, DATABASE_URL: 'x' }, base);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^N_ESTIMATORS: .* \(got "0"\)$/),
        `DATABASE_URL: not a pipeline setting (one of ${PIPELINE_SETTINGS.join(', ')})`,
      ]);
    }
    expect(() => parsePipelineSettings({ TRAIN_WINDOW: 100 }, base)).toThrow(
      /MIN_TRAIN_ROWS \(500\) must not exceed TRAIN_WINDOW \(100\)/,
    );
  });
});
