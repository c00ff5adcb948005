/**
 * The acceptance scenarios A1–A17 of the retraining-policy specification
 * (../shared/design/retraining-policy.md, 4.3) and the real-table streams, each as: how to build
 * one seed's stream and settings, what to measure in that seed, and the figures that must hold
 * over all seeds.
 */
import { type PolicyConfig, policyConfigFrom } from '../../packages/core/src/policy/index.ts';
import { accuracyBetween, RETRAIN_TRIGGERS, type StrategySummary } from './measure.ts';
import { type ExternalModel, holdoutErrors, type LoopEvent, type PolicyRun } from './policy-run.ts';
import type { LoopSettings, RunRecord } from './replay.ts';
import { covariate, hyperplane, type LoopStream, sea } from './streams.ts';
import type { Trainer } from './trainer.ts';

export interface SeedSetup {
  stream: LoopStream;
  settings: LoopSettings;
  config: PolicyConfig;
  events: LoopEvent[];
}

export type Extra = Record<string, number | boolean | string | null>;

export interface SeedResult {
  id: string;
  seed: number;
  policy: StrategySummary | null;
  baselines: Record<string, StrategySummary>;
  /** The fixed schedules of `Scenario.search`, by name: accuracy and training runs. */
  searched?: Record<string, { accuracy: number; trainings: number }>;
  extra: Extra;
}

/**
 * A search over fixed schedules, to tell whether the accuracy figure can be met within its
 * run budget at all, each schedule on the newest rows of each of `windows` (null: all rows so
 * far): every schedule that retrains up to `retrains` times at multiples of `step` labelled rows
 * (`positions`), or every `every` rows from each of `starts` (`evenly`). `onRequest`: only with
 * `--search` (too slow for every run).
 */
export type ScheduleSearch = { windows: (number | null)[]; onRequest?: boolean } & (
  | { kind: 'positions'; step: number; retrains: number }
  | { kind: 'evenly'; starts: number[]; every: number }
);

export interface Figure {
  label: string;
  value: string;
  pass: boolean;
}

export interface Scenario {
  id: string;
  title: string;
  seeds: number;
  /** Drifting streams are compared with the baselines (every N for these N, and the oracle). */
  everyN: number[] | null;
  windows: Record<string, [number, number]>;
  search?: ScheduleSearch;
  setup?(seed: number, trainer: Trainer): SeedSetup;
  /** Scenario-specific measurements of one seed. */
  measure?(ctx: {
    seed: number;
    setup: SeedSetup;
    record: RunRecord;
    trainer: Trainer;
    run: PolicyRun;
  }): Promise<Extra> | Extra;
  /** Scenarios that are not a loop run (A13, A17). */
  custom?(seed: number, trainer: Trainer): Promise<Extra>;
  figures(results: SeedResult[]): Figure[];
}

