/**
 * Data of the models page: the registry and the history of the serving version, re-read when
 * the event feed announces a promotion, rollback, rejection or finished training (and after a
 * reconnect); promote and rollback go through the SDK's mutations.
 */
import {
  DashboardModelsDocument,
  type DashboardModelsQuery,
  DashboardPromoteModelDocument,
  DashboardRollbackModelDocument,
} from '@automl-stream/sdk';
import { coalesce } from './coalesce.ts';
import { formatVersion } from './format.ts';
import { describeError, type PlatformConnection } from './platform.svelte.ts';
import { rereadOnEvents } from './reread.ts';

export type ModelRow = DashboardModelsQuery['models']['items'][number];

/** Registry rows the page shows (the newest first). */
const MODELS_SHOWN = 200;
const REREAD_ON = new Set(['model.promoted', 'model.rolled_back', 'model.rejected', 'training.finished']);

export class ModelsPageState {
  data = $state.raw<DashboardModelsQuery | null>(null);
  error = $state<string | null>(null);
  private reread: () => Promise<void> = async () => {};

  constructor(
    private readonly platform: PlatformConnection,
    readonly pipeline: string,
  ) {}

  start(): () => void {
    this.reread = coalesce(async () => {
      try {
        this.data = await this.platform.query(DashboardModelsDocument, {
          pipeline: this.pipeline,
          limit: MODELS_SHOWN,
        });
        this.error = null;
      } catch (error) {
        this.error = describeError(error);
      }
    });
    return rereadOnEvents(this.platform, this.pipeline, REREAD_ON, () => this.reread());
  }

  /** Serves `version` now; resolves with the server's answer in words, rejects with its error. */
  async promote(version: number): Promise<string> {
    const data = await this.platform.mutate(DashboardPromoteModelDocument, {
      pipeline: this.pipeline,
      version,
    });
    void this.reread();
    return `${formatVersion(data.promoteModel.version)} is now serving (status ${data.promoteModel.status.toLowerCase()}).`;
  }

  /** Goes back to the version that served before; resolves with the server's answer in words. */
  async rollback(): Promise<string> {
    const data = await this.platform.mutate(DashboardRollbackModelDocument, { pipeline: this.pipeline });
    void this.reread();
    return `Rolled back: ${formatVersion(data.rollbackModel.version)} is now serving (status ${data.rollbackModel.status.toLowerCase()}).`;
  }
}
