import type { SchemaColumn, TableSchema } from '@automl-stream/table';
import { builder } from '../builder.ts';
import { pipelineArg, pipelineOf, scoped, writablePipelineOf } from './pipeline-arg.ts';

/** Categories listed per column at most (a high-cardinality column may hold thousands). */
const CATEGORIES_SHOWN = 1000;

const ColumnTypeEnum = builder.enumType('ColumnType', {
  values: {
    NUMERIC: { value: 'numeric', description: 'Numbers; missing values are learned by the forest.' },
    CATEGORICAL: { value: 'categorical', description: 'Named values, split on category subsets.' },
    BOOLEAN: { value: 'boolean', description: 'true/false (also "true"/"false", 0/1).' },
  } as const,
});

const LabelKindEnum = builder.enumType('LabelKind', {
  values: {
    INTEGER: { value: 'integer', description: 'Classes are whole numbers 0..K-1 (the original pipeline’s).' },
    STRING: { value: 'string', description: 'Named classes, answered by name.' },
  } as const,
});

const SchemaColumnRef = builder.objectRef<SchemaColumn>('SchemaColumn').implement({
  description: 'A feature column: its name, type and whether it may be missing.',
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.field({ type: ColumnTypeEnum, resolve: (c) => c.type }),
    nullable: t.exposeBoolean('nullable'),
    categoryCount: t.int({ resolve: (c) => c.categories?.length ?? 0 }),
    categories: t.stringList({
      description: `Categorical columns: the values in code order (the first ${CATEGORIES_SHOWN}).`,
      resolve: (c) => (c.categories ?? []).slice(0, CATEGORIES_SHOWN),
    }),
  }),
});

const LabelSpecRef = builder.objectRef<TableSchema['label']>('LabelColumn').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.field({ type: LabelKindEnum, resolve: (l) => l.kind }),
    classes: t.stringList({
      description: 'Named classes in index order (empty for integer classes).',
      resolve: (l) => l.classes,
    }),
    closed: t.boolean({
      description: 'Labels outside `classes` are refused.',
      resolve: (l) => l.closed === true,
    }),
  }),
});

export const DataSchemaRef = builder.objectRef<TableSchema>('DataSchema').implement({
  description: 'The pipeline’s table: ordered feature columns and the label column.',
  fields: (t) => ({
    columns: t.field({ type: [SchemaColumnRef], resolve: (s) => s.columns }),
    label: t.field({ type: LabelSpecRef, resolve: (s) => s.label }),
  }),
});

const ColumnInput = builder.inputType('ColumnInput', {
  fields: (t) => ({
    name: t.string(),
    type: t.field({ type: ColumnTypeEnum }),
    nullable: t.boolean({ required: false, description: 'Whether a value may be missing (default true).' }),
    categories: t.stringList({ required: false, description: 'Known categories, in code order.' }),
  }),
});

const LabelInput = builder.inputType('LabelInput', {
  fields: (t) => ({
    name: t.string(),
    kind: t.field({
      type: LabelKindEnum,
      required: false,
      description: 'Default: STRING, or INTEGER when classes are all whole numbers.',
    }),
    classes: t.stringList({ required: false, description: 'Known classes, in index order.' }),
    closed: t.boolean({
      required: false,
      description: 'Refuse labels outside `classes` instead of adding them (default false).',
    }),
  }),
});

export const SchemaInput = builder.inputType('SchemaInput', {
  fields: (t) => ({
    columns: t.field({ type: [ColumnInput] }),
    label: t.field({ type: LabelInput }),
  }),
});

builder.queryField('dataSchema', (t) =>
  t.field({
    authScopes: scoped('reader'),
    type: DataSchemaRef,
    nullable: true,
    description: 'The pipeline’s table schema: null until a first batch is ingested or a schema is declared.',
    args: { pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) => (await pipelineOf(ctx, args)).schemas.current(),
  }),
);

builder.mutationField('defineSchema', (t) =>
  t.field({
    authScopes: scoped('admin'),
    type: DataSchemaRef,
    description:
      'Declare the table schema up front, or evolve it (admin): columns may be added at the end, categories and classes added; dropping, moving or retyping a column is refused with its name.',
    args: { input: t.arg({ type: SchemaInput }), pipeline: pipelineArg(t) },
    resolve: async (_r, args, ctx) =>
      (await writablePipelineOf(ctx, args, { create: true })).schemas.define(args.input),
  }),
);