/** The spec's common setup: MIN_TRAIN_ROWS 500, C = WINDOW_SIZE 500, TRAIN_WINDOW 20,000, batches of 25 (5 predicted), 50 rows/s. */
export const PLATFORM = {
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

export function settingsFor(config: PolicyConfig, overrides: Partial<LoopSettings> = {}): LoopSettings {
  return {
    batchSize: 25,
    predictPerBatch: 5,
    rate: 50,
    checkIntervalSeconds: 300,
    latencySeconds: 2,
    labelDelay: null,
    minTrainRows: config.minTrainRows,
    trainWindow: config.trainWindow,
    holdoutFraction: config.holdoutFraction,
    minHoldoutRows: config.minHoldoutRows,
    outOfBag: Boolean(config.outOfBagGate),
    ...overrides,
  };
}

export function setup(
  stream: LoopStream,
  overrides: Partial<LoopSettings> = {},
  events: LoopEvent[] = [],
  settings = {},
): SeedSetup {
  const config = policyConfigFrom({ ...PLATFORM, ...settings });
  return { stream, config, settings: settingsFor(config, overrides), events };
}

// ---- helpers for figures -------------------------------------------------------------------------

export const count = (results: SeedResult[], ok: (r: SeedResult) => boolean) => results.filter(ok).length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[s.length >> 1]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
export const num = (r: SeedResult, key: string) =>
  typeof r.extra[key] === 'number' ? (r.extra[key] as number) : Number.NaN;
const atLeast = (
  label: string,
  results: SeedResult[],
  ok: (r: SeedResult) => boolean,
  need: number,
): Figure => {
  const k = count(results, ok);
  return {
    label,
    value: `${k}/${results.length}`,
    pass: k >= Math.ceil((need * results.length) / 20 - 1e-9),
  };
};
/** "in ≥ k/20" scaled to the seeds run (the --quick mode runs fewer). */
export const inAtLeast = (
  label: string,
  results: SeedResult[],
  ok: (r: SeedResult) => boolean,
  of20: number,
) => atLeast(`${label} in ≥ ${of20}/20`, results, ok, of20);

export function events(record: RunRecord, type: string, trigger?: (t: string) => boolean) {
  return record.events.filter((e) => e.type === type && (!trigger || trigger(e.trigger ?? '')));
}
export const retrainsQueued = (record: RunRecord, from = 0, to = Number.POSITIVE_INFINITY) =>
  events(record, 'queue', (t) => RETRAIN_TRIGGERS.has(t)).filter((e) => e.at >= from && e.at < to).length;

// ---- the scenarios -----------------------------------------------------------------------------

export const stationary = (
  id: string,
  title: string,
  make: (seed: number, trainer: Trainer) => SeedSetup,
  limit: number,
  perSeed: number,
): Scenario => ({
  id,
  title,
  seeds: 20,
  everyN: null,
  windows: {},
  setup: make,
  measure: ({ record }) => ({ retrains: retrainsQueued(record), alarms: events(record, 'alarm').length }),
  figures: (results) => {
    const total = results.reduce((s, r) => s + num(r, 'retrains'), 0);
    const scaled = Math.max(1, Math.round((limit * results.length) / 20));
    const worst = Math.max(...results.map((r) => num(r, 'retrains')));
    return [
      { label: `retrains in total ≤ ${scaled}`, value: String(total), pass: total <= scaled },
      ...(perSeed > 0
        ? [{ label: `no seed > ${perSeed}`, value: `max ${worst}`, pass: worst <= perSeed }]
        : []),
    ];
  },
});

const A4_STREAM = (seed: number) => sea(seed, 12_000, [3, 2], [3000], { x2Shift: 3 });

export const LOOP_SCENARIOS: Scenario[] = [
  stationary(
    'A1',
    'stationary SEA θ 9.5, 5 % noise, 200,000 rows',
    (seed) => setup(sea(seed, 200_000, [3], [])),
    8,
    2,
  ),
  stationary(
    'A2/1',
    'stationary covariate stream, 1 feature, 100,000 rows',
    (seed) => setup(covariate(seed, 100_000, 0, 2, 1)),
    4,
    0,
  ),
  stationary(
    'A2/2',
    'stationary covariate stream, 2 features, 100,000 rows',
    (seed) => setup(covariate(seed, 100_000, 0, 2)),
    4,
    0,
  ),
  stationary(
    'A3',
    'A1 at 0.5 labelled rows/s, CHECK_INTERVAL_SECONDS 300, 50,000 rows',
    (seed) => setup(sea(seed, 50_000, [3], []), { rate: 0.5 }),
    2,
    0,
  ),
  {
    id: 'A4',
    title: 'the demo: SEA θ 9.5 → 7 and x2 + 3 at row 3,000',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '6000-9000': [6000, 9000] },
    setup: (seed) => setup(A4_STREAM(seed)),
    measure: ({ record }) => ({
      delay: delayFrom(record, 3000),
      servingAfter: firstServingAfter(record, 3000),
      retrains: retrainsQueued(record, 3000),
    }),
    figures: (results) => {
      const delays = results.map((r) => num(r, 'delay'));
      return [
        inAtLeast(
          'retrain queued ≤ 1,000 rows after the change',
          results,
          (r) => num(r, 'delay') <= 1000,
          20,
        ),
        { label: 'median delay ≤ 500', value: String(median(delays)), pass: median(delays) <= 500 },
        inAtLeast(
          'new version serving ≤ 2,500 rows after',
          results,
          (r) => num(r, 'servingAfter') <= 2500,
          20,
        ),
        inAtLeast(
          'accuracy rows 6,000–9,000 ≥ 0.90',
          results,
          (r) => (r.policy?.windows['6000-9000'] ?? 0) >= 0.9,
          19,
        ),
        inAtLeast('exactly 1 drift retrain', results, (r) => num(r, 'retrains') === 1, 18),
        {
          label: '≤ 2 drift retrains in all seeds',
          value: `max ${Math.max(...results.map((r) => num(r, 'retrains')))}`,
          pass: results.every((r) => num(r, 'retrains') <= 2),
        },
      ];
    },
  },
  {
    id: 'A5',
    title: 'A4 plus a forced retrain with changeAt = row 2,550 (queued at 2,600)',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '6000-9000': [6000, 9000] },
    setup: (seed) => setup(A4_STREAM(seed), {}, [{ at: 2600, type: 'request_retrain', since: 2550 }]),
    measure: ({ record }) => a5Measure(record),
    figures: (results) => [
      inAtLeast(
        'retrain since ∈ [2,950, 3,150] ≤ 1,500 rows after the interim version is decided',
        results,
        (r) => r.extra.fixed === true,
        20,
      ),
      inAtLeast(
        'accuracy rows 6,000–9,000 ≥ 0.90',
        results,
        (r) => (r.policy?.windows['6000-9000'] ?? 0) >= 0.9,
        19,
      ),
    ],
  },
  {
    id: 'A6',
    title: 'bad from the start: SEA θ 8; a version trained on θ 9.5 promoted by hand at 5,000',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '9000-12000': [9000, 12_000] },
    setup: (seed, trainer) =>
      setup(sea(seed, 12_000, [0], []), {}, [manualPromotion(seed, 5000, 3, trainer)]),
    measure: ({ record }) => {
      const alarm = record.events.find((e) => e.type === 'alarm' && e.at >= 5000);
      const fix = record.events.find(
        (e) =>
          e.at >= 5000 &&
          (e.type === 'rollback' || (e.type === 'queue' && RETRAIN_TRIGGERS.has(e.trigger ?? ''))),
      );
      return { alarmAfter: alarm ? alarm.at - 5000 : null, fixed: fix ? fix.type : null };
    },
    figures: (results) => [
      inAtLeast(
        'level alarm ≤ 2,000 labelled rows after the promotion',
        results,
        (r) => num(r, 'alarmAfter') <= 2000,
        20,
      ),
      inAtLeast('then a rollback or a retrain', results, (r) => r.extra.fixed !== null, 20),
      inAtLeast(
        'accuracy rows 9,000–12,000 ≥ 0.90',
        results,
        (r) => (r.policy?.windows['9000-12000'] ?? 0) >= 0.9,
        19,
      ),
    ],
  },
  {
    id: 'A6c',
    title: 'control for A6: a version trained on θ 8 (as served) promoted by hand at 5,000; 50,000 rows',
    seeds: 20,
    everyN: null,
    windows: {},
    setup: (seed, trainer) =>
      setup(sea(seed, 50_000, [0], []), {}, [manualPromotion(seed, 5000, 0, trainer)]),
    measure: ({ record }) => ({ alarms: events(record, 'alarm').length, retrains: retrainsQueued(record) }),
    figures: (results) => {
      const total = results.reduce((s, r) => s + num(r, 'alarms'), 0);
      return [
        {
          label: `level alarms in total ≤ ${Math.max(1, Math.round(results.length / 20))}`,
          value: String(total),
          pass: total <= Math.max(1, Math.round(results.length / 20)),
        },
      ];
    },
  },
  {
    id: 'A7',
    title: 'gradual: rotating hyperplane (4 features, 2 turning, 0.01/row) over rows 3,000–5,000',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '8000-11000': [8000, 11_000] },
    setup: (seed) => setup(hyperplane(seed, 11_000, 3000, 5000)),
    measure: async ({ setup: s, record, trainer }) => {
      const first = events(record, 'queue', (t) => RETRAIN_TRIGGERS.has(t)).find((e) => e.at >= 3000);
      const reference = await trainer({
        features: s.stream.features.slice(5000, 7000),
        labels: s.stream.labels.slice(5000, 7000),
        nClasses: 2,
      });
      const test = s.stream.features.slice(8000, 11_000);
      const predicted = reference.predict(test);
      let right = 0;
      for (let i = 0; i < test.length; i++) if (predicted[i] === s.stream.labels[8000 + i]) right++;
      return {
        firstRetrain: first?.at ?? null,
        reference: right / test.length,
        accuracy: accuracyBetween(record, 8000, 11_000),
        retrains: retrainsQueued(record, 3000, 11_000),
      };
    },
    figures: (results) => [
      inAtLeast('first retrain queued by row 5,000', results, (r) => num(r, 'firstRetrain') <= 5000, 20),
      inAtLeast(
        'accuracy rows 8,000–11,000 ≥ (2,000-row final-concept model) − 0.03',
        results,
        (r) => num(r, 'accuracy') >= num(r, 'reference') - 0.03,
        20,
      ),
      inAtLeast('≤ 3 retrains in rows 3,000–11,000', results, (r) => num(r, 'retrains') <= 3, 20),
    ],
  },
  {
    id: 'A8',
    title: 'covariate shift: x0, x1 + 3 sd at row 3,000, labelling rule unchanged',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '5000-8000': [5000, 8000], '1000-3000': [1000, 3000] },
    setup: (seed) => setup(covariate(seed, 8000, 3000, 4)),
    measure: ({ record }) => {
      const warning = record.events.find((e) => e.type === 'warning' && e.at >= 3000);
      return { warningAfter: warning ? warning.at - 3000 : null, retrains: retrainsQueued(record, 3000) };
    },
    figures: (results) => [
      inAtLeast(
        'drift.warning ≤ 1,000 rows after the shift',
        results,
        (r) => num(r, 'warningAfter') <= 1000,
        19,
      ),
      inAtLeast('≤ 1 retrain', results, (r) => num(r, 'retrains') <= 1, 20),
      inAtLeast(
        'accuracy rows 5,000–8,000 ≥ pre-shift (1,000–3,000) − 0.03',
        results,
        (r) => (r.policy?.windows['5000-8000'] ?? 0) >= (r.policy?.windows['1000-3000'] ?? 1) - 0.03,
        20,
      ),
    ],
  },
  {
    id: 'A9',
    title: 'irrelevant feature only: SEA θ 9.5 with x2 + 3 at row 3,000, 20,000 rows after',
    seeds: 20,
    everyN: null,
    windows: {},
    setup: (seed) => setup(sea(seed, 23_000, [3, 3], [3000], { x2Shift: 3 })),
    measure: ({ record }) => ({
      retrains: retrainsQueued(record),
      seen:
        record.events.some((e) => e.type === 'warning' && e.at >= 3000) ||
        record.events.some(
          (e) => e.type === 'feature_flagged' && e.at > 3000 && (e.features ?? []).includes(2),
        ),
    }),
    figures: (results) => [
      inAtLeast('0 retrains', results, (r) => num(r, 'retrains') === 0, 18),
      inAtLeast('a drift.warning or a reported x2 drift', results, (r) => r.extra.seen === true, 20),
    ],
  },
  {
    id: 'A10',
    title: 'recurring: SEA θ 9.5 → 7 at 3,000 → 9.5 at 9,000',
    seeds: 20,
    everyN: [1000, 2000, 5000],
    windows: { '10500-13500': [10_500, 13_500] },
    setup: (seed) => setup(sea(seed, 14_000, [3, 2, 3], [3000, 9000])),
    measure: ({ record }) => ({ repromoted: record.events.some((e) => e.type === 'repromote') }),
    figures: (results) => [
      inAtLeast(
        'accuracy rows 10,500–13,500 ≥ 0.90',
        results,
        (r) => (r.policy?.windows['10500-13500'] ?? 0) >= 0.9,
        19,
      ),
      {
        label: 'archived version re-promoted (seeds)',
        value: String(count(results, (r) => r.extra.repromoted === true)),
        pass: true,
      },
    ],
  },
];

