/**
 * The platform's loop in memory, driven by the pure policy (packages/core/src/policy): ingest in
 * batches, test-then-train scoring, chunked data-drift tests, decide() after every batch, training
 * with the real learner, the promotion gate, rollbacks and growth. The storage, queues and GraphQL
 * are replaced by arrays; the decisions are the ones the platform will take.
 */

import { featuresToLeaveOut, MIN_TRANSFER_ROWS } from '../../packages/core/src/features-left-out.ts';
import { forwardEvidence } from '../../packages/core/src/forward-promise.ts';
import { type ForwardEvidence, forwardHoldout } from '../../packages/core/src/policy/forward-promise.ts';
import {
  applyManualPromotion,
  applyRepromotion,
  applyTrainingResult,
  type ChunkEvidence,
  decide,
  initialPolicyState,
  type Job,
  type PolicyAction,
  type PolicyConfig,
  type PolicyState,
  promisedError,
  promotionGate,
  repromoteWithoutTraining,
  requestRetrain,
  shouldGrowReference,
  type VersionInfo,
} from '../../packages/core/src/policy/index.ts';
import {
  type ChunkReference,
  chunkIsDue,
  minLookRows,
  prepareChunkReference,
  testChunk,
} from '../../packages/drift/src/index.ts';
import {
  type LoopSettings,
  Replay,
  type RunRecord,
  type TrainingCache,
  trainingWindow,
  type Window,
} from './replay.ts';
import type { LoopStream } from './streams.ts';
import type { TrainedModel } from './trainer.ts';

/** A model trained elsewhere and promoted by hand (scenario A6). */
export interface ExternalModel {
  model: TrainedModel;
  trainRows: number;
  holdout: VersionInfo['holdout'];
  referenceRows: number[][];
}

export type LoopEvent =
  | { at: number; type: 'request_retrain'; since: number }
  | { at: number; type: 'manual_promotion'; build: () => Promise<ExternalModel> };

interface Served {
  model: TrainedModel;
  /** Serve position after its last training row (-1: trained on rows of no position here). */
  trainEnd: number;
  importances: number[] | null;
  referenceRows: (readonly number[])[];
  reference: ChunkReference;
}

/** Per-class hold-out errors, for the minority level tests. */
export function holdoutErrors(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
): VersionInfo['holdout'] {
  const classes = new Map<number, { n: number; errors: number }>();
  let errors = 0;
  for (let i = 0; i < labels.length; i++) {
    const c = classes.get(labels[i]!) ?? { n: 0, errors: 0 };
    c.n++;
    if (predicted[i] !== labels[i]) {
      c.errors++;
      errors++;
    }
    classes.set(labels[i]!, c);
  }
  return {
    n: labels.length,
    errors,
    classes: [...classes.entries()].sort((a, b) => a[0] - b[0]).map(([label, c]) => ({ label, ...c })),
  };
}

export class PolicyRun {
  readonly replay: Replay;
  state: PolicyState;
  readonly models = new Map<number, Served>();
  #nextVersion = 1;
  readonly #dropped = new Map<number, number[]>();
  #openChunk: number[] = [];
  #position = 0;

  constructor(
    readonly stream: LoopStream,
    readonly settings: LoopSettings,
    readonly config: PolicyConfig,
    cache: TrainingCache,
  ) {
    this.replay = new Replay(stream, settings, cache);
    this.state = initialPolicyState(config);
  }

  get record(): RunRecord {
    return this.replay.record;
  }

