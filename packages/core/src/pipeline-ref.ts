import { PIPELINE_NAME } from '@automl-stream/table';
import { badInput } from './errors.ts';

export { PIPELINE_NAME };

/** Which pipeline a service works on: its id (the rows' `pipeline_id`) and its name. */
export interface PipelineRef {
  readonly id: number;
  readonly name: string;
}

/** The pipeline every database has (drizzle/0006 and 0007: id 1), and every call without one uses. */
export const DEFAULT_PIPELINE_REF: PipelineRef = Object.freeze({ id: 1, name: 'default' });

/** The name, checked; absent means `default`. */
export function pipelineName(name: string | null | undefined): string {
  if (name === null || name === undefined) return 'default';
  if (typeof name !== 'string' || !PIPELINE_NAME.test(name)) {
    throw badInput(
      `pipeline names are 1 to 63 characters: lowercase letters, digits, "-" and "_", starting with a letter or digit (got ${JSON.stringify(String(name).slice(0, 80))})`,
      { pipeline: String(name).slice(0, 80) },
    );
  }
  return name;
}

/**
 * How a user lowers MIN_TRAIN_ROWS for one pipeline (a table smaller than it never gets a model):
 * the CLI command, and the mutation.
 */
export function lowerMinTrainRowsHint(pipeline: PipelineRef, minTrainRows: number): string {
  const rows = Math.max(125, Math.floor(minTrainRows / 2));
  return `for a smaller table, lower MIN_TRAIN_ROWS for this pipeline: automl-stream pipelines configure ${pipeline.name} --set MIN_TRAIN_ROWS=${rows} (or the configurePipeline mutation; at least 125 in production)`;
}
