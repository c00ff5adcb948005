import type { IngestResult, PredictionResult, PredictOutcome } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { ingestIn, pipelineArg, predictIn, scoped, writablePipelineOf } from './pipeline-arg.ts';

const IngestInput = builder.inputType('IngestInput', {
  fields: (t) => ({
    features: t.field({
      type: t.listRef(t.listRef('Float')),
      required: false,
      description: 'Rows of numeric features, in the schema’s column order (the original pipeline’s form).',
    }),
    records: t.field({
      type: ['JSON'],
      required: false,
      description:
        'Rows keyed by column name: values are numbers, strings, booleans or null (missing; "", "NA", "N/A", "NaN", "?" also read as missing). The label goes under its column name, or in labels/labelNames. The first batch fixes the schema when none was declared (defineSchema).',
    }),
    labelColumn: t.string({
      required: false,
      description:
        'The label column of a first records batch (default "label"); later batches use the schema’s.',
    }),
    labelNames: t.stringList({
      required: { list: false, items: false },
      description:
        'Class of each row by name (e.g. "pos"), instead of labels; null (or "NA", "") for a row whose class is unknown.',
    }),
    labels: t.intList({
      required: { list: false, items: false },
      description:
        'Class of each row (0..K-1): below MAX_CLASSES, and for a writer key at most MAX_NEW_CLASSES beyond the serving model’s classes. Null for a row whose class is unknown: it is stored without one (its features count for drift, not for training).',
    }),
    batchId: t.string({
      required: false,
      description:
        'Idempotency key: a batch re-sent with the same id stores nothing and answers duplicate: true. Without one, the server makes a new id each time, so a client that retries after a lost answer stores the batch twice: always send one.',
    }),
  }),
});

const PredictInput = builder.inputType('PredictInput', {
  fields: (t) => ({
    features: t.field({
      type: t.listRef(t.listRef('Float')),
      required: false,
      description: 'Positional rows.',
    }),
    records: t.field({
      type: ['JSON'],
      required: false,
      description:
        'Rows keyed by column name; a category the model never saw counts as missing (see unseenCategories).',
    }),
  }),
});

const FeedbackInput = builder.inputType('FeedbackInput', {
  fields: (t) => ({
    predictionIds: t.idList({ description: 'Ids returned by predict.' }),
    labels: t.intList({
      required: false,
      description: 'The true class of each prediction as a class number (0..K-1), in the same order.',
    }),
    labelNames: t.stringList({
      required: false,
      description:
        'The true class of each prediction as written (e.g. "pos"; "3" for class numbers), instead of labels. Every one must be a class of the pipeline.',
    }),
  }),
});

const IngestResultRef = builder.objectRef<IngestResult>('IngestResult').implement({
  fields: (t) => ({
    batchId: t.exposeString('batchId'),
    duplicate: t.exposeBoolean('duplicate', {
      description: 'This batch id was stored before; nothing was stored now.',
    }),
    rowsStored: t.exposeInt('rowsStored'),
    labelledRows: t.exposeInt('labelledRows'),
    scoredRows: t.exposeInt('scoredRows', {
      description: 'Labelled rows the serving model scored before storing (test-then-train).',
    }),
    batchAccuracy: t.exposeFloat('batchAccuracy', { nullable: true }),
    modelVersion: t.exposeInt('modelVersion', { nullable: true }),
  }),
});

const PredictionRef = builder.objectRef<PredictionResult>('Prediction').implement({
  fields: (t) => ({
    id: t.id({
      resolve: (p) => String(p.id),
      description: 'Use with submitFeedback when the true label arrives.',
    }),
    label: t.exposeInt('label', { description: 'The class index (0..K-1).' }),
    className: t.string({
      description: 'The class as it was given: its name (e.g. "pos"), or the class number as text.',
      resolve: (p) => String(p.classValue),
    }),
    probabilities: t.floatList({ resolve: (p) => p.probabilities, description: 'By class index.' }),
    classProbabilities: t.field({
      type: 'JSON',
      description: 'The probability of each class keyed by class name, e.g. {"pos": 0.8, "neg": 0.2}.',
      resolve: (p) => p.classProbabilities,
    }),
    modelVersion: t.exposeInt('modelVersion'),
  }),
});

const PredictResultRef = builder.objectRef<PredictOutcome>('PredictResult').implement({
  fields: (t) => ({
    modelVersion: t.exposeInt('modelVersion'),
    unseenCategories: t.exposeInt('unseenCategories', {
      description: 'Cells whose category the pipeline had never seen: the model read them as missing.',
    }),
    absentColumns: t.exposeStringList('absentColumns', {
      description:
        'Columns the serving model reads that no record carried (records only): predicted as missing in every row. Usually a misspelt or forgotten key; send null for a value that is missing.',
    }),
    predictions: t.field({ type: [PredictionRef], resolve: (r) => r.predictions }),
  }),
});

const FeedbackResultRef = builder
  .objectRef<{ updated: number; unchanged: number }>('FeedbackResult')
  .implement({
    fields: (t) => ({
      updated: t.exposeInt('updated', {
        description: 'Predictions whose true class was recorded (or corrected) now.',
      }),
      unchanged: t.exposeInt('unchanged', {
        description:
          'Predictions that already had this class as feedback (the same labels sent again): left as they were.',
      }),
    }),
  });

builder.mutationFields((t) => ({
  ingest: t.field({
    authScopes: scoped('writer'),
    type: IngestResultRef,
    description:
      'Store a batch of rows (with labels when known) in one transaction: all or nothing (writer). Into a pipeline that does not exist yet, the batch creates it with the schema it brings (unless AUTO_CREATE_PIPELINES=false).',
    args: { input: t.arg({ type: IngestInput }), pipeline: pipelineArg(t) },
    resolve: (_r, args, ctx) => ingestIn(ctx, args),
  }),
  predict: t.field({
    authScopes: scoped('writer'),
    type: PredictResultRef,
    description: 'Predict with the serving model; every prediction is stored before the answer (writer).',
    args: { input: t.arg({ type: PredictInput }), pipeline: pipelineArg(t) },
    resolve: (_r, args, ctx) => predictIn(ctx, args),
  }),
  submitFeedback: t.field({
    authScopes: scoped('writer'),
    type: FeedbackResultRef,
    description:
      'True labels for earlier predictions (writer); they feed accuracy and concept-drift detection. Prediction ids are those of this pipeline.',
    args: { input: t.arg({ type: FeedbackInput }), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => {
      const pipeline = await writablePipelineOf(ctx, args, { create: false });
      return pipeline.data.submitFeedback(args.input, { admin: ctx.principal.role === 'admin' });
    },
  }),
}));