/** Rows from `change` to the policy's first reaction to it. */
function delayFrom(record: RunRecord, change: number): number | null {
  const e = record.events.find(
    (e) =>
      e.at >= change &&
      ((e.type === 'queue' && RETRAIN_TRIGGERS.has(e.trigger ?? '')) ||
        e.type === 'retarget' ||
        e.type === 'rollback'),
  );
  return e ? e.at - change : null;
}

function firstServingAfter(record: RunRecord, change: number): number | null {
  const s = record.serving.find((s) => s.at >= change && s.from >= change - 100);
  return s ? s.at - change : null;
}

/**
 * A5: the forced job (from 2,550, before the change at 3,000) must not leave the loop on a model
 * of the old concept: a retrain from the located change (since ∈ [2,950, 3,150]) is queued, or the
 * forced job retargeted there, within 1,500 rows of the forced version's outcome (serving, or
 * refused by the gate, which the spec's run did not have).
 */
function a5Measure(record: RunRecord): Extra {
  const inRange = (x: number | undefined) => x !== undefined && x >= 2950 && x <= 3150;
  const forced = record.trainings.find((t) => t.trigger === 'manual');
  const retarget = record.events.find((e) => e.type === 'retarget' && inRange(e.to));
  if (retarget && (!forced || retarget.at <= forced.at)) return { fixed: true, how: 'retargeted' };
  const decided = record.events.find(
    (e) => (e.type === 'promote' || e.type === 'reject') && e.trigger === 'manual',
  );
  if (!decided) return { fixed: false, how: 'forced job never decided' };
  // The retrain's window as trained: a job queued slightly early and retargeted into range counts.
  const trained = record.trainings.find((t) => RETRAIN_TRIGGERS.has(t.trigger) && inRange(t.from));
  const queued = record.events.find(
    (e) => e.type === 'queue' && RETRAIN_TRIGGERS.has(e.trigger ?? '') && e.at >= 3000,
  );
  const after = trained && queued ? queued.at - decided.at : null;
  return {
    fixed: after !== null && after <= 1500,
    how: `forced version ${decided.type === 'promote' ? 'promoted' : 'rejected'}`,
    after,
  };
}

/**
 * A version trained elsewhere: 5,000 rows of SEA variant `variant` from another seed (4,000 to
 * train, the newest 1,000 held out, as the retrain service would), promoted by hand at `at`.
 */
export function manualPromotion(seed: number, at: number, variant: number, trainer: Trainer): LoopEvent {
  return {
    at,
    type: 'manual_promotion',
    build: async (): Promise<ExternalModel> => {
      const other = sea(seed + 10_000, 5000, [variant], []);
      const model = await trainer({
        features: other.features.slice(0, 4000),
        labels: other.labels.slice(0, 4000),
        nClasses: 2,
      });
      const predicted = model.predict(other.features.slice(4000));
      return {
        model,
        trainRows: 4000,
        holdout: holdoutErrors(other.labels.slice(4000), predicted),
        referenceRows: other.features.slice(0, 4000),
      };
    },
  };
}
