/**
 * @automl-stream/table — how the platform reads a table's cells, shared by the server and the
 * command line so both read a file the same way: the schema's types, the missing-value tokens,
 * numbers and booleans from text, and a column's type inferred from its values. Pure: no I/O.
 */
export {
  asBoolean,
  asNumber,
  type CellValue,
  type ColumnType,
  isMissing,
  type LabelSpec,
  MISSING_TOKENS,
  type SchemaColumn,
  type TableSchema,
} from './cells.ts';
export { ColumnEvidence, type DataRecord, inferColumnType, inferLabel, inferSchema } from './infer.ts';
export { PIPELINE_NAME } from './names.ts';
