/** Which pipeline a service works on: its id (the rows' `pipeline_id`) and its name. */
export interface PipelineRef {
  readonly id: number;
  readonly name: string;
}

/** The pipeline every database has (drizzle/0006 and 0007: id 1), and every call without one uses. */
export const DEFAULT_PIPELINE_REF: PipelineRef = Object.freeze({ id: 1, name: 'default' });
