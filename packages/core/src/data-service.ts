import { randomUUID } from 'node:crypto';
import type { Config } from '@automl-stream/config';
import type { Sql } from '@automl-stream/db';
import { ForestInputError } from '@automl-stream/ml';
import type { CellValue, TableSchema } from '@automl-stream/table';
import { badInput, DomainError } from './errors.ts';
import { DEFAULT_PIPELINE_REF, lowerMinTrainRowsHint, type PipelineRef } from './pipeline-ref.ts';
import { modelRows } from './schema/category-caps.ts';
import { type DataRecord, encodeClassNames } from './schema/records.ts';
import { classNames, classValue, positionalSchema } from './schema/table-schema.ts';
import { type IngestPlan, replanner, type SchemaService } from './schema-service.ts';
import type { ModelHolder, ServingModel } from './serving-model.ts';
import {
  COPY_MIN_ROWS,
  copyBatchWithRows,
  copyPredictions,
  existingPredictionIds,
  fencePredictionIds,
  insertBatch,
  insertBatchWithRows,
  insertPredictions,
  insertRows,
  predictionsWithFeedback,
  ROWS_PER_STATEMENT,
  type RowToStore,
  recordFeedback,
} from './storage/data-storage.ts';
import {
  classCap,
  type LabelLimit,
  validateFeatureMatrix,
  validateIngestLabels,
  validateLabels,
} from './validation.ts';

export interface IngestInput {
  /** Positional rows (the original pipeline's `features: [[Float]]`), on a numeric schema. */
  features?: unknown;
  /** Rows keyed by column name; the label under its column, or in `labels`. */
  records?: unknown;
  /** One class per row: integers 0..K-1, or class names (strings). */
  labels?: unknown;
  /** The label column of a first records batch (default `label`). */
  labelColumn?: string | null;
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
  /** The class index (what the original pipeline answered). */
  label: number;
  /** The class as it was given: the integer, or its name (e.g. "pos"). */
  classValue: string | number;
  probabilities: number[];
  /** The probability of each class keyed by class name. */
  classProbabilities: Record<string, number>;
  modelVersion: number;
}

/** A predict call's answer. */
export interface PredictOutcome {
  modelVersion: number;
  predictions: PredictionResult[];
  /** Cells whose category the serving model never saw (predicted as missing). */
  unseenCategories: number;
  /** Columns the serving model reads that no record carried: missing in every row. */
  absentColumns: string[];
}

export interface PredictInput {
  features?: unknown;
  records?: unknown;
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
  /** Called after labelled rows the serving model scored on arrival were committed (test-then-train). */
  onScored?: (model: ServingModel, wrong: number, scored: number) => void;
}

/** Counts of what this process stored and served (the server's metrics follow them). */
export interface DataObserver {
  ingested?: (rows: number) => void;
  predicted?: (rows: number) => void;
  /** Data quality of what was stored or predicted: missing cells, categories never seen. */
  quality?: (q: { path: 'ingest' | 'predict'; missing: number; unseenCategories: number }) => void;
  /** A batch refused for its content (BAD_USER_INPUT): its rows. */
  refused?: (rows: number) => void;
}

/**
 * Missing (NaN) cells of the rows of a request. Positional rows were checked to be finite numbers
 * (validateFeatureMatrix): none, without a pass over every value of the batch.
 */
function missingCells(input: { records?: unknown }, rows: readonly (readonly number[])[]): number {
  if (input.records === undefined || input.records === null) return 0;
  let n = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    // biome-ignore lint/suspicious/noSelfCompare: the cheapest NaN test, once per cell of the batch
    for (let c = 0; c < row.length; c++) if (row[c] !== row[c]) n++;
  }
  return n;
}

const BATCH_ID_PATTERN = /^[\w.:\-/@]{1,200}$/;

/**
 * Ingest, predict and feedback: the write paths of the platform, shared by GraphQL, REST and the
 * CLI. Each request is one transaction; nothing is half-written.
 */
