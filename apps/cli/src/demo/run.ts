import {
  AccuracySeriesDocument,
  ActiveModelDocument,
  ApiError,
  CheckDriftDocument,
  ConfigDocument,
  DriftCheckedDocument,
  type DriftEventFieldsFragment,
  IngestDocument,
  ModelPromotedDocument,
  type ModelPromotedSubscription,
  type NodeClient,
  PredictDocument,
  TrainingEventsDocument,
  type TrainingEventsSubscription,
} from '@automl-stream/sdk/node.ts';
import type { DriftPoint, StreamName, SyntheticStream } from '@automl-stream/streams';
import type { OutputStream } from '../command.ts';
import { CliError } from '../errors.ts';
import { ProgressBar, shortDuration } from '../progress.ts';
import { withRetry } from '../retry.ts';
import { demoStream, demoStreams } from './streams.ts';

export interface DemoOptions {
  stream: StreamName;
  /** Rows per second. @default 50 */
  rate: number;
  /** Rows to send in all. */
  rows: number;
  /** Index of the stream's first drifted row. */
  driftAt: number;
  seed: number;
  /** Live lines go here (stdout). */
  out: OutputStream;
  /** The progress bar goes here (stderr). */
  err: OutputStream;
  signal: AbortSignal;
  /** No live lines and no bar (for --json). @default false */
  quiet?: boolean;
  /** After the last row, wait at most this long for a retrain that is still under way. @default 60000 */
  settleMs?: number;
  /** Share of each batch also sent to predict (unlabelled), as a client would. @default 0.2 */
  predictShare?: number;
  /** `performance.now()` that times are measured from (`start` passes its own start). @default now */
  startedAt?: number;
}

export interface DemoSummary {
  stream: StreamName;
  description: string;
  driftPoints: DriftPoint[];
  rowsSent: number;
  seconds: number;
  batches: number;
  predictions: number;
  /** Predict calls whose answer matched the row's label. */
  liveAccuracy: number | null;
  driftChecks: number;
  /** Drift checks that fired before the stream drifted. */
  falseAlarms: number;
  detection: { row: number; delayRows: number; seconds: number; checkId: string; kinds: string[] } | null;
  trainings: { jobId: string; version: number | null; outcome: string | null; trainingMs: number | null }[];
  promotions: {
    version: number;
    previousVersion: number | null;
    action: string;
    row: number;
    seconds: number;
  }[];
  /** Test-then-train accuracy from the platform's accuracy series (weighted by rows). */
  accuracy: {
    beforeDrift: number | null;
    afterDriftStaleModel: number | null;
    afterRetrain: number | null;
    retrainedVersion: number | null;
  };
  complete: boolean;
}

const BATCHES_PER_SECOND = 2;
/** Rows of the old concept the first model should score before the drift (see holdAt). */
const PRE_DRIFT_ROWS = 500;
const ACCURACY_BUCKET = 100;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

const weightedMean = (points: { accuracy: number; count: number }[]) => {
  const n = points.reduce((s, p) => s + p.count, 0);
  return n === 0 ? null : points.reduce((s, p) => s + p.accuracy * p.count, 0) / n;
};

const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;

/**
 * Streams a synthetic drifting stream into a platform through the SDK, as a client application
 * would: labelled batches through `ingest` (each scored by the serving model first), a share of
 * each batch through `predict`, at a steady rate. Meanwhile it prints, live from the
 * subscriptions, every drift check, drift, training step and promotion. Returns a summary: how
 * many rows after the drift point the platform noticed, and accuracy before and after.
 */
