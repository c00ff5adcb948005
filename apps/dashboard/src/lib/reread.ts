/**
 * A page's data kept fresh: read at once, again when the pipeline's event feed announces one of
 * `types`, and after every reconnect (the feed may have missed some). Returns the function that
 * stops it.
 */
import { DashboardPlatformEventsDocument } from '@automl-stream/sdk';
import type { PlatformConnection } from './platform.svelte.ts';

export function rereadOnEvents(
  platform: PlatformConnection,
  pipeline: string,
  types: ReadonlySet<string>,
  reread: () => Promise<void>,
): () => void {
  const stops = [
    platform.subscribe(DashboardPlatformEventsDocument, { pipeline }, (data) => {
      if (types.has(data.platformEvents.type)) void reread();
    }),
    platform.onReconnect(() => void reread()),
  ];
  void reread();
  return () => {
    for (const stop of stops) stop();
  };
}