export class DataService {
  private readonly observers = new Set<DataObserver>();

  constructor(
    private readonly sql: Sql,
    private readonly holder: ModelHolder,
    private readonly config: Config,
    readonly schemas: SchemaService,
    /** Where predictions are inserted (a pool with asynchronous commit, see PREDICTION_SYNC_COMMIT). */
    private readonly predictionSql: Sql = sql,
    private readonly hooks: DataServiceHooks = {},
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  /** Follows what is ingested and predicted from now on; returns the function that stops it. */
  observe(observer: DataObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** The pipeline's feature count, once its schema is known. */
  async featureCount(): Promise<number | null> {
    return (await this.schemas.current())?.columns.length ?? null;
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
    const plan = await this.plan(input, options).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'BAD_USER_INPUT') this.refused(input);
      throw error;
    });
    // Test-then-train: the serving model scores labelled rows before they are stored.
    const model = plan.labels ? await this.modelOrLook() : await this.holder.ensure();
    const scored =
      plan.labels && model
        ? model.forest.predict(modelRows(plan.features, model.nFeatures, model.caps))
        : null;
    let correct = 0;
    const rows: RowToStore[] = plan.features.map((f, i) => {
      const label = plan.labels ? plan.labels[i]! : null;
      // A row without a class is stored as in an unlabelled batch: features only, not scored.
      const scoredLabel = scored && label !== null ? (scored[i] ?? null) : null;
      if (label !== null && scoredLabel === label) correct++;
      return { features: f, label, scoredLabel, scoredVersion: scoredLabel === null ? null : model!.version };
    });
    const labelledRows = rows.filter((r) => r.label !== null).length;
    const header = {
      batchId,
      rowCount: rows.length,
      labelledCount: labelledRows,
      source: input.source ?? 'graphql',
    };
    // The usual case (schema unchanged, batch within one statement): one atomic statement.
    // A large one streams its rows in by binary COPY, in the header's transaction.
    const store = rows.length >= COPY_MIN_ROWS ? copyBatchWithRows : insertBatchWithRows;
    const stored =
      plan.next === null && rows.length <= ROWS_PER_STATEMENT
        ? (await store(this.sql, this.pipeline.id, header, rows)) !== null
        : await this.storeInTransaction(header, rows, plan, this.replan(input));
    if (!stored) {
      const modelVersion = model?.version ?? null;
      return {
        batchId,
        duplicate: true,
        rowsStored: 0,
        labelledRows: 0,
        scoredRows: 0,
        batchAccuracy: null,
        modelVersion,
      };
    }
    this.schemas.remember(plan);
    this.served(rows.length, labelledRows);
    if (scored && labelledRows > 0) this.hooks.onScored?.(model!, labelledRows - correct, labelledRows);
    const missing = missingCells(input, plan.features);
    for (const o of this.observers) o.quality?.({ path: 'ingest', missing, unseenCategories: 0 });
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

  private refused(input: IngestInput): void {
    const batch = Array.isArray(input.records)
      ? input.records
      : Array.isArray(input.features)
        ? input.features
        : [];
    for (const o of this.observers) o.refused?.(Math.max(1, batch.length));
  }

  private served(rows: number, labelled: number): void {
    this.hooks.onRowsServed?.(rows);
    for (const o of this.observers) o.ingested?.(rows);
    if (labelled > 0) this.hooks.onLabelledRows?.(labelled);
  }

  /** The batch as numbers: records against the schema, or positional rows on a numeric schema. */
  private async plan(input: IngestInput, options: WriterOptions): Promise<IngestPlan> {
    if ((input.records ?? null) === null && (input.features ?? null) === null) {
      throw badInput('send records (rows keyed by column name) or features (positional rows)');
    }
    if (input.records !== undefined && input.records !== null) {
      if (input.features !== undefined && input.features !== null) {
        throw badInput('send either records or features, not both');
      }
      return this.checked(await this.schemas.planRecords(this.recordsInput(input)), options);
    }
    // Named classes beside positional rows; on a pipeline of class numbers a text label is refused.
    const named = (await this.schemas.current())?.label.kind !== 'integer';
    if (named && Array.isArray(input.labels) && input.labels.some((l) => typeof l === 'string')) {
      return this.checked(await this.schemas.planRecords(await this.positionalAsRecords(input)), options);
    }
    return this.planPositional(input, options);
  }

