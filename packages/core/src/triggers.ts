import type { Logger } from 'pino';

/**
 * The two triggers the data path pulls: every WINDOW_SIZE rows served by this process a drift
 * check is asked for (the queue collapses concurrent asks), and, while no model serves, labelled
 * rows may complete the bootstrap set. DataService calls them through its hooks; Platform wires
 * them to the queue and the retrain requests.
 */
export class DataTriggers {
  private rowsSinceCheck = 0;
  private bootstrapPending = false;

  constructor(
    private readonly options: {
      windowSize: number;
      /** Queue a drift check (trigger "rows"). */
      askForCheck: () => Promise<unknown>;
      /** Whether a model serves in this process. */
      hasModel: () => boolean;
      /** Queue the first training if enough labelled rows are in. */
      bootstrap: () => Promise<unknown>;
      logger: Logger;
    },
  ) {}

  /** `n` rows were stored or served. */
  rowsServed(n: number): void {
    this.rowsSinceCheck += n;
    if (this.rowsSinceCheck < this.options.windowSize) return;
    this.rowsSinceCheck = 0;
    this.options
      .askForCheck()
      .catch((error) => this.options.logger.warn({ err: error }, 'could not queue a drift check'));
  }

  /** Labelled rows arrived: with no model yet, they may complete the bootstrap set (one ask at a time). */
  labelledRowsArrived(): void {
    if (this.options.hasModel() || this.bootstrapPending) return;
    this.bootstrapPending = true;
    this.options
      .bootstrap()
      .catch((error) => this.options.logger.warn({ err: error }, 'bootstrap check failed'))
      .finally(() => {
        this.bootstrapPending = false;
      });
  }
}
