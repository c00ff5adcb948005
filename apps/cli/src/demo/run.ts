import {
  AccuracySeriesDocument,
  ActiveModelDocument,
  ApiError,
  CheckDriftDocument,
  DriftCheckedDocument,
  IngestDocument,
  ModelPromotedDocument,
  type NodeClient,
  PredictDocument,
  TrainingEventsDocument,
} from '@automl-stream/sdk/node.ts';
import type { StreamName, SyntheticStream } from '@automl-stream/streams';
import type { OutputStream } from '../command.ts';
import { CliError } from '../errors.ts';
import { ProgressBar, shortDuration } from '../progress.ts';
import { withRetry } from '../retry.ts';
import { sleepUnlessAborted } from '../signals.ts';
import { ACCURACY_BUCKET, accuracyAroundDrift, type BatchRecord } from './accuracy.ts';
import { type Preflight, preflight } from './preflight.ts';
import { demoStream, demoStreams } from './streams.ts';
import { type DemoSummary, DemoTracker, pct, type Shown } from './summary.ts';

export { type DemoSummary, formatSummary } from './summary.ts';

export interface DemoOptions {
  stream: StreamName;
  /** Rows per second. @default 50 */
  rate: number;
  /** Rows to send in all. */
  rows: number;
  /** Index of the stream's first drifted row. */
  driftAt: number;
  seed: number;
  /** The pipeline the stream goes to (created when missing; admin key). @default "default" */
  pipeline?: string;
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

const BATCHES_PER_SECOND = 2;

const sleep = sleepUnlessAborted;

/** What the demo shows as it goes: live lines (over the bar) and the bar's status. */
class DemoOutput {
  readonly bar: ProgressBar | null;
  sent = 0;

  constructor(
    private readonly options: DemoOptions,
    private readonly elapsed: () => number,
  ) {
    this.bar = options.quiet ? null : new ProgressBar('demo', { total: options.rows, stream: options.err });
  }

  say(line: string) {
    if (this.options.quiet) return;
    const text = `[${shortDuration(this.elapsed()).padStart(6)}] row ${String(this.sent).padStart(6)}  ${line}`;
    if (this.bar) this.bar.log(text, this.options.out);
    else this.options.out.write(`${text}\n`);
  }

