/**
 * What every strategy of the loop benchmark shares: the stream replayed in batches, rows served
 * by the model in force at their serve time (test-then-train), labels arriving with the rows or a
 * fixed number of rows late, training windows by serve position, a training latency in
 * simulated seconds, and a per-seed cache so that identical trainings (the bootstrap every
 * strategy starts from) run once.
 */
import { withoutFeatures } from '../../packages/core/src/policy/feature-transfer.ts';
import type { LoopStream } from './streams.ts';
import type { TrainedModel, Trainer } from './trainer.ts';

export interface LoopSettings {
  /** Rows per batch (the demo's 25). */
  batchSize: number;
  /** The first rows of each batch also sent to predict, as the demo does. */
  predictPerBatch: number;
  /** Rows per second, for the simulated clock (timer checks, waits, training latency). */
  rate: number;
  checkIntervalSeconds: number;
  /** A trained model serves this long after its training started (the platform trains off the request path). */
  latencySeconds: number;
  /** null: labels come with the ingested rows; k: every row is only predicted and its label comes k rows later. */
  labelDelay: number | null;
  minTrainRows: number;
  trainWindow: number;
  holdoutFraction: number;
  minHoldoutRows: number;
  /** Train on the whole window and gate on out-of-bag predictions (PolicyConfig.outOfBagGate). */
  outOfBag: boolean;
}

/** Trains a model on rows [from, to) of the stream, once per seed whatever the strategy. */
export class TrainingCache {
  readonly #models = new Map<string, Promise<{ model: TrainedModel; seconds: number }>>();
  constructor(
    readonly stream: LoopStream,
    readonly trainer: Trainer,
  ) {}

  train(
    from: number,
    to: number,
    relabel?: (label: number) => number,
    dropped: readonly number[] = [],
  ): Promise<{ model: TrainedModel; seconds: number }> {
    const key = `${from}:${to}${relabel ? ':r' : ''}${dropped.length ? `:-${dropped.join(',')}` : ''}`;
    let entry = this.#models.get(key);
    if (!entry) {
      const features = withoutFeatures(this.stream.features.slice(from, to), dropped);
      const labels = this.stream.labels.slice(from, to).map((y) => (relabel ? relabel(y) : y));
      const started = performance.now();
      entry = this.trainer({ features, labels, nClasses: this.stream.nClasses }).then((model) => ({
        model,
        seconds: (performance.now() - started) / 1000,
      }));
      this.#models.set(key, entry);
    }
    return entry;
  }
}

/** A training window [from, to) of serve positions and its hold-out, the newest rows. */
export interface Window {
  from: number;
  to: number;
  holdout: number;
}

/**
 * The newest `trainWindow` labelled rows served in [since, until), with the platform's hold-out
 * (none when the gate uses out-of-bag predictions and `holdout` is not asked for).
 */
export function trainingWindow(
  settings: LoopSettings,
  since: number,
  until: number,
  labelledUpTo: number,
  holdOut = !settings.outOfBag,
): Window {
  const to = Math.min(until, labelledUpTo);
  const from = Math.max(0, since, to - settings.trainWindow);
  const n = Math.max(0, to - from);
  if (!holdOut) return { from, to, holdout: 0 };
  const holdout = Math.min(
    n - 1,
    Math.max(Math.round(n * settings.holdoutFraction), settings.minHoldoutRows),
  );
  return { from, to, holdout: Math.max(0, holdout) };
}

export interface TrainingRecord {
  /** Serve position when training started. */
  at: number;
  trigger: string;
  from: number;
  to: number;
  trainRows: number;
  seconds: number;
  outcome: string;
}

export interface LoopEventRecord {
  at: number;
  type: string;
  trigger?: string;
  since?: number;
  from?: number;
  to?: number;
  features?: number[];
  version?: number;
}

/** What a strategy produced on one stream. */
export interface RunRecord {
  correct: Uint8Array;
  scored: Uint8Array;
  trainings: TrainingRecord[];
  events: LoopEventRecord[];
  /** Serve positions at which each version started serving. */
  serving: { at: number; version: number; from: number }[];
}

