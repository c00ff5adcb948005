import type { ColumnType, LabelSpec, SchemaColumn, TableSchema } from '@automl-stream/table';
import { badInput } from '../errors.ts';

/** Column names of a schema, in order. */
export const columnNames = (schema: TableSchema) => schema.columns.map((c) => c.name);

/** The numeric schema of the original pipeline: `n` numeric columns f0..f(n-1), integer classes. */
export function positionalSchema(n: number): TableSchema {
  return {
    columns: Array.from({ length: n }, (_, i) => ({ name: `f${i}`, type: 'numeric', nullable: false })),
    label: { name: 'label', kind: 'integer', classes: [] },
  };
}

/** Whether rows may be sent as positional numbers (`features: [[Float]]`): every column numeric. */
export const isPositional = (schema: TableSchema) =>
  schema.columns.every((c) => c.type === 'numeric' || c.type === 'boolean');

/** Class names in index order (integer classes: "0".."K-1" for the `n` classes the model knows). */
export function classNames(schema: TableSchema, nClasses: number): string[] {
  if (schema.label.kind === 'string') {
    return Array.from({ length: nClasses }, (_, k) => schema.label.classes[k] ?? String(k));
  }
  return Array.from({ length: nClasses }, (_, k) => String(k));
}

/** The class of index `k` as it was given: the integer for integer classes, else its name. */
export const classValue = (schema: TableSchema, k: number): string | number =>
  schema.label.kind === 'integer' ? k : (schema.label.classes[k] ?? String(k));

/** 1 to 100 printable characters (no control characters: \p{Cc}). */
const NAME = /^\P{Cc}{1,100}$/u;
const TYPES: ColumnType[] = ['numeric', 'categorical', 'boolean'];

/**
 * A schema as sent by a person (the `defineSchema` mutation, `ingest --schema`), checked: names
 * unique and printable, known types, a label column that is not a feature. Categories and classes
 * may be listed up front (their order fixes their codes).
 */
export function parseSchema(input: unknown, maxColumns: number): TableSchema {
  if (typeof input !== 'object' || input === null)
    throw badInput('the schema must be an object with columns and label');
  const { columns, label } = input as { columns?: unknown; label?: unknown };
  if (!Array.isArray(columns) || columns.length === 0)
    throw badInput('schema.columns must be a non-empty list of columns');
  if (columns.length > maxColumns) {
    throw badInput(
      `schema.columns has ${columns.length} columns; at most ${maxColumns} are accepted (MAX_FEATURES_PER_ROW)`,
    );
  }
  const parsed = columns.map((c, i) => parseColumn(c, i));
  const names = new Set<string>();
  for (const c of parsed) {
    if (names.has(c.name))
      throw badInput(`schema.columns names ${JSON.stringify(c.name)} twice: column names must be unique`);
    names.add(c.name);
  }
  const spec = parseLabel(label);
  if (names.has(spec.name)) {
    throw badInput(
      `the label column ${JSON.stringify(spec.name)} is also listed as a feature column: list it only as label`,
    );
  }
  return { columns: parsed, label: spec };
}

/**
 * Why a name is refused, showing it. A name of hundreds of characters is mostly a whole header
 * read as one column: the file's separator is not the one it was read with.
 */
function nameProblem(where: string, name: unknown): string {
  const rule = `${where} must be 1 to 100 printable characters`;
  if (typeof name !== 'string' || name === '') return rule;
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
  if (name.length <= 100) return `${rule} (got ${shown}, which holds a control character)`;
  const split = /[;\t|,]/.exec(name)?.[0];
  const hint = split
    ? `; it holds ${JSON.stringify(split)}: is this a whole header read as one column? Give the file's separator (ingest --delimiter)`
    : '';
  return `${rule} (got ${name.length}: ${shown})${hint}`;
}

