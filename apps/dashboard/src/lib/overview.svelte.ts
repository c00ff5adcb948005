/**
 * Data of the overview page. Everything is pushed: the cards follow `statsUpdated` (LiveState);
 * the accuracy series and class distribution are re-read when a stats tick says rows or
 * predictions changed (so at most once per STATS_INTERVAL_MS, however many predictions per
 * second the platform serves); the drift and training charts are re-read when the event feed
 * announces a drift check or a training run; the event list grows from `platformEvents`.
 * After a reconnect everything is re-read, since events are not replayed.
 */
import {
  DashboardLiveSeriesDocument,
  type DashboardLiveSeriesQuery,
  DashboardOverviewDocument,
  type DashboardOverviewQuery,
  DashboardPlatformEventsDocument,
} from '@automl-stream/sdk';
import { coalesce } from './coalesce.ts';
import { LISTED_EVENT_TYPES, mergeEvents, type PlatformEventInput } from './events.ts';
import type { LiveState, Stats } from './live.svelte.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';
import { accuracyBucketSize, seriesChanged } from './series.ts';

/** Events that change what the overview's drift and training charts show. */
const REREAD_ON = new Set([
  'drift.checked',
  'training.started',
  'training.finished',
  'training.failed',
  'model.promoted',
  'model.rolled_back',
]);

/** Most accuracy buckets asked for (accuracyBucketSize keeps the series near 300 points). */
const ACCURACY_BUCKETS = 400;

export class OverviewState {
  overview = $state.raw<DashboardOverviewQuery | null>(null);
  series = $state.raw<DashboardLiveSeriesQuery | null>(null);
  events = $state.raw<PlatformEventInput[]>([]);
  /** The last failed read, shown above the charts until a read succeeds. */
  error = $state<string | null>(null);

  constructor(
    private readonly platform: PlatformConnection,
    private readonly live: LiveState,
    readonly pipeline: string,
  ) {}

  /** The live totals when they are this pipeline's (the layout may still follow the previous one). */
  liveStats(): Stats | null {
    return this.live.pipeline === this.pipeline ? this.live.stats : null;
  }

  start(): () => void {
    const readOverview = coalesce(async () => {
      try {
        const data = await this.platform.query(DashboardOverviewDocument, {
          pipeline: this.pipeline,
          eventsLimit: 50,
          eventTypes: LISTED_EVENT_TYPES,
          driftLimit: 100,
          jobsLimit: 100,
        });
        this.overview = data;
        this.events = mergeEvents(this.events, data.events);
        this.error = null;
      } catch (error) {
        this.error = describeError(error);
      }
    });
    const readSeries = coalesce(async () => {
      const labelled = this.liveStats()?.labelledRows ?? this.overview?.stats.labelledRows ?? 0;
      try {
        this.series = await this.platform.query(DashboardLiveSeriesDocument, {
          pipeline: this.pipeline,
          bucketSize: accuracyBucketSize(labelled),
          buckets: ACCURACY_BUCKETS,
        });
      } catch (error) {
        this.error = describeError(error);
      }
    });
    const stops = [
      this.platform.subscribe(DashboardPlatformEventsDocument, { pipeline: this.pipeline }, (data) => {
        const event = data.platformEvents;
        this.events = mergeEvents(this.events, [event]);
        if (REREAD_ON.has(event.type)) void readOverview();
      }),
      this.live.onStats((stats, previous) => {
        if (this.live.pipeline === this.pipeline && seriesChanged(stats, previous)) void readSeries();
      }),
      this.platform.onReconnect(() => {
        void readOverview();
        void readSeries();
      }),
    ];
    void readOverview();
    void readSeries();
    return () => {
      for (const stop of stops) stop();
    };
  }
}