  /** A records plan whose classes stay within what this writer may add (see labelLimit). */
  private checked(plan: IngestPlan, options: WriterOptions): IngestPlan {
    const limit = this.labelLimit(options);
    const i = plan.labels ? plan.labels.findIndex((k) => k !== null && k > limit.max) : -1;
    if (i >= 0) {
      const k = plan.labels![i]!;
      throw badInput(
        `records[${i}]: class ${JSON.stringify(classValue(plan.schema, k))} would be class number ${k}: ${limit.reason}`,
        {
          row: i,
          max: limit.max,
        },
      );
    }
    return plan;
  }

  private recordsInput(input: IngestInput) {
    if (input.labels !== undefined && input.labels !== null && !Array.isArray(input.labels)) {
      throw badInput('labels must be a list with one class per record');
    }
    return {
      records: input.records as DataRecord[],
      labels: (input.labels as CellValue[] | null | undefined) ?? null,
      labelColumn: input.labelColumn ?? null,
    };
  }

  /** Positional rows with named classes: keyed by the schema's column names, then as records. */
  private async positionalAsRecords(input: IngestInput) {
    const expected = await this.featureCount();
    const features = validateFeatureMatrix(input.features, this.matrixLimits(expected));
    const names =
      (await this.schemas.current())?.columns.map((c) => c.name) ??
      positionalSchema(features[0]!.length).columns.map((c) => c.name);
    const records = features.map((row) => Object.fromEntries(names.map((n, j) => [n, row[j]])));
    return { records, labels: input.labels as CellValue[], labelColumn: input.labelColumn ?? null };
  }

  private matrixLimits(expected: number | null) {
    return {
      maxRows: this.config.data.maxBatchRows,
      expectedFeatures: expected,
      maxWidth: this.config.data.maxFeaturesPerRow,
      maxMagnitude: this.config.data.maxFeatureMagnitude,
    };
  }

  private async planPositional(input: IngestInput, options: WriterOptions): Promise<IngestPlan> {
    const expected = await this.featureCount();
    const features = validateFeatureMatrix(input.features, this.matrixLimits(expected));
    const { schema, first } = await this.schemas.positional(features[0]!.length);
    if (schema.label.kind === 'string' && input.labels !== undefined && input.labels !== null) {
      throw badInput(
        `this pipeline's classes are named (${schema.label.classes.slice(0, 5).join(', ')}): send the class names as labels`,
      );
    }
    const labels =
      input.labels === undefined || input.labels === null
        ? null
        : validateIngestLabels(input.labels, features.length, this.labelLimit(options));
    const additions = { categories: new Map<number, string[]>(), classes: [] };
    return {
      features,
      labels,
      additions,
      unseenCategories: 0,
      schema,
      next: first ? schema : null,
      baseVersion: -1,
    };
  }

  /** The plan again against the stored schema, when another writer changed it meanwhile. */
  private replan(input: IngestInput): (schema: TableSchema) => IngestPlan {
    if (input.records !== undefined && input.records !== null)
      return replanner(this.recordsInput(input), this.config);
    return (schema) => {
      const width = (input.features as unknown[][])[0]!.length;
      if (schema.columns.length !== width) {
        throw badInput(
          `rows have ${width} features; this platform takes ${schema.columns.length} features per row`,
          {
            got: width,
            expected: schema.columns.length,
          },
        );
      }
      return {
        features: [],
        labels: null,
        additions: { categories: new Map(), classes: [] },
        unseenCategories: 0,
        schema,
        next: null,
        baseVersion: -2,
      };
    };
  }

