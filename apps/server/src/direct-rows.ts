import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLString,
  getOperationAST,
  Kind,
  locatedError,
  type SelectionSetNode,
  type TypeNode,
} from 'graphql';
import type { GraphQLContext, Principal } from './context.ts';
import { hasRole, mayUsePipeline } from './roles.ts';
import { ingestIn, predictIn } from './schema/pipeline-arg.ts';

/**
 * `predict` and `ingest` answered without the executor: its variable coercion, field resolution
 * and completion cost about as much as scoring and storing one row (0.16 ms against 0.16 ms in
 * process). Only the plainest case is answered here: one such field whose input is a variable
 * holding values its coercion would take unchanged (rows of finite numbers, records, whole
 * labels within 32 bits, strings), the caller allowed (writer role, the pipeline among its
 * key's), plain fields selected. Everything else (values that would need coercion or be
 * refused, a refused caller) goes to the executor, so every refusal and message stays its own. The answer is built as the
 * executor builds it: the resolvers' own functions and values through the same scalars, keys in
 * selection order, a thrown error located at the field with `data: null`.
 */

type Leaf = (value: unknown) => unknown;
interface Selected {
  key: string;
  read: (source: never) => unknown;
  leaf?: Leaf;
  list?: Selected[];
}

export interface DirectPlan {
  spec: FieldSpec;
  field: FieldNode;
  key: string;
  input: string;
  /** A variable (and whether its type is non-null), a literal, or none. */
  pipeline: { variable: string; nonNull: boolean } | { value: string } | null;
  selection: Selected[];
}

export interface RowsRequest {
  pipeline: string | null | undefined;
  input: Record<string, unknown>;
}

/** What the direct path knows of a root field: its input type, a strict input check, its result. */
interface FieldSpec {
  inputType: string;
  inputOk: (input: Record<string, unknown>) => boolean;
  selection: Record<string, Omit<Selected, 'key'>>;
  resolve: (context: GraphQLContext, request: RowsRequest) => Promise<unknown>;
}

type Prediction = {
  id: number;
  label: number;
  classValue: unknown;
  probabilities: number[];
  classProbabilities: unknown;
  modelVersion: number;
};
type PredictResult = {
  modelVersion: number;
  unseenCategories: number;
  absentColumns: string[];
  predictions: Prediction[];
};

const floats: Leaf = (value) => (value as number[]).map((v) => GraphQLFloat.serialize(v));
const PREDICTION_FIELDS: Record<string, Omit<Selected, 'key'>> = {
  id: { read: (p: Prediction) => String(p.id), leaf: (v) => GraphQLID.serialize(v) },
  label: { read: (p: Prediction) => p.label, leaf: (v) => GraphQLInt.serialize(v) },
  className: { read: (p: Prediction) => String(p.classValue), leaf: (v) => GraphQLString.serialize(v) },
  probabilities: { read: (p: Prediction) => p.probabilities, leaf: floats },
  classProbabilities: { read: (p: Prediction) => p.classProbabilities, leaf: (v) => v },
  modelVersion: { read: (p: Prediction) => p.modelVersion, leaf: (v) => GraphQLInt.serialize(v) },
};
const PREDICT_FIELDS: Record<string, Omit<Selected, 'key' | 'list'>> = {
  modelVersion: { read: (r: PredictResult) => r.modelVersion, leaf: (v) => GraphQLInt.serialize(v) },
  unseenCategories: { read: (r: PredictResult) => r.unseenCategories, leaf: (v) => GraphQLInt.serialize(v) },
  absentColumns: {
    read: (r: PredictResult) => r.absentColumns,
    leaf: (v) => (v as string[]).map((name) => GraphQLString.serialize(name)),
  },
  predictions: { read: (r: PredictResult) => r.predictions },
};
type IngestResult = Record<string, unknown>;
const nullable =
  (leaf: Leaf): Leaf =>
  (v) =>
    v === null || v === undefined ? null : leaf(v);
