/**
 * Data of the drift checks page: a page of checks, newest first (all, or only those that found
 * drift), re-read when the event feed announces a check or a retrain's end (and after a
 * reconnect).
 */
import { DashboardDriftChecksDocument, type DashboardDriftChecksQuery } from '@automl-stream/sdk';
import { coalesce } from './coalesce.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';
import { rereadOnEvents } from './reread.ts';

export type DriftCheckRow = DashboardDriftChecksQuery['driftEvents']['items'][number];

/** Checks per page. */
export const CHECKS_PER_PAGE = 50;
const REREAD_ON = new Set(['drift.checked', 'drift.detected', 'training.finished', 'training.failed']);

/** What a check found, in words: "data drift, concept drift"; null when nothing. */
export function foundText(
  check: Pick<DriftCheckRow, 'dataDrift' | 'predictionDrift' | 'conceptDrift'>,
): string | null {
  const kinds = [
    check.dataDrift && 'data drift',
    check.predictionDrift && 'prediction drift',
    check.conceptDrift && 'concept drift',
  ].filter((kind): kind is string => typeof kind === 'string');
  return kinds.length > 0 ? kinds.join(', ') : null;
}

export class DriftChecksPageState {
  data = $state.raw<DashboardDriftChecksQuery | null>(null);
  error = $state<string | null>(null);
  offset = $state(0);
  driftedOnly = $state(false);
  private reread: () => Promise<void> = async () => {};

  constructor(
    private readonly platform: PlatformConnection,
    readonly pipeline: string,
  ) {}

  start(): () => void {
    this.reread = coalesce(async () => {
      try {
        this.data = await this.platform.query(DashboardDriftChecksDocument, {
          pipeline: this.pipeline,
          driftedOnly: this.driftedOnly,
          limit: CHECKS_PER_PAGE,
          offset: this.offset,
        });
        this.error = null;
      } catch (error) {
        this.error = describeError(error);
      }
    });
    return rereadOnEvents(this.platform, this.pipeline, REREAD_ON, () => this.reread());
  }

  /** Shows the page of checks starting at `offset` (0: the newest). */
  show(offset: number): void {
    this.offset = Math.max(0, offset);
    void this.reread();
  }

  /** All checks, or only those that found drift (from the newest again). */
  filter(driftedOnly: boolean): void {
    this.driftedOnly = driftedOnly;
    this.show(0);
  }
}
