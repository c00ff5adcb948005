/**
 * State every page of one pipeline shares, owned by the root layout: the pipeline's totals
 * (pushed by `statsUpdated`, at most once per STATS_INTERVAL_MS and only when a number changed)
 * and the progress of its training job (pushed by `trainingEvents`; a search's progress, which
 * only the event log's `training.progress` payload carries, by `platformEvents`). The layout starts it again
 * for another pipeline when the route changes pipeline. Nothing here polls.
 */
import {
  DashboardOpenTrainingDocument,
  DashboardPlatformEventsDocument,
  DashboardStatsUpdatedDocument,
  type DashboardStatsUpdatedSubscription,
  DashboardTrainingEventsDocument,
} from '@automl-stream/sdk';
import { getContext, setContext } from 'svelte';
import { coalesce } from './coalesce.ts';
import type { PlatformConnection } from './platform.svelte.ts';
import {
  applyTrainingEvent,
  progressFromJobs,
  type TrainingProgress,
  trainingEventFromLog,
} from './training.ts';

export type Stats = DashboardStatsUpdatedSubscription['statsUpdated'];

type StatsListener = (stats: Stats, previous: Stats | null) => void;

export class LiveState {
  /** Null until the first tick (the server sends the current totals on subscribe). */
  stats = $state.raw<Stats | null>(null);
  training = $state.raw<TrainingProgress | null>(null);
  /** The pipeline the numbers are of (null: stopped, e.g. on the fleet page). */
  pipeline = $state<string | null>(null);
  private readonly listeners = new Set<StatsListener>();

  constructor(private readonly platform: PlatformConnection) {}

  /** Starts the subscriptions of `pipeline` (from no numbers); returns the function that stops them. */
  start(pipeline: string): () => void {
    this.pipeline = pipeline;
    this.stats = null;
    this.training = null;
    const readTraining = coalesce(async () => {
      const data = await this.platform.query(DashboardOpenTrainingDocument, { pipeline });
      const jobs = [...data.running.items, ...data.queued.items, ...data.latest.items];
      const latest = data.progress[0];
      this.training = progressFromJobs(jobs, latest ? { type: 'training.progress', ...latest } : null);
    });
    const stops = [
      this.platform.subscribe(DashboardStatsUpdatedDocument, { pipeline }, (data) => {
        const previous = this.stats;
        this.stats = data.statsUpdated;
        for (const listener of this.listeners) listener(data.statsUpdated, previous);
      }),
      this.platform.subscribe(DashboardTrainingEventsDocument, { pipeline }, (data) => {
        this.training = applyTrainingEvent(this.training, data.trainingEvents);
      }),
      this.platform.subscribe(DashboardPlatformEventsDocument, { pipeline }, (data) => {
        const event = trainingEventFromLog(data.platformEvents);
        if (event?.search) this.training = applyTrainingEvent(this.training, event);
      }),
      this.platform.onReconnect(() => void readTraining()),
    ];
    void readTraining();
    return () => {
      for (const stop of stops) stop();
      this.pipeline = null;
    };
  }

  /** Calls `listener` on every stats tick (with the previous tick); returns the function that stops it. */
  onStats(listener: StatsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const KEY = Symbol('live');

export function setLive(live: LiveState): void {
  setContext(KEY, live);
}

export function getLive(): LiveState {
  const live = getContext<LiveState | undefined>(KEY);
  if (!live) throw new Error('getLive() called outside the root layout: the live state is created there');
  return live;
}