  show(shown: Shown) {
    if (shown.status) this.bar?.update(this.sent, shown.status);
    for (const line of shown.lines) this.say(line);
  }
}

/**
 * Streams a synthetic drifting stream into a platform through the SDK, as a client application
 * would: labelled batches through `ingest` (each scored by the serving model first), a share of
 * each batch through `predict`, at a steady rate. Meanwhile it prints, live from the
 * subscriptions, every drift check, drift, training step and promotion (summary.ts makes the
 * lines and the summary). Returns the summary: how many rows after the drift point the platform
 * noticed, and accuracy before and after.
 */
export async function runDemo(client: NodeClient, options: DemoOptions): Promise<DemoSummary> {
  const started = options.startedAt ?? performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const stream: SyntheticStream = demoStream(options.stream, options.seed, options.driftAt);
  const checked = await preflight(client, stream, options);
  const tracker = new DemoTracker(
    {
      stream: options.stream,
      description: demoStreams[options.stream].description,
      driftPoints: stream.driftPoints,
      servingVersion: checked.servingVersion,
    },
    options.driftAt,
  );
  const out = new DemoOutput(options, elapsed);
  const at = () => ({ sent: out.sent, seconds: elapsed() });
  const live = subscribe(client, options.pipeline, tracker, out, at);
  try {
    await live.connected();
    await sleep(200);
    const batchLog = await streamRows(client, stream, options, { tracker, out, checked, live });
    await closingCheck(client, options, tracker, out, at);
    await settle(options, tracker, out);
    out.bar?.finish(`${tracker.servingVersion === null ? 'no model' : `v${tracker.servingVersion}`} serving`);
    const summary = tracker.summary;
    summary.rowsSent = out.sent;
    summary.seconds = elapsed();
    const { accuracySeries } = await client.request(AccuracySeriesDocument, {
      pipeline: options.pipeline,
      bucketSize: ACCURACY_BUCKET,
      limit: 2000,
    });
    summary.accuracy = accuracyAroundDrift(accuracySeries, {
      batchLog,
      driftAt: options.driftAt,
      versionAtDrift: tracker.versionAtDrift,
    });
    return summary;
  } finally {
    // On a failure too: a bar left running would keep redrawing over what comes next.
    out.bar?.finish();
    live.stop();
  }
}

/** The three subscriptions, fed to the tracker; a subscription refused or failed for good is fatal. */
function subscribe(
  client: NodeClient,
  pipeline: string | undefined,
  tracker: DemoTracker,
  out: DemoOutput,
  at: () => { sent: number; seconds: number },
) {
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
  let markConnected: () => void = () => {};
  const connectedOnce = new Promise<void>((resolve) => {
    markConnected = resolve;
  });
  const stops = [
    client.subscribe(
      DriftCheckedDocument,
      { pipeline },
      (d) => out.show(tracker.onCheck(d.driftChecked, at())),
      onError,
    ),
    client.subscribe(
      TrainingEventsDocument,
      { pipeline },
      (d) => out.show(tracker.onTraining(d.trainingEvents)),
      onError,
    ),
    client.subscribe(
      ModelPromotedDocument,
      { pipeline },
      (d) => out.show(tracker.onPromoted(d.modelPromoted, at())),
      onError,
    ),
    client.ws.on('connected', () => markConnected()),
  ];
  return {
    fatal: () => fatal,
    /** Resolves once the subscriptions are live, so the first events are not missed. */
    async connected() {
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
    },
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

/** The paced stream loop: labelled batches to ingest, a share to predict; returns the batch log. */
async function streamRows(
  client: NodeClient,
  stream: SyntheticStream,
  options: DemoOptions,
  ctx: { tracker: DemoTracker; out: DemoOutput; checked: Preflight; live: { fatal: () => ApiError | null } },
): Promise<BatchRecord[]> {
  const { tracker, out } = ctx;
  const summary = tracker.summary;
  out.say(
    `streaming ${options.rows} rows of "${options.stream}" at ${options.rate} rows/s; the stream changes at row ${options.driftAt}`,
  );
  const iterator = stream[Symbol.iterator]();
  const batchRows = Math.max(1, Math.round(options.rate / BATCHES_PER_SECOND));
  const predictShare = options.predictShare ?? 0.2;
  const runId = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  const batchLog: BatchRecord[] = [];
  let scored = ctx.checked.scoredOffset;
  const live = { predicted: 0, right: 0 };
  let driftAnnounced = false;
  // The pace is kept from here (the clock may have started with the process).
  let streamStarted = performance.now();

  while (out.sent < options.rows && !options.signal.aborted) {
    const fatal = ctx.live.fatal();
    if (fatal) throw fatal;
    const batch = nextBatch(iterator, Math.min(batchRows, options.rows - out.sent));
    if (batch.features.length === 0) break;
    // A drift before any model serves would show nothing: hold the stream until version 1
    // serves (on a slow machine or at a high --rate the bootstrap can lag behind the rows).
    if (tracker.servingVersion === null && out.sent + batch.features.length > ctx.checked.holdAt) {
      out.say(`waiting for the first model, ${options.driftAt - out.sent} rows before the stream changes…`);
      const waitStarted = performance.now();
      tracker.servingVersion = await waitForFirstModel(client, options, () => tracker.servingVersion);
      streamStarted += performance.now() - waitStarted;
      if (tracker.servingVersion === null) break;
    }
    if (tracker.servingVersion !== null && predictShare > 0)
      await predictSome(client, options.pipeline, batch, predictShare, live);
    const input = { ...batch, batchId: `demo-${runId}-${summary.batches}` };
    const { ingest } = await withRetry(
      () => client.request(IngestDocument, { pipeline: options.pipeline, input }),
      {
        signal: options.signal,
      },
    );
    summary.batches++;
    if (tracker.servingVersion === null && ingest.modelVersion !== null)
      tracker.servingVersion = ingest.modelVersion;
    const previous = out.sent;
    out.sent += batch.features.length;
    batchLog.push({
      firstScored: scored + 1,
      lastScored: scored + ingest.scoredRows,
      startRow: previous,
      endRow: out.sent,
    });
    scored += ingest.scoredRows;
    // Announced with the batch that holds the first changed row (the gate above made sure a
    // model serves by then: that is the "old model" of the summary).
    if (!driftAnnounced && previous <= options.driftAt && options.driftAt < out.sent) {
      driftAnnounced = true;
      tracker.versionAtDrift = tracker.servingVersion;
      const point = stream.driftPoints.find((p) => p.position === options.driftAt) ?? stream.driftPoints[0];
      out.say(`── the stream changes at row ${options.driftAt}: ${point?.description ?? 'drift'}`);
    }
    summary.predictions = live.predicted;
    summary.liveAccuracy = live.predicted > 0 ? live.right / live.predicted : null;
    const serving = tracker.servingVersion === null ? 'no model yet' : `v${tracker.servingVersion}`;
    out.bar?.update(
      out.sent,
      `${serving}  predict acc ${pct(summary.liveAccuracy)}  checks ${summary.driftChecks}`,
    );
    // Keep the pace: batch k is due at k / BATCHES_PER_SECOND seconds (no catching up in bursts).
    const due = (out.sent / options.rate) * 1000;
    await sleep(due - (performance.now() - streamStarted), options.signal);
  }
  summary.complete = out.sent >= options.rows;
  return batchLog;
}

function nextBatch(iterator: Iterator<{ features: number[]; label: number }>, n: number) {
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const sample = iterator.next();
    if (sample.done) break;
    features.push(sample.value.features);
    labels.push(sample.value.label);
  }
  return { features, labels };
}

/** Sends the first share of a batch to predict (unlabelled), as a client would, and scores the answers. */
async function predictSome(
  client: NodeClient,
  pipeline: string | undefined,
  batch: { features: number[][]; labels: number[] },
  share: number,
  live: { predicted: number; right: number },
) {
  const k = Math.max(1, Math.round(batch.features.length * share));
  try {
    const { predict } = await client.request(PredictDocument, {
      pipeline,
      input: { features: batch.features.slice(0, k) },
    });
    predict.predictions.forEach((p, i) => {
      live.predicted++;
      if (p.label === batch.labels[i]) live.right++;
    });
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'MODEL_NOT_READY')) throw error;
  }
}

