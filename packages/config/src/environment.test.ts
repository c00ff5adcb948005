import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './environment.ts';

describe('loadConfig', () => {
  it("uses the original pipeline's defaults", () => {
    const config = loadConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('.data');
    expect(config.server.port).toBe(4000);
    expect(config.server.dashboardPort).toBe(8050);
    expect(config.model).toMatchObject({ nEstimators: 100, maxDepth: 10, maxFeatures: 'sqrt' });
    expect(config.drift).toMatchObject({
      pValue: 0.05,
      psiThreshold: 0.2,
      windowSize: 1000,
      checkIntervalSeconds: 300,
    });
    expect(config.drift.cooldownRows).toBe(1000);
    expect(config.retrain.minTrainRows).toBeLessThanOrEqual(config.retrain.trainWindow);
    expect(config.auth.enabled).toBe(true);
  });

  it('parses numbers, booleans and lists from strings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      PORT: '5000',
      N_ESTIMATORS: '20',
      MAX_FEATURES: '0.5',
      WORKERS: 'false',
      AUTH: 'off',
      DRIFT_P_VALUE: '0.01',
      N_FEATURES: '',
    });
    expect(config.database.url).toBe('postgres://u@127.0.0.1:5432/db');
    expect(config.server.port).toBe(5000);
    expect(config.model.nEstimators).toBe(20);
    expect(config.model.maxFeatures).toBe(0.5);
    expect(config.workers.enabled).toBe(false);
    expect(config.auth.enabled).toBe(false);
    expect(config.drift.pValue).toBe(0.01);
    expect(config.data.nFeatures).toBeUndefined();
  });

  it('lists every problem in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://nope',
        PORT: 'eighty',
        N_ESTIMATORS: '0',
        DRIFT_P_VALUE: '2',
        LOG_LEVEL: 'loud',
        MAX_FEATURES: 'many',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'DATABASE_URL',
        'PORT',
        'N_ESTIMATORS',
        'DRIFT_P_VALUE',
        'LOG_LEVEL',
        'MAX_FEATURES',
      ]),
    );
    expect(problems).toHaveLength(6);
    expect((error as Error).message).toContain('6 problems');
    expect((error as Error).message).toContain('(got "eighty")');
  });

  it("reads WORKER_PORT, the standalone worker's probe port: 4100 by default, 0 turns it off", () => {
    expect(loadConfig({}).workers.port).toBe(4100);
    expect(loadConfig({ WORKER_PORT: '4200' }).workers.port).toBe(4200);
    expect(loadConfig({ WORKER_PORT: '0' }).workers.port).toBe(0);
    expect(loadConfig({ WORKER_PORT: '' }).workers.port).toBe(4100);
    // It does not compete with PORT: only the worker process, which has no PORT listener, opens it.
    expect(loadConfig({ PORT: '4100' }).workers.port).toBe(4100);
    for (const bad of ['70000', '-1', 'probe', '4100.5']) {
      let error: unknown;
      try {
        loadConfig({ WORKER_PORT: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems, bad).toHaveLength(1);
      expect(problems[0], bad).toBe(
        `WORKER_PORT: must be a TCP port, a whole number from 0 to 65535 (got "${bad}")`,
      );
    }
  });

  it('reads SEARCH_NICE, the priority of a search: 10 by default, 0 turns it off', () => {
    expect(loadConfig({}).model.searchNice).toBe(10);
    expect(loadConfig({ SEARCH_NICE: '0' }).model.searchNice).toBe(0);
    expect(loadConfig({ SEARCH_NICE: '19' }).model.searchNice).toBe(19);
    for (const bad of ['20', '-1', 'low', '2.5']) {
      expect(() => loadConfig({ SEARCH_NICE: bad }), bad).toThrow(/SEARCH_NICE: /);
    }
  });

  it('rejects contradictory settings', () => {
    expect(() => loadConfig({ MIN_TRAIN_ROWS: '5000', TRAIN_WINDOW: '1000' })).toThrow(
      /MIN_TRAIN_ROWS \(5000\) must not exceed TRAIN_WINDOW/,
    );
    expect(() => loadConfig({ PORT: '8050' })).toThrow(/PORT and DASHBOARD_PORT must differ/);
  });

  it('never echoes the value of a secret setting in a problem (L4)', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://user:hunter2@db/app',
        ADMIN_API_KEY: 'short-secret-value',
        PORT: 'x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL \(value not shown\)/,
    );
    expect(message).toMatch(/ADMIN_API_KEY: .*\(value not shown\)/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('short-secret-value');
    expect(message).toContain('(got "x")');
  });

  it('refuses an ADMIN_API_KEY that is malformed, a placeholder or of low variety (M11)', () => {
    const random = 'ams_k3y9a2b1_Q7x-Lm2pZr8Tn4Vb6Yc1Wd3Fg5Hj0Ks9';
    expect(loadConfig({ ADMIN_API_KEY: random }).auth.adminApiKey).toBe(random);
    for (const bad of [
      // The example Secret's placeholder, made well-formed by one more character.
      'ams_changeme_CHANGE_ME_32_CHARACTERS_xxxxxxxx',
      'ams_abcdefgh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      'ams_abcdefgh_abababababababababababababababab',
      'ams_ABCDEFGH_Q7x-Lm2pZr8Tn4Vb6Yc1Wd3Fg5Hj0Ks9',
      `${random}x`,
    ]) {
      expect(() => loadConfig({ ADMIN_API_KEY: bad }), bad).toThrow(/ADMIN_API_KEY: /);
      try {
        loadConfig({ ADMIN_API_KEY: bad });
      } catch (e) {
        expect((e as Error).message).not.toContain(bad);
      }
    }
  });

  it('reads the hardening settings with safe defaults', () => {
    const c = loadConfig({});
    expect(c.data).toMatchObject({
      maxClasses: 32,
      maxNewClasses: 1,
      maxFeaturesPerRow: 1000,
      maxFeatureMagnitude: 1e150,
    });
    expect(c.model.maxModelBytes).toBe(256 * 1024 * 1024);
    expect(c.database).toMatchObject({ apiStatementTimeoutMs: 5000, jobStatementTimeoutMs: 600_000 });
    expect(c.drift).toMatchObject({ manualMinIntervalSeconds: 10, manualWaitSeconds: 30 });
    expect(c.retrain).toMatchObject({ minIntervalSeconds: 1, maxPromotionsPerHour: 60 });
    expect(c.limits.maxListItems).toBe(10_000);
    expect(() =>
      loadConfig({ DRIFT_CHECK_MIN_INTERVAL_SECONDS: '60', DRIFT_CHECK_WAIT_SECONDS: '30' }),
    ).toThrow(/DRIFT_CHECK_WAIT_SECONDS \(30\) must exceed DRIFT_CHECK_MIN_INTERVAL_SECONDS \(60\)/);
  });

  it('reads the transport-security settings: safe defaults, origins as a list', () => {
    expect(loadConfig({}).security).toEqual({
      metricsToken: undefined,
      trustProxy: 0,
      corsOrigins: [],
      authOffAllowRemote: false,
      readerBodyLimitBytes: 256 * 1024,
      maxDocumentBytes: 64 * 1024,
      maxSelections: 200,
      authFailuresPerMinute: 30,
      maxStreamsPerKey: 20,
      maxConnections: 10_000,
    });
    const set = loadConfig({
      CORS_ORIGINS: ' https://dash.example.com/ ,http://localhost:8050',
      TRUST_PROXY: '1',
    }).security;
    expect(set.corsOrigins).toEqual(['https://dash.example.com', 'http://localhost:8050']);
    expect(set.trustProxy).toBe(1);
    for (const bad of ['*', 'dash.example.com', 'https://dash.example.com/app']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(
        /CORS_ORIGINS: must be a comma-separated list of origins/,
      );
    }
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
