/**
 * Long loops on a thread that also answers requests (binning a training's rows, its out-of-bag
 * predictions) give the event loop a turn every so often: a budget of work units (values binned,
 * rows walked) between two turns.
 */

/** Work units between two turns of the event loop: 65,536 values or rows, about 10 ms. */
export const WORK_PER_TURN = 1 << 16;

/**
 * Counts the work of a loop; {@link TurnBudget.before} gives the event loop a turn once the
 * budget is spent, then throws the signal's reason if it was aborted meanwhile.
 */
export class TurnBudget {
  #spent = 0;

  constructor(
    private readonly signal?: AbortSignal,
    private readonly perTurn: number = WORK_PER_TURN,
  ) {}

  /** Call before `units` of work: waits for a turn of the event loop first when the budget is spent. */
  async before(units: number): Promise<void> {
    if (this.#spent >= this.perTurn) {
      await new Promise((resolve) => setImmediate(resolve));
      this.signal?.throwIfAborted();
      this.#spent = 0;
    }
    this.#spent += units;
  }
}