export async function runDemo(client: NodeClient, options: DemoOptions): Promise<DemoSummary> {
  const started = options.startedAt ?? performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const stream: SyntheticStream = demoStream(options.stream, options.seed, options.driftAt);
  const { config } = await client.request(ConfigDocument);
  if (config.nFeatures !== null && config.nFeatures !== stream.nFeatures) {
    throw new CliError(
      `this platform takes ${config.nFeatures} features per row and the ${options.stream} stream has ${stream.nFeatures}: ` +
        'run the demo against an empty platform (`automl-stream demo` without --url starts one)',
    );
  }
  const active = await client.request(ActiveModelDocument);
  let servingVersion: number | null = active.activeModel?.version ?? null;
  if (servingVersion === null && config.minTrainRows >= options.driftAt) {
    throw new CliError(
      `the platform trains its first model after MIN_TRAIN_ROWS = ${config.minTrainRows} labelled rows: pass a --drift-at beyond that, so a model serves before the stream changes`,
    );
  }
  // Where the stream holds until a model serves: the model that meets the drift must have scored
  // some rows of the old concept first (up to 500), or its error stream shows no change.
  const holdAt = Math.min(
    options.driftAt,
    Math.max(
      config.minTrainRows,
      options.driftAt - Math.min(PRE_DRIFT_ROWS, Math.floor(options.driftAt / 2)),
    ),
  );
  // The accuracy series counts scored rows across the whole database; remember where we start.
  const before = await client.request(AccuracySeriesDocument, { bucketSize: 100_000, limit: 1 });
  const scoredOffset = before.accuracySeries[0]?.position ?? 0;

  const quiet = options.quiet === true;
  const bar = quiet ? null : new ProgressBar('demo', { total: options.rows, stream: options.err });
  let sent = 0;
  const say = (line: string) => {
    if (quiet) return;
    const text = `[${shortDuration(elapsed()).padStart(6)}] row ${String(sent).padStart(6)}  ${line}`;
    if (bar) bar.log(text, options.out);
    else options.out.write(`${text}\n`);
  };

  // --- live lines from the subscriptions --------------------------------------------------------
  const summary: DemoSummary = {
    stream: options.stream,
    description: demoStreams[options.stream].description,
    driftPoints: [...stream.driftPoints],
    rowsSent: 0,
    seconds: 0,
    batches: 0,
    predictions: 0,
    liveAccuracy: null,
    driftChecks: 0,
    falseAlarms: 0,
    detection: null,
    trainings: [],
    promotions: [],
    accuracy: { beforeDrift: null, afterDriftStaleModel: null, afterRetrain: null, retrainedVersion: null },
    complete: false,
  };
  // A subscription refused (bad key) or failed for good ends the demo with that error.
  let fatal: ApiError | null = null;
  let rejectFatal: (error: ApiError) => void = () => {};
  const fatalSeen = new Promise<never>((_, reject) => {
    rejectFatal = reject;
  });
  fatalSeen.catch(() => {});
  const onError = (error: ApiError) => {
    fatal ??= error;
    rejectFatal(error);
  };
  const openJobs = new Set<string>();
  const halfwayShown = new Set<string>();
  let versionAtDrift: number | null = null;

  const seenChecks = new Set<string>();
  const finishedJobs = new Set<string>();
  const onCheck = (check: DriftEventFieldsFragment) => {
    // The closing check arrives twice: as the mutation's answer and from the subscription.
    if (seenChecks.has(check.id)) return;
    seenChecks.add(check.id);
    summary.driftChecks++;
    const drifted = check.features.filter((f) => f.drifted).map((f) => f.feature);
    const concept = check.conceptDriftDetails as {
      detected?: boolean;
      detector?: string;
      errorRateBefore?: number;
      errorRateAfter?: number;
      errors?: number;
    } | null;
    const kinds = [
      check.dataDrift && 'data drift',
      check.predictionDrift && 'prediction drift',
      check.conceptDrift &&
        `concept drift (${concept?.detector ?? 'error stream'}: error ${pct(concept?.errorRateBefore)} → ${pct(concept?.errorRateAfter)})`,
    ].filter((k): k is string => Boolean(k));
    const featurePart =
      check.features.length > 0
        ? `${drifted.length}/${check.features.length} features drifted${drifted.length ? ` (${drifted.join(', ')})` : ''}`
        : 'features: not enough rows';
    if (check.drifted) {
      if (sent < options.driftAt) summary.falseAlarms++;
      else if (!summary.detection) {
        summary.detection = {
          row: sent,
          delayRows: sent - options.driftAt,
          seconds: elapsed(),
          checkId: check.id,
          kinds: [
            check.dataDrift && 'data',
            check.predictionDrift && 'prediction',
            check.conceptDrift && 'concept',
          ].filter((k): k is string => Boolean(k)),
        };
      }
      const action =
        check.action === 'retrain_queued'
          ? `retrain queued${check.trainingJob ? ` (job ${check.trainingJob.id})` : ''}`
          : check.action.replaceAll('_', ' ');
      say(`DRIFT  check #${check.id} (${check.trigger}): ${kinds.join(', ')}; ${featurePart} → ${action}`);
    } else {
      say(`check #${check.id} (${check.trigger}): ${check.verdict.replaceAll('_', ' ')}; ${featurePart}`);
    }
  };

  const waitingShown = new Set<string>();
  /** Open jobs that wait for labelled rows of the new concept (they train once those arrive). */
  const waitingJobs = new Set<string>();
  const onTraining = (event: TrainingEventsSubscription['trainingEvents']) => {
    const id = event.trainingJobId;
    const job = event.job;
    switch (event.type) {
      case 'QUEUED':
        openJobs.add(id);
        say(`training job ${id} queued (${job?.reason ?? 'retrain'})`);
        break;
      case 'STARTED':
        openJobs.add(id);
        say(`training job ${id} started`);
        break;
      case 'PROGRESS':
        if (event.waitingForRows) {
          waitingJobs.add(id);
          bar?.update(
            sent,
            `training job ${id}: waiting for ${event.waitingForRows} rows of the new concept`,
          );
          if (!waitingShown.has(id)) {
            waitingShown.add(id);
            say(`training job ${id}: waiting for ${event.waitingForRows} labelled rows of the new concept`);
          }
        } else if (event.treesDone && event.treesTotal) {
          waitingJobs.delete(id);
          bar?.update(sent, `training job ${id}: ${event.treesDone}/${event.treesTotal} trees`);
          if (
            !halfwayShown.has(id) &&
            event.treesDone * 2 >= event.treesTotal &&
            event.treesDone < event.treesTotal
          ) {
            halfwayShown.add(id);
            say(`training job ${id}: ${event.treesDone}/${event.treesTotal} trees`);
          }
        }
        break;
      case 'FINISHED': {
        openJobs.delete(id);
        waitingJobs.delete(id);
        finishedJobs.add(id);
        const metrics = job?.metrics as { accuracy?: number } | null | undefined;
        summary.trainings.push({
          jobId: id,
          version: event.version ?? null,
          outcome: event.outcome ?? null,
          trainingMs: job?.durationMs ?? null,
        });
        say(
          `training job ${id} finished: v${event.version} ${event.outcome ?? ''}${metrics?.accuracy !== undefined ? ` (hold-out accuracy ${metrics.accuracy.toFixed(3)})` : ''}`,
        );
        break;
      }
      case 'FAILED':
        openJobs.delete(id);
        waitingJobs.delete(id);
        finishedJobs.add(id);
        summary.trainings.push({ jobId: id, version: null, outcome: 'failed', trainingMs: null });
        say(`training job ${id} failed: ${event.error ?? 'unknown error'}`);
        break;
    }
  };

  const onPromoted = (change: ModelPromotedSubscription['modelPromoted']) => {
    servingVersion = change.version;
    summary.promotions.push({
      version: change.version,
      previousVersion: change.previousVersion ?? null,
      action: change.action,
      row: sent,
      seconds: elapsed(),
    });
    const m = change.model;
    const vs = m?.championMetrics
      ? ` vs v${change.previousVersion} ${m.championMetrics.accuracy.toFixed(3)} on the same rows`
      : '';
    say(
      change.action === 'rolled_back'
        ? `ROLLBACK  v${change.version} serves again (was v${change.previousVersion})`
        : `PROMOTED  v${change.version} serves now${m ? `: hold-out accuracy ${m.metrics.accuracy.toFixed(3)}${vs}; trained on ${m.trainRows} rows in ${(m.trainingMs / 1000).toFixed(1)}s` : ''}`,
    );
  };

  let connected: () => void = () => {};
  const connectedOnce = new Promise<void>((resolve) => {
    connected = resolve;
  });
  const offConnected = client.ws.on('connected', () => connected());
  const stops = [
    client.subscribe(DriftCheckedDocument, {}, (d) => onCheck(d.driftChecked), onError),
    client.subscribe(TrainingEventsDocument, {}, (d) => onTraining(d.trainingEvents), onError),
    client.subscribe(ModelPromotedDocument, {}, (d) => onPromoted(d.modelPromoted), onError),
    offConnected,
  ];
  try {
    // Start streaming once the subscriptions are live, so the first events are not missed.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CliError('the WebSocket for the subscriptions did not connect in 15 s')),
        15_000,
      );
    });
    try {
      await Promise.race([connectedOnce, fatalSeen, timeout]);
    } finally {
      clearTimeout(timer);
    }
    await sleep(200);

    say(
      `streaming ${options.rows} rows of "${options.stream}" at ${options.rate} rows/s; the stream changes at row ${options.driftAt}`,
    );
    const iterator = stream[Symbol.iterator]();
    const batchRows = Math.max(1, Math.round(options.rate / BATCHES_PER_SECOND));
    const predictShare = options.predictShare ?? 0.2;
    const runId = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    const batchLog: BatchRecord[] = [];
    let scored = scoredOffset;
    let predicted = 0;
    let predictedRight = 0;
    let driftAnnounced = false;
    // The pace is kept from here (the clock above may have started with the process).
    let streamStarted = performance.now();

    while (sent < options.rows && !options.signal.aborted) {
      if (fatal) throw fatal;
      const n = Math.min(batchRows, options.rows - sent);
      const features: number[][] = [];
      const labels: number[] = [];
      for (let i = 0; i < n; i++) {
        const sample = iterator.next();
        if (sample.done) break;
        features.push(sample.value.features);
        labels.push(sample.value.label);
      }
      if (features.length === 0) break;

      // A drift before any model serves would show nothing: hold the stream until version 1
      // serves (on a slow machine or at a high --rate the bootstrap can lag behind the rows).
      if (servingVersion === null && sent + features.length > holdAt) {
        say(`waiting for the first model, ${options.driftAt - sent} rows before the stream changes…`);
        const waitStarted = performance.now();
        servingVersion = await waitForFirstModel(client, options.signal, () => servingVersion);
        streamStarted += performance.now() - waitStarted;
        if (servingVersion === null) break;
      }
      if (servingVersion !== null && predictShare > 0) {
        const k = Math.max(1, Math.round(features.length * predictShare));
        try {
          const { predict } = await client.request(PredictDocument, {
            input: { features: features.slice(0, k) },
          });
          predict.predictions.forEach((p, i) => {
            predicted++;
            if (p.label === labels[i]) predictedRight++;
          });
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 'MODEL_NOT_READY')) throw error;
        }
      }
      const input = { features, labels, batchId: `demo-${runId}-${summary.batches}` };
      const { ingest } = await withRetry(() => client.request(IngestDocument, { input }), {
        signal: options.signal,
      });
      summary.batches++;
      if (servingVersion === null && ingest.modelVersion !== null) servingVersion = ingest.modelVersion;
      const previous = sent;
      sent += features.length;
      batchLog.push({
        firstScored: scored + 1,
        lastScored: scored + ingest.scoredRows,
        startRow: previous,
        endRow: sent,
      });
      scored += ingest.scoredRows;
      // Announced with the batch that holds the first changed row (the gate above made sure a
      // model serves by then: that is the "old model" of the summary).
      if (!driftAnnounced && previous <= options.driftAt && options.driftAt < sent) {
        driftAnnounced = true;
        versionAtDrift = servingVersion;
        const point = stream.driftPoints.find((p) => p.position === options.driftAt) ?? stream.driftPoints[0];
        say(`── the stream changes at row ${options.driftAt}: ${point?.description ?? 'drift'}`);
      }
      summary.predictions = predicted;
      summary.liveAccuracy = predicted > 0 ? predictedRight / predicted : null;
      bar?.update(
        sent,
        `${servingVersion === null ? 'no model yet' : `v${servingVersion}`}  predict acc ${pct(summary.liveAccuracy)}  checks ${summary.driftChecks}`,
      );
      // Keep the pace: batch k is due at k / BATCHES_PER_SECOND seconds (no catching up in bursts).
      const due = (sent / options.rate) * 1000;
      await sleep(due - (performance.now() - streamStarted), options.signal);
    }
    summary.complete = sent >= options.rows;

    // A closing drift check, so the summary covers the last rows too: the platform checks every
    // WINDOW_SIZE rows and every CHECK_INTERVAL_SECONDS, and the stream may end between two.
    if (summary.complete && !options.signal.aborted) {
      const { checkDrift } = await client.request(CheckDriftDocument);
      if (checkDrift.event) {
        const job = checkDrift.event.trainingJob;
        if (job && !finishedJobs.has(job.id) && (job.status === 'QUEUED' || job.status === 'RUNNING'))
          openJobs.add(job.id);
        onCheck(checkDrift.event);
      }
    }

    // Let a retrain under way finish, so the summary can show its effect. A retrain that waits
    // for labelled rows of the new concept would wait for rows that no longer come: leave it.
    const settleUntil = performance.now() + (options.settleMs ?? 60_000);
    const training = () => [...openJobs].some((id) => !waitingJobs.has(id));
    if (training() && !options.signal.aborted) say('waiting for the training under way…');
    while (training() && performance.now() < settleUntil && !options.signal.aborted)
      await sleep(250, options.signal);
    for (const id of openJobs) {
      if (waitingJobs.has(id))
        say(
          `training job ${id} still waits for labelled rows of the new concept; the stream is over, so it is left to the platform (it trains on the newest rows after RETRAIN_WAIT_SECONDS)`,
        );
    }
    await sleep(300);
    bar?.finish(`${servingVersion === null ? 'no model' : `v${servingVersion}`} serving`);

    summary.rowsSent = sent;
    summary.seconds = elapsed();
    summary.accuracy = await accuracyAroundDrift(client, {
      batchLog,
      driftAt: options.driftAt,
      versionAtDrift,
    });
    return summary;
  } finally {
    // On a failure too: a bar left running would keep redrawing over what comes next.
    bar?.finish();
    for (const stop of stops) stop();
  }
}

