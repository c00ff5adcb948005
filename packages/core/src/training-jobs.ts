import type { Sql } from '@automl-stream/db';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import {
  countTrainingJobs,
  driftRetrainFitting,
  getTrainingJob,
  getTrainingJobs,
  listTrainingJobs,
  type TrainingJobRecord,
  type TrainingStatus,
} from './storage/training-storage.ts';

export interface TrainingJobPage {
  items: TrainingJobRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** Training jobs as the API reads them (RetrainService runs them). */
export class TrainingJobs {
  constructor(
    private readonly sql: Sql,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  async page(options: { limit: number; offset: number; status?: TrainingStatus }): Promise<TrainingJobPage> {
    const [items, total] = await Promise.all([
      listTrainingJobs(this.sql, this.pipeline.id, options),
      countTrainingJobs(this.sql, this.pipeline.id, options.status),
    ]);
    return { items, total, limit: options.limit, offset: options.offset };
  }

  /** Whether a drift-triggered retrain is fitting its model (trees under way). */
  driftRetrainFitting(): Promise<boolean> {
    return driftRetrainFitting(this.sql, this.pipeline.id);
  }

  /** A job by id; undefined for an id that is not a positive whole number or not stored. */
  async get(id: number): Promise<TrainingJobRecord | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    return getTrainingJob(this.sql, this.pipeline.id, id);
  }

  /** Jobs by id, in one query (the GraphQL batch loader's source). */
  getMany(ids: number[]): Promise<TrainingJobRecord[]> {
    return getTrainingJobs(this.sql, this.pipeline.id, ids);
  }
}
