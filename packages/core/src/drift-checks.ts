import type { Sql } from '@automl-stream/db';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import {
  countDriftChecks,
  type DriftCheckRecord,
  getDriftCheck,
  listDriftChecks,
} from './storage/drift-storage.ts';
import type { StoredEvent } from './storage/events-storage.ts';

export interface DriftCheckPage {
  items: DriftCheckRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** The recorded drift checks, as the API reads them (the checks themselves run in DriftPolicy). */
export class DriftChecks {
  constructor(
    private readonly sql: Sql,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  async page(options: { limit: number; offset: number; driftedOnly: boolean }): Promise<DriftCheckPage> {
    const [items, total] = await Promise.all([
      listDriftChecks(this.sql, this.pipeline.id, options),
      countDriftChecks(this.sql, this.pipeline.id, options.driftedOnly),
    ]);
    return { items, total, limit: options.limit, offset: options.offset };
  }

  /** A check by id; undefined for an id that is not a positive whole number or not stored. */
  async get(id: number): Promise<DriftCheckRecord | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    return getDriftCheck(this.sql, this.pipeline.id, id);
  }

  /** The check a `drift.checked` / `drift.detected` event announces (written before the event). */
  async ofEvent(event: StoredEvent): Promise<DriftCheckRecord | undefined> {
    return this.get(Number(event.payload.driftCheckId));
  }
}

const ACTION_WHY: Record<string, string> = {
  retrain_queued: 'retrain queued',
  retrain_pending: 'no new retrain: one is already queued or running',
  cooldown:
    'no retrain yet: the last drift-triggered retrain is more recent than RETRAIN_MIN_INTERVAL_SECONDS, or the back-off after rejected ones (DRIFT_COOLDOWN_ROWS) runs',
  insufficient_data: 'no retrain: too few rows or labelled outcomes for a verdict',
  none: 'no retrain: no drift the platform acts on',
};

interface StoredConcept {
  reason?: string;
  detected?: boolean;
  errors?: number;
  errorRateBefore?: number | null;
  errorRateAfter?: number | null;
  changeAt?: string | null;
}

const pct = (x: number | null | undefined) => (x == null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/**
 * Why a check decided what it did, one line per kind of evidence and one for the action: the labels
 * (the lineage's error stream, its located rise and rates), the features (the chunk test, its
 * threshold and effect size), the predicted classes, and what was done and why. Checks recorded
 * before these reasons were stored get lines built from their flags.
 */
export function explainCheck(check: DriftCheckRecord): string[] {
  const details = check.details as Record<string, unknown>;
  const concept = (details.concept ?? null) as StoredConcept | null;
  const lines: string[] = [];
  const level = (details.level ?? null) as { reason?: string } | null;
  if (level?.reason) lines.push(`labels: ${level.reason}`);
  else if (concept?.reason)
    lines.push(`labels: ${concept.reason} (ADWIN, z ≥ 3 over ${concept.errors ?? 0} labelled outcomes)`);
  else if (concept && (concept.errors ?? 0) > 0)
    lines.push(
      concept.detected
        ? `labels: error rate rose ${pct(concept.errorRateBefore)} → ${pct(concept.errorRateAfter)}`
        : `labels: no rise in the error rate over ${concept.errors} labelled outcomes`,
    );
  else lines.push('labels: no labelled outcomes yet');
  const chunk = details.chunk as { reason?: string; warning?: string } | undefined;
  if (chunk?.reason) lines.push(`features: ${chunk.reason}${chunk.warning ? `; ${chunk.warning}` : ''}`);
  else
    lines.push(
      `features: ${check.dataDrift ? 'data drift' : 'no data drift'} (${check.nCurrent} rows vs ${check.nReference} reference rows)`,
    );
  const prediction = details.prediction as
    | { pValue?: number; jensenShannon?: number; advisory?: boolean }
    | undefined;
  if (check.predictionDrift && prediction?.pValue !== undefined)
    lines.push(
      `predictions: class mix moved (chi-square p ${prediction.pValue.toPrecision(3)}, Jensen-Shannon ${prediction.jensenShannon?.toFixed(3)} > 0.1)${prediction.advisory ? '; advisory: labels come in and decide' : ''}`,
    );
  let action = ACTION_WHY[check.action] ?? check.action;
  if ((check.action === 'cooldown' || check.action === 'none') && typeof details.pacing === 'string')
    action = details.pacing;
  if (check.action === 'none' && check.verdict === 'warning')
    action =
      'no retrain: the moved features or class mix are a warning; the labels decide, and they show no loss';
  const answered = details.answeredBy as { checkId: number; jobId: number } | undefined;
  if (check.verdict === 'still_drifting' && answered)
    action = `no new drift: v${check.modelVersion} still errs as drift check #${answered.checkId} found, and the retrain it queued (training job ${answered.jobId}) ${check.action === 'retrain_pending' ? 'is pending' : 'replaced it while this check ran'}; nothing new to do`;
  const moved = details.retargeted as { jobId: number; from: string | null; to: string; z: number } | null;
  if (moved)
    action = `the pending retrain (training job ${moved.jobId}) now starts at the later change at ${moved.to} (was ${moved.from ?? 'all rows'}; the errors rose there, z ${moved.z.toFixed(1)}): it never trains across the change`;
  const shift = details.shift as { confirmed?: boolean; checks?: number } | null | undefined;
  if (check.action === 'retrain_queued') {
    const from = shift?.confirmed
      ? `the newest labelled rows at once, from before the change too (a covariate shift: the features moved in ${shift.checks} checks in a row, and rows before it keep their labels)`
      : concept?.detected && concept.changeAt
        ? `rows since the located change at ${concept.changeAt}`
        : 'rows from this check on';
    action += ` (training job ${check.trainingJobId}): it trains on ${from}; cost: one training run`;
  }
  lines.push(`action: ${action}`);
  return lines;
}
