import type { Config } from '@automl-stream/config';
import type { Queryable, Sql } from '@automl-stream/db';
import { loadForest } from '@automl-stream/ml';
import { promisedHoldout } from './forward-promise.ts';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './policy/config.ts';
import { type GateDecision, repromoteWithoutTraining } from './policy/gate.ts';
import { promisedError } from './policy/level.ts';
import { capsOf, modelRows, padRows } from './schema/category-caps.ts';
import { type RegimeStart, readLabelledWindow } from './storage/data-storage.ts';
import { appendEvent } from './storage/events-storage.ts';
import {
  getArtifact,
  getProductionVersion,
  listArchivedVersions,
  type ModelVersionRecord,
} from './storage/models-storage.ts';

/** Archived versions scored on the rows since a change: the most recently retired ones. */
const ARCHIVED_SCORED = 5;
/** Newest labelled rows since the change they are scored on (enough for the paired rule). */
const ROWS_SCORED = 2_000;

/** An archived version chosen to serve again, with the gate's reasoning. */
export interface Repromotion {
  version: number;
  /** The serving version it was compared with (the choice holds only while that one serves). */
  champion: number;
  decision: GateDecision;
}

/**
 * A recurring concept served again with no training (spec P6; the pure rule is
 * `repromoteWithoutTraining`): the most recently archived versions and the serving one are scored
 * on the labelled rows served since a located change; the best archived version is chosen when
 * it beats the serving one by the gate's paired rule and keeps its own promise there (its error
 * on those rows at most the Wilson bound of its hold-out error). Null: the retrain trains as
 * before. Reads only; `RetrainService.serveArchived` serves it.
 */
export async function chooseArchived(
  sql: Sql,
  pipeline: number,
  since: RegimeStart,
  config: Config,
): Promise<Repromotion | null> {
  const champion = await getProductionVersion(sql, pipeline);
  const archived = await listArchivedVersions(sql, pipeline, ARCHIVED_SCORED);
  if (!champion || archived.length === 0) return null;
  const window = await readLabelledWindow(sql, pipeline, ROWS_SCORED, since, config.data.maxClasses);
  if (window.labels.length < policyConfig(config).archivedCheckRows) return null;
  const { width } = padRows(window.features);
  const predict = async (v: ModelVersionRecord) => {
    if (v.nFeatures > width) return null;
    const bytes = await getArtifact(sql, pipeline, v.version);
    return bytes
      ? loadForest(bytes).predict(modelRows(window.features, v.nFeatures, capsOf(v.params)))
      : null;
  };
  const championPredicted = await predict(champion);
  if (!championPredicted) return null;
  const candidates = [];
  for (const v of archived) {
    const predicted = await predict(v);
    if (predicted) candidates.push({ version: v.version, predicted, promise: promiseOf(v, config) });
  }
  const decision = repromoteWithoutTraining(
    {
      labels: window.labels,
      champion: { version: champion.version, predicted: championPredicted },
      archived: candidates,
    },
    policyConfig(config),
  );
  return decision?.version ? { version: decision.version, champion: champion.version, decision } : null;
}

/** The error an archived version promised: the Wilson upper bound of its hold-out error, or its forward error (P4b). */
function promiseOf(v: ModelVersionRecord, config: Config): number {
  const { n, errors } = promisedHoldout(v);
  return promisedError(
    {
      version: v.version,
      since: -1,
      sinceKind: 'change',
      trainRows: v.trainRows,
      holdout: { n, errors, classes: [] },
      lineageError: null,
      importances: null,
    },
    policyConfig(config),
  ).b;
}

function policyConfig(config: Config): PolicyConfig {
  return { ...DEFAULT_POLICY_CONFIG, promotionTolerance: config.retrain.promotionTolerance };
}

/** The one line that says why the version serves again. */
export function repromotionReason(r: Repromotion): string {
  const e = r.decision.explanation;
  return `re-promoted with no training: ${e.summary}; ${e.decision}`;
}

/** The events of a re-promotion, last in its transaction, cause before effect. */
export async function announceRepromotion(
  tx: Queryable,
  pipeline: number,
  trainingJobId: number,
  r: Repromotion,
  previous: number | null,
): Promise<void> {
  const reason = repromotionReason(r);
  await appendEvent(tx, pipeline, 'training.finished', {
    trainingJobId,
    version: r.version,
    outcome: 'repromoted',
    accuracy: r.decision.challengerScore,
    championAccuracy: r.decision.championScore,
    trainingMs: 0,
  });
  await appendEvent(tx, pipeline, 'model.promoted', {
    version: r.version,
    previousVersion: previous,
    reason,
    trainingJobId,
    accuracy: r.decision.challengerScore,
    championAccuracy: r.decision.championScore,
  });
}