  /**
   * The batch header, the schema when it changed (the pipeline row is locked meanwhile) and the
   * rows, in chunks, in one transaction. False for a duplicate.
   */
  private storeInTransaction(
    header: Parameters<typeof insertBatch>[2],
    rows: RowToStore[],
    plan: IngestPlan,
    replan: (schema: TableSchema) => IngestPlan,
  ): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const batchPk = await insertBatch(tx, this.pipeline.id, header);
      if (batchPk === null) return false;
      if (plan.next !== null) {
        const final = await this.schemas.commit(tx, plan, replan);
        if (final !== plan && final.features.length > 0) {
          // Re-encoded against a schema another writer grew meanwhile: the same values, final codes.
          rows.forEach((r, i) => {
            r.features = final.features[i]!;
            r.label = final.labels ? final.labels[i]! : null;
          });
        }
        plan.next = final.next;
      }
      await insertRows(tx, this.pipeline.id, batchPk, rows);
      return true;
    });
  }

  /** The serving model, or MODEL_NOT_READY. */
  servingModel(): ServingModel {
    const model = this.holder.current;
    if (!model) {
      throw new DomainError(
        'MODEL_NOT_READY',
        `No model is serving yet: the first version trains by itself once ${this.config.retrain.minTrainRows} labelled rows (MIN_TRAIN_ROWS) of at least two classes are stored; ${lowerMinTrainRowsHint(this.pipeline, this.config.retrain.minTrainRows)}.`,
      );
    }
    return model;
  }

  /**
   * The model in memory, loaded on first use (MODEL_CACHE_MB may have evicted it). With none yet,
   * look once: the first version may have been promoted by a worker an instant ago, before this
   * replica's notice arrived (activeModel would already name it).
   */
  private async modelOrLook(): Promise<ServingModel | null> {
    return (await this.holder.ensure()) ?? (await this.holder.refresh().catch(() => null));
  }

  async predict(input: PredictInput): Promise<PredictOutcome> {
    // One model for the whole request, even if a promotion swaps it meanwhile.
    await this.modelOrLook();
    const model = this.servingModel();
    const { schema, features, absentColumns } = await this.predictRows(input, model);
    const rows = modelRows(features, model.nFeatures, model.caps);
    const proba = score(model, rows);
    // Values the schema did not know, and categories the model never saw in training.
    const unseenCategories = model.categorical ? model.forest.countUnseenCategories(rows) : 0;
    const names = classNames(schema, model.nClasses);
    const toStore = features.map((f, i) => {
      const p = proba[i]!;
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      return { features: f, label: best, probabilities: p, modelVersion: model.version };
    });
    // The fence runs on the synchronously committed pool: it must be durable before any id after it.
    // (A large batch goes in by binary COPY: no number → text conversions on this thread.)
    const store = toStore.length >= COPY_MIN_ROWS ? copyPredictions : insertPredictions;
    const ids = await store(this.predictionSql, this.pipeline.id, toStore, () =>
      fencePredictionIds(this.sql),
    );
    this.hooks.onRowsServed?.(toStore.length);
    const missing = missingCells(input, features);
    for (const o of this.observers) {
      o.predicted?.(toStore.length);
      o.quality?.({ path: 'predict', missing, unseenCategories });
    }
    return {
      modelVersion: model.version,
      unseenCategories,
      absentColumns,
      predictions: toStore.map((p, i) => ({
        id: ids[i]!,
        label: p.label,
        classValue: classValue(schema, p.label),
        probabilities: p.probabilities,
        classProbabilities: byName(names, p.probabilities),
        modelVersion: p.modelVersion,
      })),
    };
  }

  /** The rows to score, as the serving model reads them (a column added after it was trained is left out). */
  private async predictRows(input: PredictInput, model: ServingModel) {
    if (input.records !== undefined && input.records !== null) {
      if (input.features !== undefined && input.features !== null)
        throw badInput('send either records or features, not both');
      const { schema, encoded } = await this.schemas.encodeForPredict(input.records);
      // Only the columns the serving model reads: one added after it was trained is left out anyway.
      const read = new Set(schema.columns.slice(0, model.nFeatures).map((c) => c.name));
      return {
        schema,
        features: encoded.features,
        unseenCategories: encoded.unseenCategories,
        absentColumns: (encoded.absentColumns ?? []).filter((name) => read.has(name)),
      };
    }
    const features = validateFeatureMatrix(input.features, {
      maxRows: this.config.data.maxBatchRows,
      expectedFeatures: model.nFeatures,
      maxMagnitude: this.config.data.maxFeatureMagnitude,
    });
    const schema = (await this.schemas.current()) ?? positionalSchema(model.nFeatures);
    return { schema, features, unseenCategories: 0, absentColumns: [] as string[] };
  }

  /**
   * True classes for earlier predictions: class numbers (`labels`) or the classes as written
   * (`labelNames`: `pos`, or `3`). All or nothing. A prediction that already has the same class is
   * left as it is (`unchanged`: a file sent twice); another class is a CONFLICT unless an admin
   * key corrects it.
   */
  async submitFeedback(
    input: { predictionIds: unknown; labels?: unknown; labelNames?: unknown },
    options: WriterOptions = {},
  ): Promise<{ updated: number; unchanged: number }> {
    const numericIds = this.feedbackIds(input.predictionIds);
    const labels = await this.feedbackLabels(input, numericIds.length, options);
    const updated = await this.sql.begin(async (tx) => {
      const existing = await existingPredictionIds(tx, this.pipeline.id, numericIds);
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
      const same = await predictionsWithFeedback(tx, this.pipeline.id, numericIds, labels);
      const changing = numericIds.map((id, i) => ({ id, label: labels[i]! })).filter((f) => !same.has(f.id));
      const ids = changing.map((f) => f.id);
      const updated = await recordFeedback(
        tx,
        this.pipeline.id,
        ids,
        changing.map((f) => f.label),
        options.admin === true,
      );
      if (updated.length < ids.length) {
        const done = new Set(updated);
        const labelled = ids.filter((id) => !done.has(id));
        throw new DomainError(
          'CONFLICT',
          `prediction ${labelled.slice(0, 5).join(', ')}${labelled.length > 5 ? ', …' : ''} already has feedback of another class: feedback is given once per prediction, and only an admin key can change it`,
          { labelled: labelled.slice(0, 20) },
        );
      }
      return updated;
    });
    if (updated.length > 0) this.hooks.onLabelledRows?.(updated.length);
    return { updated: updated.length, unchanged: numericIds.length - updated.length };
  }

  private feedbackIds(ids: unknown): number[] {
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
    return numericIds;
  }

  /** Feedback's classes as numbers: `labels` as sent, or `labelNames` read against the schema. */
  private async feedbackLabels(
    input: { labels?: unknown; labelNames?: unknown },
    count: number,
    options: WriterOptions,
  ): Promise<number[]> {
    const names = input.labelNames ?? null;
    const numbers = input.labels ?? null;
    if ((names === null) === (numbers === null))
      throw badInput('send labels (class numbers) or labelNames (the classes as written), one of them');
    if (numbers !== null) return validateLabels(numbers, count, this.labelLimit(options), 'labels');
    if (!Array.isArray(names) || names.length !== count) {
      throw badInput(
        `labelNames has ${Array.isArray(names) ? names.length : 'no'} entries for ${count} prediction ids: send one class per prediction`,
      );
    }
    const schema = (await this.schemas.current()) ?? positionalSchema((await this.featureCount()) ?? 1);
    // Class numbers written as text ("3") keep the limits of class numbers.
    const classes = encodeClassNames(schema, names as CellValue[], 'labelNames');
    return validateLabels(classes, count, this.labelLimit(options), 'labelNames');
  }
}

/** The probability of each class keyed by its name (built in one object: a batch has one per row). */
function byName(names: readonly string[], probabilities: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < names.length; k++) out[names[k]!] = probabilities[k] ?? 0;
  return out;
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