/** Polls until a model serves (the subscription may tell first); null when interrupted. */
async function waitForFirstModel(
  client: NodeClient,
  signal: AbortSignal,
  known: () => number | null,
  timeoutMs = 180_000,
): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted) {
    const version = known() ?? (await client.request(ActiveModelDocument)).activeModel?.version ?? null;
    if (version !== null) return version;
    if (performance.now() > deadline) {
      throw new CliError(
        `no model serves ${Math.round(timeoutMs / 1000)} s after the rows started: is a worker running (WORKERS) and MIN_TRAIN_ROWS below --drift-at?`,
      );
    }
    await sleep(1000, signal);
  }
  return null;
}

/** Scored positions and stream rows of one labelled batch the demo sent. */
interface BatchRecord {
  /** Global positions (as in the accuracy series) of the batch's scored rows; last < first when none was scored. */
  firstScored: number;
  lastScored: number;
  /** Stream rows [startRow, endRow). */
  startRow: number;
  endRow: number;
}

/**
 * Accuracy before the drift, after it with the model that served at the drift point, and with the
 * newest retrained model; from the platform's accuracy series, mapped to stream rows through the
 * batches (a bucket counts on a side only when all its rows are on that side).
 */
async function accuracyAroundDrift(
  client: NodeClient,
  run: { batchLog: BatchRecord[]; driftAt: number; versionAtDrift: number | null },
): Promise<DemoSummary['accuracy']> {
  const { accuracySeries } = await client.request(AccuracySeriesDocument, {
    bucketSize: ACCURACY_BUCKET,
    limit: 2000,
  });
  const batchOf = (position: number) =>
    run.batchLog.find((b) => b.firstScored <= position && position <= b.lastScored);
  const buckets = accuracySeries.flatMap((p) => {
    const first = batchOf(p.position - p.count + 1);
    const last = batchOf(p.position);
    // Buckets of rows scored before the demo are not ours. (Positions count scored rows in id
    // order: the mapping assumes no other client stores labelled rows while the demo runs.)
    return first && last ? [{ ...p, startRow: first.startRow, endRow: last.endRow }] : [];
  });
  const beforeDrift = weightedMean(buckets.filter((b) => b.endRow <= run.driftAt));
  const stale = run.versionAtDrift;
  const after = buckets.filter((b) => b.startRow >= run.driftAt);
  const afterDriftStaleModel = weightedMean(after.filter((b) => b.modelVersion === stale));
  const newer = after.filter((b) => stale !== null && b.modelVersion > stale);
  const retrainedVersion = newer.length > 0 ? Math.max(...newer.map((b) => b.modelVersion)) : null;
  const afterRetrain = weightedMean(newer.filter((b) => b.modelVersion === retrainedVersion));
  return { beforeDrift, afterDriftStaleModel, afterRetrain, retrainedVersion };
}

