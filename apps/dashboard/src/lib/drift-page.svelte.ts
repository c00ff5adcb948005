/**
 * Data of one drift check's page: the check with its per-feature statistics (drifted features
 * first, then by the serving model's importance: the server sends them in that order), and the
 * reference-vs-current histogram of the feature the person picked.
 */
import {
  DashboardDriftEventDocument,
  type DashboardDriftEventQuery,
  DashboardDriftHistogramDocument,
  type DashboardDriftHistogramQuery,
} from '@automl-stream/sdk';
import { coalesce } from './coalesce.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';

export type DriftEventDetail = NonNullable<DashboardDriftEventQuery['driftEvent']>;
export type FeatureHistogram = NonNullable<
  NonNullable<DashboardDriftHistogramQuery['driftEvent']>['histogram']
>;

export class DriftPageState {
  /** undefined: loading; null: no such check. */
  event = $state.raw<DriftEventDetail | null | undefined>(undefined);
  config = $state.raw<DashboardDriftEventQuery['config'] | null>(null);
  /** Index of the feature whose histogram is shown. */
  feature = $state<number | null>(null);
  /** undefined: loading; null: the check stored no histogram for this feature. */
  histogram = $state.raw<FeatureHistogram | null | undefined>(undefined);
  error = $state<string | null>(null);

  constructor(
    private readonly platform: PlatformConnection,
    readonly pipeline: string,
    private readonly id: string,
  ) {}

  start(): () => void {
    const read = coalesce(async () => {
      try {
        const data = await this.platform.query(DashboardDriftEventDocument, {
          pipeline: this.pipeline,
          id: this.id,
        });
        this.event = data.driftEvent;
        this.config = data.config;
        this.error = null;
        // First visit: the top feature (drifted and most important comes first).
        if (this.feature === null && data.driftEvent?.features[0])
          this.feature = data.driftEvent.features[0].index;
        await this.readHistogram();
      } catch (error) {
        this.error = describeError(error);
      }
    });
    const stop = this.platform.onReconnect(() => void read());
    void read();
    return stop;
  }

  async choose(feature: number): Promise<void> {
    if (feature === this.feature) return;
    this.feature = feature;
    await this.readHistogram();
  }

  private async readHistogram(): Promise<void> {
    const feature = this.feature;
    if (feature === null) {
      this.histogram = null;
      return;
    }
    this.histogram = undefined;
    try {
      const data = await this.platform.query(DashboardDriftHistogramDocument, {
        pipeline: this.pipeline,
        id: this.id,
        feature,
      });
      // A later choice may have overtaken this answer.
      if (this.feature === feature) this.histogram = data.driftEvent?.histogram ?? null;
    } catch (error) {
      this.error = describeError(error);
    }
  }
}
