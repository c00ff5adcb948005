import { randomUUID } from 'node:crypto';
import type { Config } from '@automl-stream/config';
import type { Sql } from '@automl-stream/db';
import { ForestInputError } from '@automl-stream/ml';
import { badInput, DomainError } from './errors.ts';
import type { ModelHolder, ServingModel } from './serving-model.ts';
import {
  claimFeatureCount,
  existingPredictionIds,
  fencePredictionIds,
  insertBatch,
  insertBatchWithRows,
  insertPredictions,
  insertRows,
  ROWS_PER_STATEMENT,
  type RowToStore,
  readFeatureCount,
  recordFeedback,
} from './storage/data-storage.ts';
import { classCap, type LabelLimit, validateFeatureMatrix, validateLabels } from './validation.ts';

export interface IngestInput {
  features: unknown;
  labels?: unknown;
  batchId?: string | null;
  source?: 'graphql' | 'rest' | 'cli';
}

export interface IngestResult {
  batchId: string;
  duplicate: boolean;
  rowsStored: number;
  labelledRows: number;
  /** Labelled rows the serving model scored before storing (test-then-train). */
  scoredRows: number;
  /** Accuracy of the serving model on this batch's labelled rows, before learning from them. */
  batchAccuracy: number | null;
  modelVersion: number | null;
}

export interface PredictionResult {
  id: number;
  label: number;
  probabilities: number[];
  modelVersion: number;
}

/** Who is writing: an admin key may label beyond the serving model's classes (up to MAX_CLASSES). */
export interface WriterOptions {
  admin?: boolean;
}

export interface DataServiceHooks {
  /** Called after rows the model saw were committed (predictions served, rows ingested). */
  onRowsServed?: (count: number) => void;
  /** Called after labelled rows were committed. */
  onLabelledRows?: (count: number) => void;
}

/** Counts of what this process stored and served (the server's metrics follow them). */
export interface DataObserver {
  ingested?: (rows: number) => void;
  predicted?: (rows: number) => void;
}

const BATCH_ID_PATTERN = /^[\w.:\-/@]{1,200}$/;

/**
 * Ingest, predict and feedback: the write paths of the platform, shared by GraphQL, REST and the
 * CLI. Each request is one transaction; nothing is half-written.
 */
export class DataService {
  /** Cached once known: the feature count never changes after it is fixed. */
  private nFeatures: number | null;
  /**
   * The count is fixed in the database (read from it, or claimed by a committed batch). From
   * then on ingest skips the claim: it locks the settings row, which would serialise every
   * concurrent ingest transaction behind it.
   */
  private featureCountStored = false;
  private readonly observers = new Set<DataObserver>();

  constructor(
    private readonly sql: Sql,
    private readonly holder: ModelHolder,
    private readonly config: Config,
    /** Where predictions are inserted (a pool with asynchronous commit, see PREDICTION_SYNC_COMMIT). */
    private readonly predictionSql: Sql = sql,
    private readonly hooks: DataServiceHooks = {},
  ) {
    this.nFeatures = config.data.nFeatures ?? null;
  }