/**
 * A closing drift check, so the summary covers the last rows too: the platform checks every
 * WINDOW_SIZE rows and every CHECK_INTERVAL_SECONDS, and the stream may end between two.
 */
async function closingCheck(
  client: NodeClient,
  options: DemoOptions,
  tracker: DemoTracker,
  out: DemoOutput,
  at: () => { sent: number; seconds: number },
) {
  if (!tracker.summary.complete || options.signal.aborted) return;
  const { checkDrift } = await client.request(CheckDriftDocument, { pipeline: options.pipeline });
  if (!checkDrift.event) return;
  const job = checkDrift.event.trainingJob;
  if (job && !tracker.finishedJobs.has(job.id) && (job.status === 'QUEUED' || job.status === 'RUNNING'))
    tracker.openJobs.add(job.id);
  out.show(tracker.onCheck(checkDrift.event, at()));
}

/**
 * Lets a retrain under way finish, so the summary can show its effect. A retrain that waits for
 * labelled rows of the new concept would wait for rows that no longer come: it is left alone.
 */
async function settle(options: DemoOptions, tracker: DemoTracker, out: DemoOutput) {
  const settleUntil = performance.now() + (options.settleMs ?? 60_000);
  if (tracker.training && !options.signal.aborted) out.say('waiting for the training under way…');
  while (tracker.training && performance.now() < settleUntil && !options.signal.aborted)
    await sleep(250, options.signal);
  for (const id of tracker.openJobs) {
    if (tracker.waitingJobs.has(id))
      out.say(
        `training job ${id} still waits for labelled rows of the new concept; the stream is over, so it is left to the platform (it trains on the newest rows after RETRAIN_WAIT_SECONDS)`,
      );
  }
  await sleep(300);
}

/** Polls until a model serves (the subscription may tell first); null when interrupted. */
async function waitForFirstModel(
  client: NodeClient,
  { pipeline, signal }: Pick<DemoOptions, 'pipeline' | 'signal'>,
  known: () => number | null,
  timeoutMs = 180_000,
): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (!signal.aborted) {
    const version =
      known() ?? (await client.request(ActiveModelDocument, { pipeline })).activeModel?.version ?? null;
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
