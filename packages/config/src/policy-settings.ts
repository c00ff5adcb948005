/**
 * P8: the settings the retraining policy depends on, checked once at start-up (loadConfig) and
 * for every pipeline's overrides. Pure: the policy (packages/core) and the config both use it.
 */

/** The platform settings the policy depends on, as the environment names them. */
export interface PolicySettings {
  WINDOW_SIZE: number;
  MIN_TRAIN_ROWS: number;
  TRAIN_WINDOW: number;
  HOLDOUT_FRACTION: number;
  PROMOTION_TOLERANCE: number;
  RETRAIN_WAIT_SECONDS: number;
  RETRAIN_EXPIRE_SECONDS: number;
  DRIFT_SHARE: number;
  PSI_THRESHOLD: number;
  DRIFT_COOLDOWN_ROWS?: number;
}

export interface SettingProblem {
  variable: keyof PolicySettings;
  value: number | undefined;
  problem: string;
  /**
   * `off`: the loop would be switched off or every check would throw; refused wherever the
   * settings come from. `weak`: the loop runs but with less power than the policy's figures
   * assume (small chunks, small windows, a job expiring while it waits); refused with
   * NODE_ENV=production, a start-up warning otherwise (tests and small demos use them).
   */
  kind: 'off' | 'weak';
}

/**
 * Every problem of `settings`, each named with its variable and what to do. Settings not given
 * are not checked.
 */
export function validatePolicySettings(settings: Partial<PolicySettings>): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const check = (
    variable: keyof PolicySettings,
    kind: SettingProblem['kind'],
    ok: (v: number) => boolean,
    problem: string,
  ) => {
    const value = settings[variable];
    if (value === undefined) return;
    if (typeof value !== 'number' || Number.isNaN(value) || !ok(value))
      problems.push({ variable, value, problem, kind });
  };
  check('DRIFT_SHARE', 'off', (v) => v > 0 && v <= 1, 'must be in (0, 1]: 0 would call every check a drift');
  check('PSI_THRESHOLD', 'off', (v) => v > 0, 'must be > 0: 0 flags every feature of every check');
  check(
    'WINDOW_SIZE',
    'weak',
    (v) => Number.isInteger(v) && v >= 200,
    'must be an integer >= 200: smaller chunks cannot see a drift of a few points',
  );
  check(
    'MIN_TRAIN_ROWS',
    'weak',
    (v) => Number.isInteger(v) && v >= 125,
    'must be an integer >= 125 (100 training rows and a hold-out)',
  );
  check(
    'TRAIN_WINDOW',
    'off',
    (v) => Number.isInteger(v) && v >= (settings.MIN_TRAIN_ROWS ?? 125),
    `must be an integer >= MIN_TRAIN_ROWS${settings.MIN_TRAIN_ROWS === undefined ? '' : ` (${settings.MIN_TRAIN_ROWS})`}: a smaller window can never train`,
  );
  check('RETRAIN_WAIT_SECONDS', 'off', (v) => v >= 0, 'must be >= 0');
  const wait = settings.RETRAIN_WAIT_SECONDS;
  const expire = settings.RETRAIN_EXPIRE_SECONDS;
  if (wait !== undefined && expire !== undefined && !(wait + 120 < expire)) {
    problems.push({
      variable: 'RETRAIN_EXPIRE_SECONDS',
      value: expire,
      problem: `must exceed RETRAIN_WAIT_SECONDS (${wait}) + 120 s of training: a job that waits its full time would expire and be retried forever`,
      kind: 'weak',
    });
  }
  return problems;
}

/**
 * The problems that stop the platform from starting: `off` always, `weak` too in production.
 * Returns [refused, warnings] as the lines a ConfigError and a start-up warning print.
 */
export function policySettingProblems(
  settings: Partial<PolicySettings>,
  production: boolean,
): { refused: string[]; warnings: string[] } {
  const refused: string[] = [];
  const warnings: string[] = [];
  for (const p of validatePolicySettings(settings)) {
    const line = `${p.variable}: ${p.problem} (got ${p.value})`;
    if (p.kind === 'off' || production) refused.push(line);
    else warnings.push(`${line}; allowed outside NODE_ENV=production, but the loop loses power`);
  }
  return { refused, warnings };
}
