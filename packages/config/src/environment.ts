import { z } from 'zod';
import { policySettingProblems } from './policy-settings.ts';

/**
 * The one model of the environment. Every setting the platform reads is declared here, grouped by
 * concern, parsed once at start-up. All problems are collected and reported together.
 * Names are a contract: tests, docker-compose.yml and k8s/ use them.
 */

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const int = (defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(defaultValue));
const optionalInt = (min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).optional());
const num = (defaultValue: number, min: number, max: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().min(min).max(max).default(defaultValue));
const bool = (defaultValue: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
      .default(defaultValue ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'on' || v === 'yes'),
  );
const PORT_PROBLEM = 'must be a TCP port, a whole number from 0 to 65535';
const port = (defaultValue: number) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: PORT_PROBLEM })
      .int({ error: PORT_PROBLEM })
      .min(0, { error: PORT_PROBLEM })
      .max(65535, { error: PORT_PROBLEM })
      .default(defaultValue),
  );

export const environmentSchema = z.object({
  // Pipelines (issue #15)
  AUTO_CREATE_PIPELINES: bool(true),
  MODEL_CACHE_MB: int(1024, 1, 1_048_576),
  // Database
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.data')),
  DATABASE_POOL_SIZE: int(10, 1, 200),

  // Processes and ports
  NODE_ENV: z.preprocess(
    emptyToUndefined,
    z.enum(['development', 'production', 'test']).default('development'),
  ),
  // This machine only unless asked: containers set HOST=0.0.0.0 (deploy/Dockerfile, compose, k8s).
  HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  PORT: port(4000),
  DASHBOARD_PORT: port(8050),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  WORKERS: bool(true),
  WORKER_PORT: port(4100),

  // Model (the original pipeline's defaults)
  N_ESTIMATORS: int(100, 1, 5000),
  MAX_DEPTH: int(10, 1, 64),
  MIN_SAMPLES_LEAF: int(1, 1, 100000),
  MAX_FEATURES: z.preprocess(emptyToUndefined, z.string().default('sqrt')),
  TRAIN_THREADS: optionalInt(1, 64),
  SEARCH_NICE: int(10, 0, 19),
  RANDOM_SEED: int(42, 0, 2 ** 31 - 1),

  // Data
  N_FEATURES: optionalInt(1, 10000),
  MAX_BATCH_ROWS: int(10000, 1, 1_000_000),
  PREDICTION_SYNC_COMMIT: bool(false),

  // Drift detection (the original pipeline's defaults: threshold 0.05, window 1000, every 300 s)
  DRIFT_P_VALUE: num(0.05, 1e-12, 0.5),
  PSI_THRESHOLD: num(0.2, 0, 100),
  DRIFT_SHARE: num(0.5, 0, 1),
  WINDOW_SIZE: int(1000, 10, 1_000_000),
  CHECK_INTERVAL_SECONDS: int(300, 1, 86400),
  DRIFT_COOLDOWN_ROWS: optionalInt(0),
  REFERENCE_SAMPLE_SIZE: int(5000, 100, 1_000_000),
  DRIFT_MIN_REFERENCE_ROWS: int(1000, 100, 1_000_000),

  // Retraining
  TRAIN_WINDOW: int(20000, 10, 10_000_000),
  MIN_TRAIN_ROWS: int(500, 10, 10_000_000),
  HOLDOUT_FRACTION: num(0.2, 0.01, 0.9),
  // The rows a challenger is judged on: out of bag (it learns the whole window) or the newest held out.
  PROMOTION_GATE: z.preprocess(emptyToUndefined, z.enum(['out-of-bag', 'holdout']).default('out-of-bag')),
  PROMOTION_TOLERANCE: num(0.01, 0, 1),
  // A drift retrain leaves out the features whose moved level misled a model of the rows before the change.
  FEATURE_TRANSFER: bool(true),
  // A version promises its forward error when its window's rows are serially dependent.
  FORWARD_PROMISE: bool(true),
  // The level test weighs errors that come in bursts as the independent outcomes they are worth.
  BURST_AWARE: bool(true),
  RETRAIN_EXPIRE_SECONDS: int(900, 5, 86400),
  RETRAIN_RETRY_LIMIT: int(3, 0, 100),
  QUEUE_MAINTENANCE_SECONDS: int(30, 1, 3600),
  RETRAIN_WAIT_SECONDS: int(300, 0, 86400),

  // Retention: days of rows and predictions kept (whole UTC days dropped after); 0 = forever.
  RETAIN_DAYS: int(30, 0, 36_500),

  // Access and limits
  AUTH: z.preprocess(emptyToUndefined, z.enum(['on', 'off']).default('on')),
  ADMIN_API_KEY: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
  RATE_LIMIT_PER_MINUTE: int(6000, 0, 10_000_000),
  BODY_LIMIT_BYTES: int(16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  GRAPHQL_MAX_DEPTH: int(12, 1, 100),
  GRAPHQL_MAX_ALIASES: int(30, 1, 1000),
  GRAPHQL_MAX_TOKENS: int(20000, 100, 10_000_000),
  GRAPHQL_MAX_COST: int(20000, 100, 10_000_000),
  GRAPHQL_MAX_DIRECTIVES: int(50, 1, 1000),
  WS_MAX_SUBSCRIPTIONS: int(50, 1, 10000),
  WS_CONNECTION_INIT_TIMEOUT_MS: int(5000, 100, 600000),
  SHUTDOWN_TIMEOUT_MS: int(15000, 1000, 600000),
  STATS_INTERVAL_MS: int(1000, 100, 600000),
  GRAPHQL_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),

  // ---- Hardening of data, models and the database (security audit, issue #19: core) ----
  // Classes a model may have; labels are class indices 0..MAX_CLASSES-1 (H5).
  MAX_CLASSES: int(32, 2, 1000),
  // New classes a writer may introduce beyond the serving model's; admin keys up to MAX_CLASSES (H5).
  MAX_NEW_CLASSES: int(1, 0, 1000),
  // Codes of a categorical column a model splits on; rarer values share one "other" code.
  MAX_CATEGORIES: int(64, 2, 255),
  // A model whose loaded size would exceed this is refused, never registered or loaded (H5).
  MAX_MODEL_BYTES: int(256 * 1024 * 1024, 1024 * 1024, 64 * 1024 * 1024 * 1024),
  // Widest row the first batch may fix when N_FEATURES is unset (M10).
  MAX_FEATURES_PER_ROW: int(1000, 1, 100_000),
  // Largest |feature value| accepted: beyond it drift statistics overflow (L2).
  MAX_FEATURE_MAGNITUDE: num(1e150, 1, Number.MAX_VALUE),
  // Postgres statement_timeout of the API's pools and of the job pool (0 = none) (M4).
  API_STATEMENT_TIMEOUT_MS: int(5000, 0, 3_600_000),
  JOB_STATEMENT_TIMEOUT_MS: int(600_000, 0, 86_400_000),
  // Most list items (each list's limit times its children) one GraphQL request may ask for (M4).
  GRAPHQL_MAX_LIST_ITEMS: int(10_000, 10, 10_000_000),
  // Manual drift checks: at most one per interval, platform-wide; checkDrift waits this long (M5).
  DRIFT_CHECK_MIN_INTERVAL_SECONDS: int(10, 0, 86400),
  DRIFT_CHECK_WAIT_SECONDS: int(30, 1, 600),
  // Drift-triggered retrains at most this often; automatic promotions per hour (M15).
  RETRAIN_MIN_INTERVAL_SECONDS: int(1, 0, 7 * 86400),
  // Growth retrains (#16): labelled rows available beyond the newest version's (0 = no growth retrains).
  GROWTH_RETRAIN_ROWS: int(5000, 0, 100_000_000),
  // AutoML (#16): seconds a training run may search windows × hyperparameters (0: the fixed forest).
  AUTOML_BUDGET_SECONDS: num(8, 0, 3600),
  MAX_PROMOTIONS_PER_HOUR: int(60, 0, 10_000),
  // Role the `migrate` command grants data access (DML only) to (M14).
  DATABASE_APP_ROLE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lowercase Postgres role name')
      .optional(),
  ),
  // ---- end of the hardening block ----
  // Transport security (security issue #19): who may reach the server, and what it reads before
  // it knows who is calling.
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
  TRUST_PROXY: int(0, 0, 10),
  CORS_ORIGINS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(
        /^\s*https?:\/\/[^/\s,]+\/?\s*(,\s*https?:\/\/[^/\s,]+\/?\s*)*$/,
        'must be a comma-separated list of origins like https://dashboard.example.com (scheme, host and port; no path)',
      )
      .optional(),
  ),
  AUTH_OFF_ALLOW_REMOTE: bool(false),
  READER_BODY_LIMIT_BYTES: int(256 * 1024, 1024, 1024 * 1024 * 1024),
  GRAPHQL_MAX_DOCUMENT_BYTES: int(64 * 1024, 1024, 16 * 1024 * 1024),
  GRAPHQL_MAX_SELECTIONS: int(200, 10, 100_000),
  AUTH_FAILURES_PER_MINUTE: int(30, 0, 1_000_000),
  MAX_STREAMS_PER_KEY: int(20, 1, 100_000),
  MAX_CONNECTIONS: int(10_000, 1, 1_000_000),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Settings whose values are secrets: a problem with one never echoes its value (L4). */