const INGEST_FIELDS: Record<string, Omit<Selected, 'key' | 'list'>> = {
  batchId: { read: (r: IngestResult) => r.batchId, leaf: (v) => GraphQLString.serialize(v) },
  duplicate: { read: (r: IngestResult) => r.duplicate, leaf: (v) => GraphQLBoolean.serialize(v) },
  rowsStored: { read: (r: IngestResult) => r.rowsStored, leaf: (v) => GraphQLInt.serialize(v) },
  labelledRows: { read: (r: IngestResult) => r.labelledRows, leaf: (v) => GraphQLInt.serialize(v) },
  scoredRows: { read: (r: IngestResult) => r.scoredRows, leaf: (v) => GraphQLInt.serialize(v) },
  batchAccuracy: {
    read: (r: IngestResult) => r.batchAccuracy,
    leaf: nullable((v) => GraphQLFloat.serialize(v)),
  },
  modelVersion: { read: (r: IngestResult) => r.modelVersion, leaf: nullable((v) => GraphQLInt.serialize(v)) },
};

/** Each input field answered here, with what its coercion takes unchanged (null: absent). */
const INPUT_FIELDS: Record<string, (value: unknown) => boolean> = {
  features: (v) => v === null || isNumberRows(v),
  records: (v) => v === null || (Array.isArray(v) && v.every((r) => r !== null)),
  labels: (v) => v === null || isIntList(v),
  labelNames: (v) => v === null || (Array.isArray(v) && v.every((n) => typeof n === 'string')),
  labelColumn: (v) => v === null || typeof v === 'string',
  batchId: (v) => v === null || typeof v === 'string',
};
const PREDICT_INPUT = ['features', 'records'];
const INGEST_INPUT = ['features', 'records', 'labels', 'labelNames', 'labelColumn', 'batchId'];
const SPECS: Record<string, FieldSpec> = {
  predict: {
    inputType: 'PredictInput',
    inputOk: (input) => takenUnchanged(input, PREDICT_INPUT),
    selection: PREDICT_FIELDS,
    resolve: (context, request) => predictIn(context, request as Parameters<typeof predictIn>[1]),
  },
  ingest: {
    inputType: 'IngestInput',
    inputOk: (input) => takenUnchanged(input, INGEST_INPUT),
    selection: INGEST_FIELDS,
    resolve: (context, request) => ingestIn(context, request as Parameters<typeof ingestIn>[1]),
  },
};

/** The plan of a document this module can answer, or null. */
export function planDirectRows(
  document: DocumentNode,
  operationName: string | null | undefined,
): DirectPlan | null {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'mutation') return null;
  if (document.definitions.some((d) => d.kind === Kind.FRAGMENT_DEFINITION)) return null;
  const types = new Map<string, TypeNode>();
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue) return null;
    types.set(v.variable.name.value, v.type);
  }
  const [field, ...more] = operation.selectionSet.selections;
  if (!field || more.length > 0 || field.kind !== Kind.FIELD) return null;
  const spec = Object.hasOwn(SPECS, field.name.value) ? SPECS[field.name.value] : undefined;
  if (!spec) return null;
  let input: string | null = null;
  let pipeline: DirectPlan['pipeline'] = null;
  for (const arg of field.arguments ?? []) {
    const value = arg.value;
    if (arg.name.value === 'input' && value.kind === Kind.VARIABLE) {
      if (namedType(types.get(value.name.value)) !== spec.inputType) return null;
      input = value.name.value;
    } else if (arg.name.value === 'pipeline' && value.kind === Kind.VARIABLE) {
      const type = types.get(value.name.value);
      if (namedType(type) !== 'String') return null;
      pipeline = { variable: value.name.value, nonNull: type?.kind === Kind.NON_NULL_TYPE };
    } else if (arg.name.value === 'pipeline' && value.kind === Kind.STRING) {
      pipeline = { value: value.value };
    } else return null;
  }
  const selection = input ? selected(field.selectionSet, spec.selection) : null;
  if (!input || !selection) return null;
  return { spec, field, key: field.alias?.value ?? field.name.value, input, pipeline, selection };
}

