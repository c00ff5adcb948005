import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG, policyConfigFrom, validatePolicySettings } from './config.ts';

const valid = {
  WINDOW_SIZE: 500,
  MIN_TRAIN_ROWS: 500,
  TRAIN_WINDOW: 20_000,
  HOLDOUT_FRACTION: 0.2,
  PROMOTION_TOLERANCE: 0.01,
  RETRAIN_WAIT_SECONDS: 300,
  RETRAIN_EXPIRE_SECONDS: 900,
  DRIFT_SHARE: 0.5,
  PSI_THRESHOLD: 0.2,
};

describe('P8: settings that would switch the loop off are refused, each naming its variable (A17)', () => {
  it('accepts the platform defaults', () => {
    expect(validatePolicySettings(valid)).toEqual([]);
  });

  it.each([
    [{ DRIFT_SHARE: 0 }, 'DRIFT_SHARE', /in \(0, 1\]/],
    [{ PSI_THRESHOLD: 0 }, 'PSI_THRESHOLD', /> 0/],
    [
      { RETRAIN_WAIT_SECONDS: 900, RETRAIN_EXPIRE_SECONDS: 900 },
      'RETRAIN_EXPIRE_SECONDS',
      /RETRAIN_WAIT_SECONDS \(900\) \+ 120/,
    ],
    [{ MIN_TRAIN_ROWS: 100 }, 'MIN_TRAIN_ROWS', />= 125/],
    [{ WINDOW_SIZE: 199 }, 'WINDOW_SIZE', />= 200/],
    [{ TRAIN_WINDOW: 400 }, 'TRAIN_WINDOW', />= MIN_TRAIN_ROWS/],
  ])('%o → %s', (bad, variable, message) => {
    const problems = validatePolicySettings({ ...valid, ...bad });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.variable).toBe(variable);
    expect(problems[0]!.problem).toMatch(message);
  });

  it('collects every problem at once', () => {
    const problems = validatePolicySettings({
      ...valid,
      DRIFT_SHARE: 0,
      PSI_THRESHOLD: 0,
      MIN_TRAIN_ROWS: 100,
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'DRIFT_SHARE',
      'MIN_TRAIN_ROWS',
      'PSI_THRESHOLD',
    ]);
  });
});

describe('policyConfigFrom', () => {
  it('takes the platform settings and keeps the policy constants', () => {
    const config = policyConfigFrom({ ...valid, WINDOW_SIZE: 250, DRIFT_COOLDOWN_ROWS: 700 });
    expect(config.chunkSize).toBe(250);
    expect(config.noLabelsWindow).toBe(2500);
    expect(config.cooldownRows).toBe(700);
    expect(config.arl0).toBe(DEFAULT_POLICY_CONFIG.arl0);
    expect(policyConfigFrom({ WINDOW_SIZE: 300 }).cooldownRows).toBe(600);
  });
});