  #lineage() {
    const to = this.replay.labelledUpTo;
    return this.replay.outcomes(Math.max(0, to - this.config.lineageWindow), to);
  }

  #now() {
    return { position: this.#position, seconds: this.replay.seconds(this.#position) };
  }

  #served(): Served | null {
    return this.state.serving ? this.models.get(this.state.serving.version)! : null;
  }

  #register(
    version: number,
    model: TrainedModel,
    importances: number[] | null,
    rows: (readonly number[])[],
    trainEnd: number,
  ): void {
    const referenceRows = rows.slice(-this.config.maxReferenceRows);
    this.models.set(version, {
      model,
      trainEnd,
      importances,
      referenceRows,
      reference: prepareChunkReference(referenceRows),
    });
  }

  #switchServing(before: number | null): void {
    const after = this.state.serving?.version ?? null;
    if (after === null || after === before) return;
    this.replay.serve(
      after,
      this.models.get(after)!.model,
      this.#position,
      this.state.versions[after]!.since,
    );
    this.state = { ...this.state, data: { ...this.state.data, recent: [], flaggedFrom: null } };
  }

  async run(events: readonly LoopEvent[]): Promise<RunRecord> {
    const { batchSize, checkIntervalSeconds } = this.settings;
    const queue = [...events].sort((a, b) => a.at - b.at);
    let nextTimer = checkIntervalSeconds;
    let lastLabelled = 0;
    for (let p = 0; p < this.replay.n; p += batchSize) {
      const end = Math.min(this.replay.n, p + batchSize);
      this.#position = p;
      this.replay.applyReady(this.replay.seconds(p));
      while (queue.length > 0 && queue[0]!.at < end) await this.#event(queue.shift()!);
      const shadow = this.state.serving?.shadow
        ? this.models.get(this.state.serving.shadow.version)!.model
        : null;
      this.replay.scoreBatch(p, end, shadow);
      this.#position = end;
      const labelledUpTo = this.replay.labelledBy(end);
      this.replay.labelledUpTo = labelledUpTo;
      for (let i = p; i < end; i++) this.#openChunk.push(i);
      const chunks: ChunkEvidence[] = [];
      if (chunkIsDue(this.#openChunk.length, this.config.chunkSize, 'rows')) this.#closeChunk(chunks);
      const seconds = this.replay.seconds(end);
      if (seconds >= nextTimer) {
        if (chunkIsDue(this.#openChunk.length, this.config.chunkSize, 'timer')) this.#closeChunk(chunks);
        nextTimer +=
          checkIntervalSeconds * Math.max(1, Math.floor((seconds - nextTimer) / checkIntervalSeconds) + 1);
      }
      const recentFrom = Math.max(0, end - this.config.noLabelsWindow);
      const decision = decide(this.state, {
        now: { position: end, seconds },
        newOutcomes: this.replay.outcomes(lastLabelled, labelledUpTo),
        lineage: this.#lineage(),
        chunks,
        openChunk: () => this.#testOpenChunk(),
        recent: { served: end - recentFrom, labelled: Math.max(0, labelledUpTo - recentFrom) },
      });
      lastLabelled = labelledUpTo;
      const before = this.state.serving?.version ?? null;
      this.state = decision.state;
      for (const e of decision.verdict.explanations) {
        if (e.evidence.alarm === true) this.record.events.push({ at: end, type: 'alarm', trigger: e.signal });
      }
      for (const action of decision.actions) await this.#act(action, before);
    }
    return this.record;
  }

  /** The open chunk's rows tested as they are (at least `minLookRows`), without closing it. */
  #testOpenChunk(): ChunkEvidence | null {
    const rows = this.#openChunk;
    const served = this.#served();
    if (!served || rows.length < minLookRows(this.config.chunkSize)) return null;
    return this.#testRows(rows, served).chunk;
  }

  /** Served rows (positions) tested against the serving version's reference, and their features. */
  #testRows(rows: number[], served: Served) {
    const features = rows.map((i) => this.stream.features[i]!);
    const test = testChunk(served.reference, features, {
      importances: served.importances,
      muted: new Set(this.state.data.muted),
    });
    return { features, chunk: { from: rows[0]!, to: rows.at(-1)! + 1, test } };
  }

  /** A chunk of served rows, each once (labels come with the ingested rows, so the predicted first rows of a batch are the same entities). */
  #closeChunk(out: ChunkEvidence[]): void {
    const rows = this.#openChunk;
    this.#openChunk = [];
    const served = this.#served();
    if (!served || rows.length === 0) return;
    const { features, chunk } = this.#testRows(rows, served);
    const test = chunk.test;
    const flagged = test.features.filter((f) => f.pValue < this.config.chunkAlpha).map((f) => f.feature);
    if (flagged.length > 0)
      this.record.events.push({ at: rows.at(-1)! + 1, type: 'feature_flagged', features: flagged });
    out.push(chunk);
    if (shouldGrowReference(served.referenceRows.length, test.pValue, this.config)) {
      const grown = [...served.referenceRows, ...features].slice(0, this.config.maxReferenceRows);
      served.referenceRows = grown;
      served.reference = prepareChunkReference(grown);
    }
  }

  async #event(event: LoopEvent): Promise<void> {
    if (event.type === 'request_retrain') {
      const queued = requestRetrain(this.state, {
        since: event.since,
        reason: `forced retrain from position ${event.since}`,
        now: this.#now(),
        lineage: this.#lineage(),
      });
      this.state = queued.state;
      this.record.events.push({ at: event.at, type: 'queue', trigger: 'manual', since: event.since });
      return;
    }
    const external = await event.build();
    const version = this.#nextVersion++;
    const before = this.state.serving?.version ?? null;
    this.#register(
      version,
      external.model,
      external.model.featureImportances ? Array.from(external.model.featureImportances) : null,
      external.referenceRows,
      -1,
    );
    this.state = applyManualPromotion(
      this.state,
      { version, trainRows: external.trainRows, holdout: external.holdout, importances: null },
      this.#now(),
      this.#lineage(),
    );
    this.record.events.push({ at: event.at, type: 'manual_promotion', version });
    this.#switchServing(before);
  }

  async #act(action: PolicyAction, before: number | null): Promise<void> {
    const at = this.#position;
    switch (action.type) {
      case 'queue_retrain':
        this.record.events.push({ at, type: 'queue', trigger: action.job.trigger, since: action.job.since });
        return;
      case 'retarget':
        this.record.events.push({ at, type: 'retarget', from: action.from, to: action.to });
        return;
      case 'rollback':
        this.record.events.push({ at, type: 'rollback', from: action.from, to: action.to });
        this.#switchServing(before);
        return;
      case 'warn':
        this.record.events.push({ at, type: 'warning', features: action.features });
        return;
      case 'accept_drift':
        this.record.events.push({ at, type: `accept_${action.kind}`, features: action.features });
        return;
      case 'reschedule':
      case 'cancel_job':
        this.record.events.push({ at, type: action.type });
        return;
      case 'check_archived':
        this.#checkArchived(action);
        return;
      case 'start_training':
        await this.#train(action);
    }
  }

  /** Scores the serving and archived versions on the labelled rows since the change (predictions only). */
  #checkArchived(action: Extract<PolicyAction, { type: 'check_archived' }>): void {
    const serving = this.state.serving;
    if (!serving || !this.state.jobs.some((j) => j.id === action.jobId)) return;
    const from = Math.max(0, action.since);
    const to = this.replay.labelledUpTo;
    if (to <= from) return;
    const rows = this.stream.features.slice(from, to);
    const labels = this.replay.labels.subarray(from, to);
    const archived = this.state.history
      .filter((v) => v !== serving.version)
      .slice(-5)
      .map((v) => ({
        version: v,
        predicted: this.models.get(v)!.model.predict(rows),
        promise: promisedError(this.state.versions[v]!, this.config).b,
      }));
    const gate = repromoteWithoutTraining(
      {
        labels,
        champion: {
          version: serving.version,
          predicted: this.models.get(serving.version)!.model.predict(rows),
        },
        archived,
      },
      this.config,
    );
    if (!gate) return;
    const before = serving.version;
    this.state = applyRepromotion(this.state, {
      jobId: action.jobId,
      gate,
      now: this.#now(),
      lineage: this.#lineage(),
    }).state;
    this.record.events.push({
      at: this.#position,
      type: 'repromote',
      trigger: 'archived',
      version: gate.version!,
    });
    this.#switchServing(before);
  }

  /**
   * Where the gate's rows start when the window trains whole (out-of-bag gate): after the serving
   * version's last training row and inside every candidate window. null: too few such rows, so
   * the newest rows are held out instead.
   */
  #outOfBagFrom(candidates: { since: number; until: number }[]): number | null {
    if (!this.settings.outOfBag) return null;
    const windows = candidates.map((c) =>
      trainingWindow(this.settings, c.since, c.until, this.replay.labelledUpTo, false),
    );
    const to = Math.min(...windows.map((w) => w.to));
    const from = Math.max(...windows.map((w) => w.from), this.#served()?.trainEnd ?? -1);
    return to - from >= this.settings.minHoldoutRows ? from : null;
  }

  /** The rows a hold-out of `w` would hold: the newest gate rows (`newestRowsRule`). */
  #wouldHoldOut(w: Window): number {
    const n = w.to - w.from;
    return Math.max(
      0,
      Math.min(n - 1, Math.max(Math.round(n * this.settings.holdoutFraction), this.settings.minHoldoutRows)),
    );
  }

  /** Features to leave out after a located change (policy/feature-transfer.ts); growth keeps its regime's. */
  async #transferMask(job: Job, since: number, w: Window): Promise<{ dropped: number[]; seconds: number }> {
    if (!this.config.featureTransfer) return { dropped: [], seconds: 0 };
    if (job.trigger === 'growth') return { dropped: this.#dropped.get(since) ?? [], seconds: 0 };
    if (job.trigger === 'bootstrap' || since <= 0) return { dropped: [], seconds: 0 };
    const trainTo = w.to - w.holdout;
    const reachesBack = job.reachedBackFrom !== undefined || w.from < job.since;
    // A window reaching back before the change (a covariate shift: the older rows kept their
    // labels) learns the moved region itself; it keeps the serving version's, or (with
    // transferOnReachBack) asks whether the rows before the change transfer to those after it.
    if (reachesBack && !this.config.transferOnReachBack)
      return { dropped: this.#servingDropped(since), seconds: 0 };
    const newFrom = reachesBack ? Math.max(w.from, job.since) : w.from;
    const n = trainTo - newFrom;
    const beforeTo = newFrom;
    const beforeFrom = Math.max(0, beforeTo - n);
    if (beforeTo - beforeFrom < this.config.minTrainRows / 2 || n < MIN_TRANSFER_ROWS)
      return { dropped: reachesBack ? this.#servingDropped(since) : [], seconds: 0 };
    const started = performance.now();
    // The platform's check (features-left-out.ts) with the benchmark's forest (trainer.ts's defaults).
    const leftOut = await featuresToLeaveOut({
      past: {
        features: this.stream.features.slice(beforeFrom, beforeTo),
        labels: this.stream.labels.slice(beforeFrom, beforeTo),
      },
      window: {
        features: this.stream.features.slice(newFrom, trainTo),
        labels: this.stream.labels.slice(newFrom, trainTo),
      },
      nClasses: this.stream.nClasses,
      featureTypes: this.stream.features[0]!.map(() => 'numeric' as const),
      forest: { nEstimators: 30, maxDepth: 10, minSamplesLeaf: 1, seed: 42, threads: 1 },
    });
    const dropped = leftOut?.features ?? [];
    this.#dropped.set(since, dropped);
    if (dropped.length > 0)
      this.record.events.push({ at: this.#position, type: 'features dropped', since, features: dropped });
    return { dropped, seconds: (performance.now() - started) / 1000 };
  }

  /**
   * The platform's forward check of the promise (forward-promise.ts) with the benchmark's forest:
   * a model of the window's older learned rows scores its newest, beside the model's out-of-bag
   * predictions of them.
   */
  async #forward(w: Window, model: TrainedModel): Promise<ForwardEvidence | null> {
    const oob = model.outOfBag?.();
    if (!this.config.forwardPromise || !oob) return null;
    const trainTo = w.to - w.holdout;
    const evidence = await forwardEvidence({
      features: this.stream.features.slice(w.from, trainTo),
      labels: Array.from(this.stream.labels.slice(w.from, trainTo)),
      outOfBag: oob,
      nClasses: this.stream.nClasses,
      featureTypes: this.stream.features[0]!.map(() => 'numeric' as const),
      forest: { nEstimators: 30, maxDepth: 10, minSamplesLeaf: 1, seed: 42, threads: 1 },
    });
    if (evidence?.used)
      this.record.events.push({ at: this.#position, type: 'forward promise', from: w.from, to: w.to });
    return evidence;
  }

  /** A reach-back keeps what the serving version left out: the older rows kept their labels, and those features their drift. */
  #servingDropped(since: number): number[] {
    const serving = this.state.serving;
    const dropped = serving ? (this.#dropped.get(this.state.versions[serving.version]!.since) ?? []) : [];
    this.#dropped.set(since, dropped);
    return dropped;
  }

  async #train(action: Extract<PolicyAction, { type: 'start_training' }>): Promise<void> {
    const job = this.state.jobs.find((j) => j.id === action.jobId)!;
    const at = this.#position;
    const gateFrom = this.#outOfBagFrom(action.candidates);
    const windows = action.candidates.map((c) =>
      trainingWindow(this.settings, c.since, c.until, this.replay.labelledUpTo, gateFrom === null),
    );
    const trained = [];
    for (const [k, w] of windows.entries()) {
      const since = action.candidates[k]!.since;
      const { dropped, seconds } = await this.#transferMask(job, since, w);
      trained.push({
        w,
        since,
        ...(await this.replay.train(w, at, job.trigger, dropped, seconds)),
      });
    }
    // Candidates share the gate's rows: the newest hold-out (the smallest of theirs), or the rows
    // the champion never trained on, predicted out of bag. The better one goes to the gate.
    const to = Math.min(...windows.map((w) => w.to));
    const from = gateFrom ?? to - windows.reduce((a, w) => Math.min(a, w.holdout), Number.POSITIVE_INFINITY);
    const holdRows = this.stream.features.slice(from, to);
    const holdLabels = this.replay.labels.subarray(from, to);
    const scored = trained.map((t) => {
      const oob = gateFrom === null ? null : t.model.outOfBag?.();
      const predicted = oob ? oob.subarray(from - t.w.from, to - t.w.from) : t.model.predict(holdRows);
      let right = 0;
      for (let i = 0; i < predicted.length; i++) if (predicted[i] === holdLabels[i]) right++;
      return { ...t, predicted, right };
    });
    const best = scored.reduce((a, t) => (t.right > a.right ? t : a));
    for (const t of scored) if (t !== best) t.record.outcome = 'candidate lost';
    const forward = await this.#forward(best.w, best.model);
    this.replay.pending.push({
      readyAt: best.readyAt,
      apply: () =>
        this.#gate(
          { ...job, since: best.since },
          best.w,
          best.model,
          best.record,
          { rows: holdRows, labels: holdLabels, from, newest: this.#wouldHoldOut(best.w) },
          best.predicted,
          forward,
        ),
    });
  }

  #gate(
    job: Job,
    window: Window,
    model: TrainedModel,
    record: { outcome: string; trainRows: number },
    hold: { rows: number[][]; labels: Int32Array; from: number; newest: number },
    predicted: ArrayLike<number>,
    forward: ForwardEvidence | null,
  ): void {
    const { rows: holdRows, labels: holdLabels } = hold;
    const serving = this.state.serving;
    // An archived version is compared only on rows it never trained on.
    const archived = this.state.history
      .filter((v) => v !== serving?.version && this.models.get(v)!.trainEnd <= hold.from)
      .slice(-5)
      .map((v) => ({ version: v, predicted: this.models.get(v)!.model.predict(holdRows) }));
    const gate = promotionGate(
      {
        labels: holdLabels,
        challenger: { version: null, predicted },
        champion: serving
          ? { version: serving.version, predicted: this.models.get(serving.version)!.model.predict(holdRows) }
          : null,
        archived,
        championFlagged: job.championFlagged,
        lineageError: job.lineageError,
        windowErrors: {
          wrong: this.replay.wrong.subarray(window.from, window.to),
          servedAt: this.replay.positions.subarray(window.from, window.to),
        },
        newestRows: hold.newest,
      },
      this.config,
    );
    const version = this.#nextVersion++;
    const importances = model.featureImportances ? Array.from(model.featureImportances) : null;
    this.#register(
      version,
      model,
      importances,
      this.stream.features.slice(window.from, window.to - window.holdout),
      window.to - window.holdout,
    );
    const info: VersionInfo = {
      version,
      since: job.since,
      sinceKind: job.sinceKind,
      trainRows: record.trainRows,
      holdout: forward?.used
        ? { classes: forward.classes, ...forwardHoldout(forward), forward: true }
        : holdoutErrors(holdLabels, predicted),
      lineageError: job.lineageError,
      importances,
    };
    const before = serving?.version ?? null;
    this.state = applyTrainingResult(this.state, {
      jobId: job.id,
      gate,
      challenger: info,
      now: this.#now(),
      lineage: this.#lineage(),
    }).state;
    record.outcome = gate.decision === 'repromote' ? `repromoted v${gate.version}` : gate.decision;
    this.record.events.push({ at: this.#position, type: gate.decision, trigger: job.trigger, version });
    this.#switchServing(before);
  }
}