function namedType(type: TypeNode | undefined): string | null {
  if (!type) return null;
  if (type.kind === Kind.NON_NULL_TYPE) return namedType(type.type);
  return type.kind === Kind.NAMED_TYPE ? type.name.value : null;
}

/** The plain fields of a selection set (no arguments, fragments, repeats or `__typename`). */
function selected(
  set: SelectionSetNode | undefined,
  fields: Record<string, Omit<Selected, 'key'>>,
): Selected[] | null {
  if (!set) return null;
  const out: Selected[] = [];
  const keys = new Set<string>();
  for (const s of set.selections) {
    if (s.kind !== Kind.FIELD || s.arguments?.length) return null;
    const known = Object.hasOwn(fields, s.name.value) ? fields[s.name.value] : undefined;
    const key = s.alias?.value ?? s.name.value;
    if (!known || keys.has(key)) return null;
    keys.add(key);
    if (s.name.value === 'predictions') {
      const list = selected(s.selectionSet, PREDICTION_FIELDS);
      if (!list) return null;
      out.push({ key, read: known.read, list });
    } else {
      if (s.selectionSet) return null;
      out.push({ key, ...known });
    }
  }
  return out;
}

/**
 * The request's arguments when this module may answer it: the input is `{ features }` alone, rows
 * of finite numbers (what Float! coercion takes unchanged), the pipeline a string or absent, and
 * the caller may predict there. Null: the executor answers (and refuses what is to be refused).
 */
export function prepareDirectRows(
  plan: DirectPlan,
  variables: Record<string, unknown> | null | undefined,
  principal: Principal,
): RowsRequest | null {
  const input = variables?.[plan.input];
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return null;
  if (!plan.spec.inputOk(input as Record<string, unknown>)) return null;
  const pipeline = plan.pipeline
    ? 'value' in plan.pipeline
      ? plan.pipeline.value
      : variables?.[plan.pipeline.variable]
    : undefined;
  if (pipeline === undefined || pipeline === null) {
    if (plan.pipeline && 'nonNull' in plan.pipeline && plan.pipeline.nonNull) return null;
  } else if (typeof pipeline !== 'string') return null;
  if (!hasRole(principal, 'writer') || !mayUsePipeline(principal, pipeline ?? 'default')) return null;
  return { pipeline, input: input as Record<string, unknown> };
}

/** The input's fields are all the type's, each a value its coercion would take unchanged. */
function takenUnchanged(input: Record<string, unknown>, fields: string[]): boolean {
  for (const key in input) {
    if (!fields.includes(key) || !INPUT_FIELDS[key]!(input[key])) return false;
  }
  return true;
}

/** Rows of finite numbers: what `[[Float!]!]` coercion takes unchanged. */
function isNumberRows(rows: unknown): boolean {
  if (!Array.isArray(rows)) return false;
  for (const row of rows) {
    if (!Array.isArray(row)) return false;
    for (const v of row) if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  }
  return true;
}

/** Whole numbers within 32 bits: what `[Int!]` coercion takes unchanged. */
function isIntList(values: unknown): boolean {
  if (!Array.isArray(values)) return false;
  for (const v of values) if (!Number.isInteger(v) || v > 2_147_483_647 || v < -2_147_483_648) return false;
  return true;
}

/** Runs the prepared request and builds the executor's answer for the plan's selection. */
export async function runDirectRows(
  plan: DirectPlan,
  request: RowsRequest,
  context: GraphQLContext,
): Promise<ExecutionResult> {
  let result: unknown;
  try {
    result = await plan.spec.resolve(context, request);
  } catch (error) {
    return { errors: [locatedError(error, [plan.field], [plan.key])], data: null };
  }
  return { data: { [plan.key]: complete(result, plan.selection) } };
}

function complete(source: unknown, selection: Selected[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of selection) {
    const value = s.read(source as never);
    if (s.list) {
      const list = s.list;
      out[s.key] = (value as unknown[]).map((item) => complete(item, list));
    } else out[s.key] = s.leaf ? s.leaf(value) : value;
  }
  return out;
}