/** Serving, scoring and labels of one replay; strategies drive training and promotion. */
export class Replay {
  readonly n: number;
  readonly positions: Int32Array;
  readonly labels: Int32Array;
  readonly servedVersion: Int32Array;
  readonly wrong: Uint8Array;
  readonly previousWrong: Int8Array;
  readonly record: RunRecord;
  labelledUpTo = 0;
  model: TrainedModel | null = null;
  version = -1;
  previousModel: TrainedModel | null = null;
  readonly pending: { readyAt: number; apply: () => void }[] = [];

  constructor(
    readonly stream: LoopStream,
    readonly settings: LoopSettings,
    readonly cache: TrainingCache,
  ) {
    this.n = stream.labels.length;
    this.positions = Int32Array.from({ length: this.n }, (_, i) => i);
    this.labels = Int32Array.from(stream.labels);
    this.servedVersion = new Int32Array(this.n).fill(-1);
    this.wrong = new Uint8Array(this.n);
    this.previousWrong = new Int8Array(this.n).fill(-1);
    this.record = {
      correct: new Uint8Array(this.n),
      scored: new Uint8Array(this.n),
      trainings: [],
      events: [],
      serving: [],
    };
  }

  seconds(position: number): number {
    return position / this.settings.rate;
  }

  /** Applies the trainings whose latency has passed by `seconds`, oldest first. */
  applyReady(seconds: number): void {
    this.pending.sort((a, b) => a.readyAt - b.readyAt);
    while (this.pending.length > 0 && this.pending[0]!.readyAt <= seconds) this.pending.shift()!.apply();
  }

  serve(version: number, model: TrainedModel, at: number, from: number): void {
    this.model = model;
    this.version = version;
    this.record.serving.push({ at, version, from });
  }

  /** Scores rows [from, to) with the serving model (and the previous one, when asked). */
  scoreBatch(from: number, to: number, shadow: TrainedModel | null): void {
    if (!this.model) return;
    const rows = this.stream.features.slice(from, to);
    const predicted = this.model.predict(rows);
    const previous = shadow ? shadow.predict(rows) : null;
    for (let i = from; i < to; i++) {
      const wrong = predicted[i - from] === this.labels[i] ? 0 : 1;
      this.servedVersion[i] = this.version;
      this.wrong[i] = wrong;
      this.record.correct[i] = 1 - wrong;
      this.record.scored[i] = 1;
      if (previous) this.previousWrong[i] = previous[i - from] === this.labels[i] ? 0 : 1;
    }
  }

  /** Rows whose labels have arrived once the stream reached `position`. */
  labelledBy(position: number): number {
    return this.settings.labelDelay === null ? position : Math.max(0, position - this.settings.labelDelay);
  }

  /** Outcomes of rows [from, to) as columns (views, no copies). */
  outcomes(from: number, to: number) {
    return {
      length: Math.max(0, to - from),
      servedAt: this.positions.subarray(from, to),
      version: this.servedVersion.subarray(from, to),
      wrong: this.wrong.subarray(from, to),
      label: this.labels.subarray(from, to),
      previousWrong: this.previousWrong.subarray(from, to),
    };
  }

  async train(
    window: Window,
    at: number,
    trigger: string,
    dropped: readonly number[] = [],
    extraSeconds = 0,
  ) {
    const trainTo = window.to - window.holdout;
    const trained = await this.cache.train(window.from, trainTo, undefined, dropped);
    const { model } = trained;
    const seconds = trained.seconds + extraSeconds;
    const record: TrainingRecord = {
      at,
      trigger,
      from: window.from,
      to: window.to,
      trainRows: trainTo - window.from,
      seconds,
      outcome: 'pending',
    };
    this.record.trainings.push(record);
    return { model, record, readyAt: this.seconds(at) + this.settings.latencySeconds };
  }
}
