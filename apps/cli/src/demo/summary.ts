import type {
  DriftEventFieldsFragment,
  ModelPromotedSubscription,
  TrainingEventsSubscription,
} from '@automl-stream/sdk/node.ts';
import type { DriftPoint, StreamName } from '@automl-stream/streams';
import { shortDuration } from '../progress.ts';

/*
 * What the demo makes of the three subscriptions (drift checks, training events, promotions), as
 * a reducer without I/O: each event updates the summary and answers the lines to print and the
 * progress bar's status. run.ts feeds it; the tests feed it events directly.
 */

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

export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(1)}%`;

/** Where the stream is when an event arrives. */
export interface StreamPosition {
  /** Rows sent so far. */
  sent: number;
  /** Seconds since the demo started. */
  seconds: number;
}

/** What an event asks the demo to show: lines for the log, a status for the progress bar. */
export interface Shown {
  lines: string[];
  status?: string;
}

type DriftCheck = DriftEventFieldsFragment;
type TrainingEvent = TrainingEventsSubscription['trainingEvents'];
type ModelChange = ModelPromotedSubscription['modelPromoted'];

export class DemoTracker {
  readonly summary: DemoSummary;
  servingVersion: number | null;
  /** The version serving when the stream changed (the "old model" of the summary). */
  versionAtDrift: number | null = null;
  /** Training jobs queued or running. */
  readonly openJobs = new Set<string>();
  /** Open jobs that wait for labelled rows of the new concept (they train once those arrive). */
  readonly waitingJobs = new Set<string>();
  readonly finishedJobs = new Set<string>();
  private readonly seenChecks = new Set<string>();
  private readonly halfwayShown = new Set<string>();
  private readonly waitingShown = new Set<string>();

  constructor(
    init: {
      stream: StreamName;
      description: string;
      driftPoints: readonly DriftPoint[];
      servingVersion: number | null;
    },
    private readonly driftAt: number,
  ) {
    this.servingVersion = init.servingVersion;
    this.summary = {
      stream: init.stream,
      description: init.description,
      driftPoints: [...init.driftPoints],
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
  }

  /** Whether a retrain is under way (queued or training, not waiting for rows). */
  get training(): boolean {
    return [...this.openJobs].some((id) => !this.waitingJobs.has(id));
  }

  /** A drift check, from the subscription or the closing checkDrift (each counted once). */
  onCheck(check: DriftCheck, at: StreamPosition): Shown {
    if (this.seenChecks.has(check.id)) return { lines: [] };
    this.seenChecks.add(check.id);
    this.summary.driftChecks++;
    const drifted = check.features.filter((f) => f.drifted).map((f) => f.feature);
    const featurePart =
      check.features.length > 0
        ? `${drifted.length}/${check.features.length} features drifted${drifted.length ? ` (${drifted.join(', ')})` : ''}`
        : 'features: not enough rows';
    if (!check.drifted) {
      return {
        lines: [`check #${check.id} (${words(check.trigger)}): ${words(check.verdict)}; ${featurePart}`],
      };
    }
    const action =
      check.action === 'RETRAIN_QUEUED'
        ? `retrain queued${check.trainingJob ? ` (job ${check.trainingJob.id})` : ''}`
        : words(check.action);
    const found = `check #${check.id} (${words(check.trigger)}): ${driftKinds(check).join(', ')}; ${featurePart}`;
    // The drift an earlier check found, its retrain under way: shown, not counted again.
    if (check.verdict === 'STILL_DRIFTING')
      return { lines: [`STILL  ${found} → ${action} (the same drift, its retrain under way)`] };
    this.countDrift(check, at);
    return { lines: [`DRIFT  ${found} → ${action}`] };
  }

  /** A drift before the drift point is a false alarm; the first one after it is the detection. */
  private countDrift(check: DriftCheck, at: StreamPosition) {
    if (at.sent < this.driftAt) {
      this.summary.falseAlarms++;
      return;
    }
    if (this.summary.detection) return;
    this.summary.detection = {
      row: at.sent,
      delayRows: at.sent - this.driftAt,
      seconds: at.seconds,
      checkId: check.id,
      kinds: [
        check.dataDrift && 'data',
        check.predictionDrift && 'prediction',
        check.conceptDrift && 'concept',
      ].filter((k): k is string => Boolean(k)),
    };
  }

  /** A training job's event: queued, started, progress (or waiting for rows), finished, failed. */
  onTraining(event: TrainingEvent): Shown {
    const id = event.trainingJobId;
    const job = event.job;
    switch (event.type) {
      case 'QUEUED':
        this.openJobs.add(id);
        return { lines: [`training job ${id} queued (${job?.reason ?? 'retrain'})`] };
      case 'STARTED':
        this.openJobs.add(id);
        return { lines: [`training job ${id} started`] };
      case 'PROGRESS':
        return this.onProgress(event);
      case 'FINISHED': {
        this.closeJob(id);
        const metrics = job?.metrics as { accuracy?: number } | null | undefined;
        this.summary.trainings.push({
          jobId: id,
          version: event.version ?? null,
          outcome: event.outcome?.toLowerCase() ?? null,
          trainingMs: job?.durationMs ?? null,
        });
        const accuracy =
          metrics?.accuracy !== undefined ? ` (out-of-sample accuracy ${metrics.accuracy.toFixed(3)})` : '';
        return {
          lines: [
            `training job ${id} finished: v${event.version} ${event.outcome?.toLowerCase() ?? ''}${accuracy}`,
          ],
        };
      }
      case 'FAILED':
        this.closeJob(id);
        this.summary.trainings.push({ jobId: id, version: null, outcome: 'failed', trainingMs: null });
        return { lines: [`training job ${id} failed: ${event.error ?? 'unknown error'}`] };
      default:
        return { lines: [] };
    }
  }

  private onProgress(event: TrainingEvent): Shown {
    const id = event.trainingJobId;
    if (event.waitingForRows) {
      this.waitingJobs.add(id);
      const status = `training job ${id}: waiting for ${event.waitingForRows} rows of the new concept`;
      if (this.waitingShown.has(id)) return { lines: [], status };
      this.waitingShown.add(id);
      return {
        lines: [`training job ${id}: waiting for ${event.waitingForRows} labelled rows of the new concept`],
        status,
      };
    }
    if (!event.treesDone || !event.treesTotal) return { lines: [] };
    this.waitingJobs.delete(id);
    const trees = `training job ${id}: ${event.treesDone}/${event.treesTotal} trees`;
    const halfway = event.treesDone * 2 >= event.treesTotal && event.treesDone < event.treesTotal;
    if (!halfway || this.halfwayShown.has(id)) return { lines: [], status: trees };
    this.halfwayShown.add(id);
    return { lines: [trees], status: trees };
  }

  private closeJob(id: string) {
    this.openJobs.delete(id);
    this.waitingJobs.delete(id);
    this.finishedJobs.add(id);
  }

  /** A change of the serving version: promotion or rollback. */
  onPromoted(change: ModelChange, at: StreamPosition): Shown {
    this.servingVersion = change.version;
    this.summary.promotions.push({
      version: change.version,
      previousVersion: change.previousVersion ?? null,
      action: change.action.toLowerCase(),
      row: at.sent,
      seconds: at.seconds,
    });
    if (change.action === 'ROLLED_BACK') {
      return { lines: [`ROLLBACK  v${change.version} serves again (was v${change.previousVersion})`] };
    }
    const m = change.model;
    const vs = m?.championMetrics
      ? ` vs v${change.previousVersion} ${m.championMetrics.accuracy.toFixed(3)} on the same rows`
      : '';
    const detail = m
      ? `: out-of-sample accuracy ${m.metrics.accuracy.toFixed(3)}${vs}; trained on ${m.trainRows} rows in ${(m.trainingMs / 1000).toFixed(1)}s`
      : '';
    return { lines: [`PROMOTED  v${change.version} serves now${detail}`] };
  }
}

/** The kinds of drift a check found, as the live line says them. */
function driftKinds(check: DriftCheck): string[] {
  const concept = check.conceptDriftDetails as {
    detector?: string;
    errorRateBefore?: number;
    errorRateAfter?: number;
  } | null;
  return [
    check.dataDrift && 'data drift',
    check.predictionDrift && 'prediction drift',
    check.conceptDrift &&
      `concept drift (${concept?.detector ?? 'error stream'}: error ${pct(concept?.errorRateBefore)} → ${pct(concept?.errorRateAfter)})`,
  ].filter((k): k is string => Boolean(k));
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

/** An API enum name as words: RETRAIN_QUEUED → "retrain queued". */
function words(name: string): string {
  return name.toLowerCase().replaceAll('_', ' ');
}
