/**
 * The names of the pipelines the key may use, for the switcher in the header and for what `/`
 * shows. Owned by the root layout; read at start, after a reconnect, and when a page shows a
 * pipeline the list lacks (one created since).
 */
import { DashboardPipelineNamesDocument } from '@automl-stream/sdk';
import { getContext, setContext } from 'svelte';
import { coalesce } from './coalesce.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';

export class PipelineDirectory {
  /** Null until the first answer; empty when the list could not be read (see `error`). */
  names = $state.raw<string[] | null>(null);
  error = $state<string | null>(null);
  readonly refresh: () => Promise<void>;

  constructor(private readonly platform: PlatformConnection) {
    this.refresh = coalesce(async () => {
      try {
        const data = await this.platform.query(DashboardPipelineNamesDocument, {});
        this.names = data.pipelines.map((p) => p.name);
        this.error = null;
      } catch (error) {
        this.error = describeError(error);
        this.names ??= [];
      }
    });
  }

  start(): () => void {
    const stop = this.platform.onReconnect(() => void this.refresh());
    void this.refresh();
    return stop;
  }
}

const KEY = Symbol('pipelines');

export function setPipelineDirectory(directory: PipelineDirectory): void {
  setContext(KEY, directory);
}

export function getPipelineDirectory(): PipelineDirectory {
  const directory = getContext<PipelineDirectory | undefined>(KEY);
  if (!directory)
    throw new Error('getPipelineDirectory() called outside the root layout: it is created there');
  return directory;
}