const SECRET_SETTING = /(URL|KEY|PASSWORD|SECRET|TOKEN)$/;

const API_KEY_FORMAT = /^ams_[a-z0-9]{8}_([A-Za-z0-9_-]{32})$/;
/** Fewest distinct characters in the 32-character secret: a random one has about 25. */
const MIN_DISTINCT_KEY_CHARACTERS = 12;
const PLACEHOLDER = /change.?me|example|placeholder|secret|password|x{6,}|0{6,}/i;

/**
 * Why a value cannot be ADMIN_API_KEY, or null (M11): the platform's key format, and a secret
 * part that is not a placeholder nor of low variety (the example Secret's value plus one
 * character would otherwise be a public admin key).
 */
export function adminKeyProblem(key: string): string | null {
  const match = API_KEY_FORMAT.exec(key);
  if (!match) {
    return 'must look like ams_<8 lowercase letters or digits>_<32 characters of A-Z a-z 0-9 _ -> (see docs/deployment.md, API keys, to generate one)';
  }
  const secret = match[1]!;
  if (PLACEHOLDER.test(key) || new Set(secret).size < MIN_DISTINCT_KEY_CHARACTERS) {
    return 'looks like a placeholder, not a random key: generate one (see docs/deployment.md, API keys)';
  }
  return null;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Configuration grouped by concern, as the rest of the platform sees it. */
export interface Config {
  env: Environment['NODE_ENV'];
  /** Settings allowed here that weaken the retraining policy (P8; refused in production), one line each. */
  warnings?: string[];
  logLevel: Environment['LOG_LEVEL'];
  database: {
    url: string | undefined;
    dataDir: string;
    poolSize: number;
    /** statement_timeout of the pools that serve the API (ms, 0 = none). */
    apiStatementTimeoutMs: number;
    /** statement_timeout of the pool drift checks and retrains use (ms, 0 = none). */
    jobStatementTimeoutMs: number;
    /** The role `migrate` grants data access to (DML on the platform's tables), when set. */
    appRole: string | undefined;
  };
  server: {
    host: string;
    port: number;
    dashboardPort: number;
    publicUrl: string | undefined;
    graphqlUrl: string | undefined;
  };
  workers: {
    enabled: boolean;
    /**
     * The standalone worker process's HTTP probe (`/health`, `/ready`, `/metrics`) on `server.host`;
     * 0 turns it off. Workers inside a server process (`WORKERS=true`) never open it.
     */
    port: number;
  };
  model: {
    nEstimators: number;
    maxDepth: number;
    minSamplesLeaf: number;
    maxFeatures: 'sqrt' | 'log2' | number;
    threads: number | undefined;
    /**
     * Nice value of a search's training threads (Linux, per thread): the process's serving,
     * ingest and drift checks come first while a search holds the cores. 0: normal priority.
     */
    searchNice: number;
    seed: number;
    /** Largest loaded size of a model (estimated from its node and leaf counts); larger is refused. */
    maxModelBytes: number;
  };
  data: {
    nFeatures: number | undefined;
    maxBatchRows: number;
    /**
     * Wait for the WAL flush of each prediction insert. Off: predictions are committed (visible to
     * drift checks) before the answer, but a crash of Postgres itself may lose the last fraction of
     * a second of them; ingested batches are always flushed.
     */
    predictionSyncCommit: boolean;
    /** Labels are class indices 0..maxClasses-1. */
    maxClasses: number;
    /** A model keeps the most frequent maxCategories-1 values of a categorical column; the rest share "other". */
    maxCategories: number;
    /** Classes beyond the serving model's that a non-admin key may introduce. */
    maxNewClasses: number;
    /** Widest row a first batch may fix when nFeatures is unset. */
    maxFeaturesPerRow: number;
    /** Largest |feature value| accepted. */
    maxFeatureMagnitude: number;
    /**
     * Days of rows and predictions kept: the maintenance job drops each day's partition once all of
     * it is older than this (0 = keep forever). Model versions, drift checks, training jobs stay.
     */
    retainDays: number;
  };
  drift: {
    pValue: number;
    psiThreshold: number;
    driftShare: number;
    windowSize: number;
    checkIntervalSeconds: number;
    cooldownRows: number;
    referenceSampleSize: number;
    /** Fewest reference rows for a data-drift verdict; below it a data drift is advisory (reported, not acted on). */
    minReferenceRows: number;
    /** Manual checks (checkDrift) start at most once per this many seconds, platform-wide. */
    manualMinIntervalSeconds: number;
    /** How long checkDrift waits for the check it asked for. */
    manualWaitSeconds: number;
    /** BURST_AWARE: the level test divides its steps by the lineage's error clumping (docs/policy.md). */
    burstAware: boolean;
  };
  retrain: {
    trainWindow: number;
    minTrainRows: number;
    holdoutFraction: number;
    /**
     * The rows a challenger is judged on: `out-of-bag`, the window's rows the champion never
     * trained on, predicted by the challenger's trees that left each out (it learns the whole
     * window); `holdout`, the newest HOLDOUT_FRACTION, never learned (also the fallback when too
     * few rows follow the champion's window).
     */
    gate: 'out-of-bag' | 'holdout';
    promotionTolerance: number;
    expireSeconds: number;
    retryLimit: number;
    /** How often pg-boss expires stuck jobs (those of a crashed worker) and retries them. */
    queueMaintenanceSeconds: number;
    /** After a detected change, how long a retrain waits for MIN_TRAIN_ROWS labelled rows of the new concept. */
    waitSeconds: number;
    /** Fewest seconds between two drift-triggered retrains. */
    minIntervalSeconds: number;
    /** Automatic promotions allowed per rolling hour (0: every challenger waits for an admin). */
    maxPromotionsPerHour: number;
    /**
     * A growth retrain is queued when the labelled rows available (up to TRAIN_WINDOW) exceed the
     * newest version's by this many, or by a tenth once no label arrived for CHECK_INTERVAL_SECONDS
     * (0: never).
     */
    growthRows: number;
    /**
     * Seconds a training run may spend searching training windows × forest hyperparameters by
     * successive halving, refit included (0: the fixed forest of N_ESTIMATORS, MAX_DEPTH, ...).
     */
    /** FEATURE_TRANSFER: a drift retrain may leave out features whose level moved (docs/policy.md). */
    featureTransfer: boolean;
    /** FORWARD_PROMISE: a version promises its forward error when out of bag flatters it (docs/policy.md). */
    forwardPromise: boolean;
    automlBudgetSeconds: number;
  };
  auth: { enabled: boolean; adminApiKey: string | undefined };
  pipelines: {
    /** `ingest` into an unknown pipeline creates it (off for production: AUTO_CREATE_PIPELINES=false). */
    autoCreate: boolean;
    /** Memory budget of the loaded forests of all pipelines (least recently used evicted first). */
    modelCacheBytes: number;
  };
  limits: {
    rateLimitPerMinute: number;
    bodyLimitBytes: number;
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    maxDirectives: number;
    wsMaxSubscriptions: number;
    wsConnectionInitTimeoutMs: number;
    /** Most list items one GraphQL request may ask for (limits multiplied along the path). */
    maxListItems: number;
    /** SIGTERM: how long in-flight requests and jobs may take before they are cut (a retrain is released 2 s earlier). */
    shutdownTimeoutMs: number;
  };
  statsIntervalMs: number;
  /** Transport security (security issue #19). */
  security: {
    /** Bearer token `/metrics` requires; unset: `/metrics` is refused unless AUTH=off. */
    metricsToken: string | undefined;
    /** Proxies in front that append to X-Forwarded-For (0: the socket's address is the client's). */
    trustProxy: number;
    /** Browser origins allowed to call the API cross-origin (CORS and the WebSocket Origin check). */
    corsOrigins: string[];
    /** AUTH=off normally refuses to listen on anything but loopback. */
    authOffAllowRemote: boolean;
    /** Body limit for reader keys (writers and admins get BODY_LIMIT_BYTES for ingest/predict). */
    readerBodyLimitBytes: number;
    /** Largest GraphQL document (query text), for every role. */
    maxDocumentBytes: number;
    /** Most fields and fragments in one selection set. */
    maxSelections: number;
    /** Failed authentications per client address and minute before it is refused (0 = off). */
    authFailuresPerMinute: number;
    /** Open WebSocket connections plus SSE streams per API key (per address with AUTH=off). */
    maxStreamsPerKey: number;
    /** Open TCP connections per server process. */
    maxConnections: number;
  };
}

export function parseMaxFeatures(raw: string, problems: string[]): 'sqrt' | 'log2' | number {
  if (raw === 'sqrt' || raw === 'log2') return raw;
  const n = Number(raw);
  if (Number.isFinite(n) && n > 0) return n;
  problems.push(
    `MAX_FEATURES: must be "sqrt", "log2", a whole number of features or a fraction in (0, 1] (got "${raw}")`,
  );
  return 'sqrt';
}

/**
 * Parses the environment. Throws a ConfigError listing every problem at once.
 * @param env defaults to process.env: the only place in the platform that reads it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const value = env[name];
      const shown =
        value === undefined ? '' : SECRET_SETTING.test(name) ? ' (value not shown)' : ` (got "${value}")`;
      problems.push(`${name}: ${issue.message}${shown}`);
    }
  }
  const e = parsed.success ? parsed.data : undefined;
  // Checked from the raw value too, so a bad MAX_FEATURES is reported alongside schema problems.
  const maxFeatures = parseMaxFeatures(e?.MAX_FEATURES ?? env.MAX_FEATURES ?? 'sqrt', problems);
  if (e && e.MIN_TRAIN_ROWS > e.TRAIN_WINDOW) {
    problems.push(`MIN_TRAIN_ROWS (${e.MIN_TRAIN_ROWS}) must not exceed TRAIN_WINDOW (${e.TRAIN_WINDOW})`);
  }
  if (e && e.PORT !== 0 && e.PORT === e.DASHBOARD_PORT) {
    problems.push(`PORT and DASHBOARD_PORT must differ (both ${e.PORT})`);
  }
  if (e && e.DRIFT_CHECK_WAIT_SECONDS <= e.DRIFT_CHECK_MIN_INTERVAL_SECONDS) {
    problems.push(
      `DRIFT_CHECK_WAIT_SECONDS (${e.DRIFT_CHECK_WAIT_SECONDS}) must exceed DRIFT_CHECK_MIN_INTERVAL_SECONDS (${e.DRIFT_CHECK_MIN_INTERVAL_SECONDS}), or checkDrift would give up before its check may start`,
    );
  }
  const rawKey = emptyToUndefined(env.ADMIN_API_KEY);
  const adminKey = e ? e.ADMIN_API_KEY : typeof rawKey === 'string' ? rawKey : undefined;
  const keyProblem = adminKey === undefined ? null : adminKeyProblem(adminKey);
  if (keyProblem && !problems.some((p) => p.startsWith('ADMIN_API_KEY:')))
    problems.push(`ADMIN_API_KEY: ${keyProblem} (value not shown)`);
  const policy = e ? policyProblems(e) : { refused: [], warnings: [] };
  problems.push(...policy.refused);
  if (problems.length > 0 || !e) throw new ConfigError(problems);
  return {
    env: e.NODE_ENV,
    warnings: policy.warnings,
    logLevel: e.LOG_LEVEL,
    database: {
      url: e.DATABASE_URL,
      dataDir: e.DATA_DIR,
      poolSize: e.DATABASE_POOL_SIZE,
      apiStatementTimeoutMs: e.API_STATEMENT_TIMEOUT_MS,
      jobStatementTimeoutMs: e.JOB_STATEMENT_TIMEOUT_MS,
      appRole: e.DATABASE_APP_ROLE,
    },
    server: {
      host: e.HOST,
      port: e.PORT,
      dashboardPort: e.DASHBOARD_PORT,
      publicUrl: e.PUBLIC_URL,
      graphqlUrl: e.GRAPHQL_URL,
    },
    workers: { enabled: e.WORKERS, port: e.WORKER_PORT },
    model: {
      nEstimators: e.N_ESTIMATORS,
      maxDepth: e.MAX_DEPTH,
      minSamplesLeaf: e.MIN_SAMPLES_LEAF,
      maxFeatures,
      threads: e.TRAIN_THREADS,
      searchNice: e.SEARCH_NICE,
      seed: e.RANDOM_SEED,
      maxModelBytes: e.MAX_MODEL_BYTES,
    },
    data: {
      nFeatures: e.N_FEATURES,
      maxBatchRows: e.MAX_BATCH_ROWS,
      predictionSyncCommit: e.PREDICTION_SYNC_COMMIT,
      maxClasses: e.MAX_CLASSES,
      maxCategories: e.MAX_CATEGORIES,
      maxNewClasses: e.MAX_NEW_CLASSES,
      maxFeaturesPerRow: e.MAX_FEATURES_PER_ROW,
      maxFeatureMagnitude: e.MAX_FEATURE_MAGNITUDE,
      retainDays: e.RETAIN_DAYS,
    },
    drift: {
      pValue: e.DRIFT_P_VALUE,
      psiThreshold: e.PSI_THRESHOLD,
      driftShare: e.DRIFT_SHARE,
      windowSize: e.WINDOW_SIZE,
      checkIntervalSeconds: e.CHECK_INTERVAL_SECONDS,
      // One shift should trigger one retrain: after a retrain is queued, wait at least a full
      // window of new rows before another drift may trigger one.
      cooldownRows: e.DRIFT_COOLDOWN_ROWS ?? e.WINDOW_SIZE,
      referenceSampleSize: e.REFERENCE_SAMPLE_SIZE,
      minReferenceRows: e.DRIFT_MIN_REFERENCE_ROWS,
      manualMinIntervalSeconds: e.DRIFT_CHECK_MIN_INTERVAL_SECONDS,
      manualWaitSeconds: e.DRIFT_CHECK_WAIT_SECONDS,
      burstAware: e.BURST_AWARE,
    },
    retrain: {
      trainWindow: e.TRAIN_WINDOW,
      minTrainRows: e.MIN_TRAIN_ROWS,
      holdoutFraction: e.HOLDOUT_FRACTION,
      gate: e.PROMOTION_GATE,
      promotionTolerance: e.PROMOTION_TOLERANCE,
      expireSeconds: e.RETRAIN_EXPIRE_SECONDS,
      retryLimit: e.RETRAIN_RETRY_LIMIT,
      queueMaintenanceSeconds: e.QUEUE_MAINTENANCE_SECONDS,
      waitSeconds: e.RETRAIN_WAIT_SECONDS,
      minIntervalSeconds: e.RETRAIN_MIN_INTERVAL_SECONDS,
      maxPromotionsPerHour: e.MAX_PROMOTIONS_PER_HOUR,
      growthRows: e.GROWTH_RETRAIN_ROWS,
      automlBudgetSeconds: e.AUTOML_BUDGET_SECONDS,
      featureTransfer: e.FEATURE_TRANSFER,
      forwardPromise: e.FORWARD_PROMISE,
    },
    auth: { enabled: e.AUTH === 'on', adminApiKey: e.ADMIN_API_KEY },
    pipelines: { autoCreate: e.AUTO_CREATE_PIPELINES, modelCacheBytes: e.MODEL_CACHE_MB * 1024 * 1024 },
    limits: {
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxCost: e.GRAPHQL_MAX_COST,
      maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
      wsMaxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
      wsConnectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxListItems: e.GRAPHQL_MAX_LIST_ITEMS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    statsIntervalMs: e.STATS_INTERVAL_MS,
    security: {
      metricsToken: e.METRICS_TOKEN,
      trustProxy: e.TRUST_PROXY,
      corsOrigins: (e.CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim().replace(/\/$/, ''))
        .filter(Boolean),
      authOffAllowRemote: e.AUTH_OFF_ALLOW_REMOTE,
      readerBodyLimitBytes: e.READER_BODY_LIMIT_BYTES,
      maxDocumentBytes: e.GRAPHQL_MAX_DOCUMENT_BYTES,
      maxSelections: e.GRAPHQL_MAX_SELECTIONS,
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      maxStreamsPerKey: e.MAX_STREAMS_PER_KEY,
      maxConnections: e.MAX_CONNECTIONS,
    },
  };
}

/** P8 on the environment's settings (see policy-settings.ts). */
function policyProblems(e: Environment) {
  return policySettingProblems(
    {
      WINDOW_SIZE: e.WINDOW_SIZE,
      MIN_TRAIN_ROWS: e.MIN_TRAIN_ROWS,
      // TRAIN_WINDOW ≥ MIN_TRAIN_ROWS is checked above with its own message.
      RETRAIN_WAIT_SECONDS: e.RETRAIN_WAIT_SECONDS,
      RETRAIN_EXPIRE_SECONDS: e.RETRAIN_EXPIRE_SECONDS,
      DRIFT_SHARE: e.DRIFT_SHARE,
      PSI_THRESHOLD: e.PSI_THRESHOLD,
    },
    e.NODE_ENV === 'production',
  );
}

/** For process entry points: parse, or print every problem and exit 1; print the warnings. */
export function readConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    const config = loadConfig(env);
    for (const warning of config.warnings ?? []) process.stderr.write(`config warning: ${warning}\n`);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