function parseColumn(c: unknown, i: number): SchemaColumn {
  const where = `schema.columns[${i}]`;
  if (typeof c !== 'object' || c === null) throw badInput(`${where} must be an object with name and type`);
  const { name, type, nullable, categories } = c as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME.test(name)) throw badInput(nameProblem(`${where}.name`, name));
  if (!TYPES.includes(type as ColumnType)) {
    throw badInput(
      `column ${JSON.stringify(name)}: type must be numeric, categorical or boolean (got ${JSON.stringify(type)})`,
    );
  }
  if (nullable !== undefined && typeof nullable !== 'boolean')
    throw badInput(`column ${JSON.stringify(name)}: nullable must be true or false`);
  const column: SchemaColumn = { name, type: type as ColumnType, nullable: nullable ?? true };
  if (type === 'categorical')
    column.categories = parseNames(categories, `column ${JSON.stringify(name)}: categories`);
  else if (categories !== undefined)
    throw badInput(`column ${JSON.stringify(name)}: only categorical columns have categories`);
  return column;
}

function parseLabel(label: unknown): LabelSpec {
  if (typeof label === 'string') return { name: label, kind: 'string', classes: [] };
  if (typeof label !== 'object' || label === null)
    throw badInput('schema.label must name the label column: { "name": "class" }');
  const { name, classes, kind, closed } = label as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME.test(name)) throw badInput(nameProblem('schema.label.name', name));
  if (kind !== undefined && kind !== 'integer' && kind !== 'string')
    throw badInput('schema.label.kind must be integer or string');
  const listed = parseNames(classes, 'schema.label.classes');
  const integer =
    kind === 'integer' || (kind === undefined && listed.length > 0 && listed.every((c) => /^\d+$/.test(c)));
  if (closed !== undefined && closed !== null && typeof closed !== 'boolean')
    throw badInput('schema.label.closed must be true or false');
  if (closed === true && (integer || listed.length === 0)) {
    throw badInput('schema.label.closed needs the named classes listed in schema.label.classes');
  }
  return {
    name,
    kind: integer ? 'integer' : 'string',
    classes: integer ? [] : listed,
    ...(closed === true ? { closed: true } : {}),
  };
}

function parseNames(values: unknown, where: string): string[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw badInput(`${where} must be a list`);
  const names = values.map((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v));
  if (!names.every((v) => typeof v === 'string')) throw badInput(`${where} must be strings or numbers`);
  if (new Set(names).size !== names.length) throw badInput(`${where} lists a value twice`);
  return names as string[];
}

/**
 * The schema after a change a person asked for: columns may be added at the end (missing in older
 * rows, so nullable), categories and classes may be added; a type change, a dropped or a reordered
 * column is refused with the column's name.
 */
export function evolveSchema(stored: TableSchema, next: TableSchema): TableSchema {
  stored.columns.forEach((old, i) => {
    const now = next.columns[i];
    if (!now || now.name !== old.name) {
      const found = next.columns.findIndex((c) => c.name === old.name);
      throw badInput(
        found < 0
          ? `column ${JSON.stringify(old.name)} is in the stored schema but not in the new one: columns cannot be dropped`
          : `column ${JSON.stringify(old.name)} moved from position ${i + 1} to ${found + 1}: columns keep their order; add new ones at the end`,
        { column: old.name },
      );
    }
    if (now.type !== old.type) {
      throw badInput(
        `column ${JSON.stringify(old.name)} is ${old.type}; it cannot become ${now.type} (stored rows would change meaning)`,
        {
          column: old.name,
        },
      );
    }
  });
  if (next.label.name !== stored.label.name || next.label.kind !== stored.label.kind) {
    throw badInput(
      `the label column is ${JSON.stringify(stored.label.name)} with ${stored.label.kind} classes; it cannot change`,
    );
  }
  const columns = next.columns.map((c, i) => {
    const old = stored.columns[i];
    if (!old) return { ...c, nullable: true };
    return old.type === 'categorical'
      ? { ...old, categories: union(old.categories ?? [], c.categories ?? []) }
      : old;
  });
  const closed = next.label.closed === true ? { closed: true } : {};
  const { closed: _was, ...label } = stored.label;
  return {
    columns,
    label: { ...label, classes: union(stored.label.classes, next.label.classes), ...closed },
  };
}

/** `a` then the values of `b` not in `a`: codes already given never move. */
export function union(a: string[], b: string[]): string[] {
  const seen = new Set(a);
  const added: string[] = [];
  for (const v of b) {
    if (seen.has(v)) continue;
    seen.add(v);
    added.push(v);
  }
  return [...a, ...added];
}