/** The closing lines of a demo. */
export function formatSummary(s: DemoSummary): string {
  const point = s.driftPoints[0];
  const lines = [
    '',
    'summary',
    `  stream         ${s.stream}: ${s.description}`,
    `  drift point    row ${point?.position ?? '-'}${point ? ` (${point.description})` : ''}`,
    `  sent           ${s.rowsSent} rows in ${shortDuration(s.seconds)} (${s.batches} labelled batches), ${s.predictions} predictions (${pct(s.liveAccuracy)} right)`,
    `  drift checks   ${s.driftChecks}${s.falseAlarms ? `, ${s.falseAlarms} false alarm${s.falseAlarms === 1 ? '' : 's'} before the drift point` : ', no false alarm'}`,
    s.detection
      ? `  detected       at row ${s.detection.row}, ${s.detection.delayRows} rows after the drift point, at ${shortDuration(s.detection.seconds)} (check #${s.detection.checkId}: ${s.detection.kinds.join(' + ')} drift)`
      : `  detected       not yet${s.rowsSent < (point?.position ?? 0) ? ' (the stream did not reach its drift point)' : ''}`,
  ];
  const retrains = s.promotions.filter((p) => p.action === 'promoted' && p.version > 1);
  lines.push(
    retrains.length > 0
      ? `  promoted       ${retrains.map((p) => `v${p.version} at row ${p.row} (${shortDuration(p.seconds)})`).join(', ')}`
      : '  promoted       no new version yet',
  );
  lines.push(
    `  accuracy       before the drift ${pct(s.accuracy.beforeDrift)} · after it, old model ${pct(s.accuracy.afterDriftStaleModel)} · ` +
      `retrained${s.accuracy.retrainedVersion ? ` (v${s.accuracy.retrainedVersion})` : ''} ${pct(s.accuracy.afterRetrain)}`,
    "  (test-then-train accuracy from the platform's accuracy series: each labelled row scored before it is stored)",
  );
  return `${lines.join('\n')}\n`;
}
