import { badInput, PIPELINE_SETTINGS, type PipelineInfo, type PipelineSummary } from '@automl-stream/core';
import { builder } from '../builder.ts';
import { mayUsePipeline } from '../roles.ts';
import { DataSchemaRef, SchemaInput } from './table.ts';

const PipelineAttentionEnum = builder.enumType('PipelineAttention', {
  description: 'What a pipeline needs, most urgent first.',
  values: {
    DRIFT: { value: 'drift', description: 'Its newest drift check found drift.' },
    FAILING: { value: 'failing', description: 'Its newest event is a failed training.' },
    NO_MODEL: { value: 'no_model', description: 'No version serves yet.' },
    TRAINING: { value: 'training', description: 'A training job is queued or running.' },
    OK: { value: 'ok', description: 'Serving, no drift, nothing pending.' },
    ARCHIVED: { value: 'archived', description: 'Archived: no ingest, predictions or jobs.' },
  } as const,
});

const PipelineRef = builder.objectRef<PipelineInfo>('Pipeline').implement({
  description:
    'A named data set with its own schema, settings, model registry, drift checks, training jobs and events.',
  fields: (t) => ({
    name: t.exposeString('name'),
    settings: t.field({
      type: 'JSON',
      description:
        'Its setting overrides by environment name (e.g. {"WINDOW_SIZE": 500}); the environment gives the rest.',
      resolve: (p) => p.settings,
    }),
    dataSchema: t.field({ type: DataSchemaRef, nullable: true, resolve: (p) => p.schema }),
    archived: t.boolean({ resolve: (p) => p.archivedAt !== null }),
    archivedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.archivedAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
  }),
});

const PipelineStatusRef = builder.objectRef<PipelineSummary>('PipelineStatus').implement({
  description: 'One pipeline on the fleet page.',
  fields: (t) => ({
    pipeline: t.field({ type: PipelineRef, resolve: (s) => s.pipeline }),
    name: t.string({ resolve: (s) => s.pipeline.name }),
    attention: t.field({ type: PipelineAttentionEnum, resolve: (s) => s.attention }),
    servingVersion: t.exposeInt('servingVersion', { nullable: true }),
    accuracy: t.exposeFloat('accuracy', {
      nullable: true,
      description:
        'Accuracy of the serving version on its newest WINDOW_SIZE rows scored before their label was learned (test-then-train) and its newest WINDOW_SIZE predictions whose true class came back (feedback).',
    }),
    accuracyRows: t.exposeInt('accuracyRows'),
    lastCheckAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastCheckAt }),
    lastCheckDrifted: t.exposeBoolean('lastCheckDrifted', { nullable: true }),
    lastVerdict: t.exposeString('lastCheckVerdict', { nullable: true }),
    pendingTraining: t.int({
      description: 'Training jobs queued or running.',
      resolve: (s) => s.openTrainingJobs,
    }),
    lastEventAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.lastEventAt }),
    lastEventType: t.exposeString('lastEventType', { nullable: true }),
  }),
});

const CreatePipelineInput = builder.inputType('CreatePipelineInput', {
  fields: (t) => ({
    name: t.string({ description: '1 to 63 lowercase letters, digits, - and _.' }),
    settings: t.field({
      type: 'JSON',
      required: false,
      description: `Setting overrides by environment name: ${PIPELINE_SETTINGS.join(', ')}.`,
    }),
    schema: t.field({ type: SchemaInput, required: false, description: 'Declare the table up front.' }),
  }),
});

const settingsOf = (value: unknown): Record<string, unknown> => {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw badInput('settings must be an object of setting names to values, e.g. {"WINDOW_SIZE": 500}');
  }
  return value as Record<string, unknown>;
};

builder.queryFields((t) => ({
  pipelines: t.field({
    authScopes: { reader: true },
    type: [PipelineStatusRef],
    description:
      'Every pipeline the key may use, most urgent first (drift, failed training, no model, training, ok), with its serving version, accuracy, newest drift check and event.',
    args: { includeArchived: t.arg.boolean({ required: false }) },
    resolve: async (_r, args, ctx) => {
      const all = await ctx.platform.pipelines.summaries({ includeArchived: args.includeArchived ?? false });
      return all.filter((s) => mayUsePipeline(ctx.principal, s.pipeline.name));
    },
  }),
  pipeline: t.field({
    authScopes: (_p, args) => ({ $all: { reader: true, pipeline: args.name } }),
    type: PipelineRef,
    description: 'One pipeline by name (NOT_FOUND when there is none).',
    args: { name: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.platform.pipelines.get(args.name),
  }),
}));

builder.mutationFields((t) => ({
  createPipeline: t.field({
    authScopes: { admin: true },
    type: PipelineRef,
    description: 'Create a pipeline (admin); CONFLICT when the name is taken.',
    args: { input: t.arg({ type: CreatePipelineInput }) },
    resolve: (_r, { input }, ctx) =>
      ctx.platform.pipelines.create({
        name: input.name,
        settings: settingsOf(input.settings),
        schema: input.schema,
      }),
  }),
  configurePipeline: t.field({
    authScopes: (_p, args) => ({ $all: { admin: true, pipeline: args.name } }),
    type: PipelineRef,
    description:
      'Replace the pipeline’s setting overrides (admin); every process rebuilds its services with them.',
    args: { name: t.arg.string(), settings: t.arg({ type: 'JSON' }) },
    resolve: (_r, args, ctx) => ctx.platform.pipelines.configure(args.name, settingsOf(args.settings)),
  }),
  archivePipeline: t.field({
    authScopes: (_p, args) => ({ $all: { admin: true, pipeline: args.name } }),
    type: PipelineRef,
    description:
      'Archive a pipeline (admin): its ingest, predictions and jobs stop, its data stays readable. `archived: false` restores it.',
    args: { name: t.arg.string(), archived: t.arg.boolean({ required: false }) },
    resolve: (_r, args, ctx) => ctx.platform.pipelines.archive(args.name, args.archived ?? true),
  }),
}));
