/**
 * Data of the fleet page: every pipeline the key may use with its status, in the server's order
 * (what needs attention first). Pushed, not polled: the events of every pipeline
 * (`platformEvents(allPipelines: true)`) move a row's last event at once and re-read the fleet
 * when they may have changed more (coalesced, and at most once per REREAD_GAP_MS however busy
 * the fleet is). After a reconnect the fleet is re-read, since events are not replayed.
 */
import { DashboardFleetDocument, DashboardFleetEventsDocument } from '@automl-stream/sdk';
import { coalesce } from './coalesce.ts';
import { applyFleetEvent, type FleetRow } from './fleet.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';

/** Shortest time between two reads of the fleet. */
const REREAD_GAP_MS = 1000;

export class FleetPageState {
  /** Null until the first read. */
  rows = $state.raw<FleetRow[] | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly platform: PlatformConnection) {}

  start(): () => void {
    const read = coalesce(async () => {
      try {
        this.rows = (await this.platform.query(DashboardFleetDocument, {})).pipelines;
        this.error = null;
      } catch (error) {
        this.error = describeError(error);
      }
    }, REREAD_GAP_MS);
    const stops = [
      this.platform.subscribe(DashboardFleetEventsDocument, {}, (data) => {
        const update = applyFleetEvent(this.rows ?? [], data.platformEvents);
        if (this.rows !== null) this.rows = update.rows;
        if (update.reread) void read();
      }),
      this.platform.onReconnect(() => void read()),
    ];
    void read();
    return () => {
      for (const stop of stops) stop();
    };
  }
}