  /** Follows what is ingested and predicted from now on; returns the function that stops it. */
  observe(observer: DataObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  async featureCount(): Promise<number | null> {
    if (this.nFeatures === null) {
      this.nFeatures = await readFeatureCount(this.sql);
      this.featureCountStored = this.nFeatures !== null;
    }
    return this.nFeatures;
  }

  /**
   * The largest label this writer may send. Non-admin keys may add MAX_NEW_CLASSES classes beyond
   * the serving model's: one row labelled 999 must not make the next model 1000 classes wide.
   */
  labelLimit(options: WriterOptions = {}): LabelLimit {
    const cap = classCap(this.config.data.maxClasses);
    const model = this.holder.current;
    if (options.admin || !model) return cap;
    const { maxNewClasses } = this.config.data;
    const max = Math.min(cap.max, model.nClasses - 1 + maxNewClasses);
    if (max === cap.max) return cap;
    const adding =
      maxNewClasses === 0
        ? 'a writer key may add no new class (MAX_NEW_CLASSES 0)'
        : `a writer key may add ${maxNewClasses} new class${maxNewClasses === 1 ? '' : 'es'} at a time (MAX_NEW_CLASSES)`;
    return {
      max,
      reason: `labels run from 0 to ${max}: the serving model (v${model.version}) knows classes 0 to ${model.nClasses - 1} and ${adding}; an admin key may use labels up to ${cap.max} (MAX_CLASSES ${this.config.data.maxClasses})`,
    };
  }

  async ingest(input: IngestInput, options: WriterOptions = {}): Promise<IngestResult> {
    const batchId = input.batchId ?? randomUUID();
    if (typeof batchId !== 'string' || !BATCH_ID_PATTERN.test(batchId)) {
      throw badInput('batchId must be 1 to 200 characters of letters, digits and . _ - : / @', { batchId });
    }
    const expected = await this.featureCount();
    const features = validateFeatureMatrix(input.features, {
      maxRows: this.config.data.maxBatchRows,
      expectedFeatures: expected,
      maxWidth: this.config.data.maxFeaturesPerRow,
      maxMagnitude: this.config.data.maxFeatureMagnitude,
    });
    const labels =
      input.labels === undefined || input.labels === null
        ? null
        : validateLabels(input.labels, features.length, this.labelLimit(options));

    // Test-then-train: the serving model scores labelled rows before they are stored.
    const model = this.holder.current;
    const scored =
      labels && model && model.nFeatures === features[0]!.length ? model.forest.predict(features) : null;
    let correct = 0;
    const rows: RowToStore[] = features.map((f, i) => {
      const label = labels ? labels[i]! : null;
      const scoredLabel = scored ? (scored[i] ?? null) : null;
      if (label !== null && scoredLabel === label) correct++;
      return { features: f, label, scoredLabel, scoredVersion: scored ? model!.version : null };
    });
    const labelledRows = labels ? labels.length : 0;

    const header = {
      batchId,
      rowCount: rows.length,
      labelledCount: labelledRows,
      source: input.source ?? 'graphql',
    };
    // The usual case (feature count fixed, batch within one statement): one atomic statement.
    const stored =
      this.featureCountStored && rows.length <= ROWS_PER_STATEMENT
        ? (await insertBatchWithRows(this.sql, header, rows)) !== null
        : await this.storeInTransaction(header, rows);
    if (!stored) {
      return {
        batchId,
        duplicate: true,
        rowsStored: 0,
        labelledRows: 0,
        scoredRows: 0,
        batchAccuracy: null,
        modelVersion: model?.version ?? null,
      };
    }
    this.nFeatures ??= features[0]!.length;
    this.featureCountStored = true;
    this.hooks.onRowsServed?.(rows.length);
    for (const o of this.observers) o.ingested?.(rows.length);
    if (labelledRows > 0) this.hooks.onLabelledRows?.(labelledRows);
    return {
      batchId,
      duplicate: false,
      rowsStored: rows.length,
      labelledRows,
      scoredRows: scored ? labelledRows : 0,
      batchAccuracy: scored && labelledRows > 0 ? correct / labelledRows : null,
      modelVersion: model?.version ?? null,
    };
  }

  /**
   * The batch header, the feature-count claim (until the count is fixed in the database: it
   * locks the settings row) and the rows, in chunks, in one transaction. False for a duplicate.
   */
  private storeInTransaction(
    header: Parameters<typeof insertBatch>[1],
    rows: RowToStore[],
  ): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const batchPk = await insertBatch(tx, header);
      if (batchPk === null) return false;
      const width = rows[0]!.features.length;
      if (!this.featureCountStored) {
        const fixed = await claimFeatureCount(tx, width);
        if (fixed !== width) {
          throw badInput(`rows have ${width} features; this platform takes ${fixed} features per row`, {
            got: width,
            expected: fixed,
          });
        }
      }
      await insertRows(tx, batchPk, rows);
      return true;
    });
  }

  /** The serving model, or MODEL_NOT_READY. */
  servingModel(): ServingModel {
    const model = this.holder.current;
    if (!model) {
      throw new DomainError(
        'MODEL_NOT_READY',
        `No model is serving yet: ingest at least ${this.config.retrain.minTrainRows} labelled rows (MIN_TRAIN_ROWS) and the first version trains automatically, or call retrain.`,
      );
    }
    return model;
  }

  async predict(input: {
    features: unknown;
  }): Promise<{ modelVersion: number; predictions: PredictionResult[] }> {
    // One model for the whole request, even if a promotion swaps it meanwhile. With none in
    // memory yet, look once: the first version may have been promoted by a worker an instant
    // ago, before this replica's notice arrived (activeModel would already name it).
    if (!this.holder.current) await this.holder.refresh().catch(() => null);
    const model = this.servingModel();
    const features = validateFeatureMatrix(input.features, {
      maxRows: this.config.data.maxBatchRows,
      expectedFeatures: model.nFeatures,
      maxMagnitude: this.config.data.maxFeatureMagnitude,
    });
    const proba = score(model, features);
    const toStore = features.map((f, i) => {
      const p = proba[i]!;
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      return { features: f, label: best, probabilities: p, modelVersion: model.version };
    });
    // The fence runs on the synchronously committed pool: it must be durable before any id after it.
    const ids = await insertPredictions(this.predictionSql, toStore, () => fencePredictionIds(this.sql));
    this.hooks.onRowsServed?.(toStore.length);
    for (const o of this.observers) o.predicted?.(toStore.length);
    return {
      modelVersion: model.version,
      predictions: toStore.map((p, i) => ({
        id: ids[i]!,
        label: p.label,
        probabilities: p.probabilities,
        modelVersion: p.modelVersion,
      })),
    };
  }

  async submitFeedback(
    input: { predictionIds: unknown; labels: unknown },
    options: WriterOptions = {},
  ): Promise<{ updated: number }> {
    const ids = input.predictionIds;
    if (!Array.isArray(ids) || ids.length === 0)
      throw badInput('predictionIds must be a non-empty list of prediction ids');
    if (ids.length > this.config.data.maxBatchRows) {
      throw badInput(
        `predictionIds has ${ids.length} entries; the limit is ${this.config.data.maxBatchRows}`,
      );
    }
    const numericIds = ids.map((id, i) => {
      const n = typeof id === 'string' ? Number(id) : id;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
        throw badInput(`predictionIds[${i}] is not a prediction id (a positive whole number)`, { index: i });
      }
      return n;
    });
    if (new Set(numericIds).size !== numericIds.length)
      throw badInput('predictionIds contains the same id twice');
    const labels = validateLabels(input.labels, numericIds.length, this.labelLimit(options), 'labels');
    const updated = await this.sql.begin(async (tx) => {
      const existing = await existingPredictionIds(tx, numericIds);
      const missing = numericIds.filter((id) => !existing.has(id));
      if (missing.length > 0) {
        throw badInput(
          `no prediction with id ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
          {
            missing: missing.slice(0, 20),
          },
        );
      }
      // Feedback is given once per prediction: a writer cannot relabel what was labelled before
      // (sequential ids would let one key relabel every prediction). An admin key can correct it.
      const updated = await recordFeedback(tx, numericIds, labels, options.admin === true);
      if (updated.length < numericIds.length) {
        const done = new Set(updated);
        const labelled = numericIds.filter((id) => !done.has(id));
        throw new DomainError(
          'CONFLICT',
          `prediction ${labelled.slice(0, 5).join(', ')}${labelled.length > 5 ? ', …' : ''} already has feedback: feedback is given once per prediction, and only an admin key can change it`,
          { labelled: labelled.slice(0, 20) },
        );
      }
      return updated;
    });
    this.hooks.onLabelledRows?.(updated.length);
    return { updated: updated.length };
  }
}

/**
 * Class probabilities of each row; one row (the latency-bound case) takes the forest's single-row
 * path, same numbers. A row the forest refuses is the caller's mistake: BAD_USER_INPUT.
 */
function score(model: ServingModel, features: number[][]): number[][] {
  try {
    return features.length === 1
      ? [model.forest.predictProbaOne(features[0]!)]
      : model.forest.predictProba(features);
  } catch (error) {
    if (error instanceof ForestInputError) throw badInput(error.message);
    throw error;
  }
}
