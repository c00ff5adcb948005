import type { Sql } from '@automl-stream/db';
import { DEFAULT_PIPELINE_REF, type PipelineRef } from './pipeline-ref.ts';
import {
  countDriftChecks,
  type DriftCheckRecord,
  getDriftCheck,
  listDriftChecks,
} from './storage/drift-storage.ts';
import type { StoredEvent } from './storage/events-storage.ts';

export interface DriftCheckPage {
  items: DriftCheckRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** The recorded drift checks, as the API reads them (the checks themselves run in DriftPolicy). */
export class DriftChecks {
  constructor(
    private readonly sql: Sql,
    readonly pipeline: PipelineRef = DEFAULT_PIPELINE_REF,
  ) {}

  async page(options: { limit: number; offset: number; driftedOnly: boolean }): Promise<DriftCheckPage> {
    const [items, total] = await Promise.all([
      listDriftChecks(this.sql, this.pipeline.id, options),
      countDriftChecks(this.sql, this.pipeline.id, options.driftedOnly),
    ]);
    return { items, total, limit: options.limit, offset: options.offset };
  }

  /** A check by id; undefined for an id that is not a positive whole number or not stored. */
  async get(id: number): Promise<DriftCheckRecord | undefined> {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    return getDriftCheck(this.sql, this.pipeline.id, id);
  }

  /** The check a `drift.checked` / `drift.detected` event announces (written before the event). */
  async ofEvent(event: StoredEvent): Promise<DriftCheckRecord | undefined> {
    return this.get(Number(event.payload.driftCheckId));
  }
}
