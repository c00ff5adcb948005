import type { IngestResult, PredictionResult } from '@automl-stream/core';
import { builder } from '../builder.ts';

const IngestInput = builder.inputType('IngestInput', {
  fields: (t) => ({
    features: t.field({ type: t.listRef(t.listRef('Float')), description: 'Rows of numeric features.' }),
    labels: t.intList({
      required: false,
      description:
        'Class of each row (0..K-1), when known: below MAX_CLASSES, and for a writer key at most MAX_NEW_CLASSES beyond the serving model’s classes.',
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
    features: t.field({ type: t.listRef(t.listRef('Float')) }),
  }),
});

const FeedbackInput = builder.inputType('FeedbackInput', {
  fields: (t) => ({
    predictionIds: t.idList({ description: 'Ids returned by predict.' }),
    labels: t.intList({ description: 'The true class of each prediction, in the same order.' }),
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
    label: t.exposeInt('label'),
    probabilities: t.floatList({ resolve: (p) => p.probabilities }),
    modelVersion: t.exposeInt('modelVersion'),
  }),
});

const PredictResultRef = builder
  .objectRef<{ modelVersion: number; predictions: PredictionResult[] }>('PredictResult')
  .implement({
    fields: (t) => ({
      modelVersion: t.exposeInt('modelVersion'),
      predictions: t.field({ type: [PredictionRef], resolve: (r) => r.predictions }),
    }),
  });

const FeedbackResultRef = builder.objectRef<{ updated: number }>('FeedbackResult').implement({
  fields: (t) => ({ updated: t.exposeInt('updated') }),
});

builder.mutationFields((t) => ({
  ingest: t.field({
    authScopes: { writer: true },
    type: IngestResultRef,
    description:
      'Store a batch of rows (with labels when known) in one transaction: all or nothing (writer).',
    args: { input: t.arg({ type: IngestInput }) },
    resolve: (_r, { input }, ctx) => {
      return ctx.platform.data.ingest(
        { ...input, source: 'graphql' },
        { admin: ctx.principal.role === 'admin' },
      );
    },
  }),
  predict: t.field({
    authScopes: { writer: true },
    type: PredictResultRef,
    description: 'Predict with the serving model; every prediction is stored before the answer (writer).',
    args: { input: t.arg({ type: PredictInput }) },
    resolve: (_r, { input }, ctx) => {
      return ctx.platform.data.predict(input);
    },
  }),
  submitFeedback: t.field({
    authScopes: { writer: true },
    type: FeedbackResultRef,
    description:
      'True labels for earlier predictions (writer); they feed accuracy and concept-drift detection.',
    args: { input: t.arg({ type: FeedbackInput }) },
    resolve: (_r, { input }, ctx) => {
      return ctx.platform.data.submitFeedback(input, { admin: ctx.principal.role === 'admin' });
    },
  }),
}));
