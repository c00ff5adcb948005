import { binomialAtLeast, minLookRows, wilsonInterval } from '@automl-stream/drift';
import type { Logger } from 'pino';

/** Tail probability under which a batch's errors ask for a drift check before WINDOW_SIZE rows. */
export const EARLY_CHECK_P = 0.001;

/** Fewest outcomes since the last ask that an early ask is judged on. */
export const EARLY_MIN_OUTCOMES = 50;

/**
 * Whether the serving version's errors on rows it scored on arrival since the last ask call for a
 * drift check now, before WINDOW_SIZE rows: at least `minOutcomes` of them, and so many wrong that
 * even the rate its level test is tuned to catch (the hold-out's Wilson 95 % upper bound b, plus
 * max(3 points, b/2)) would give that many with probability under 0.001. Only when the check runs:
 * the check's sequential level test decides, so asking sooner never adds a false alarm.
 */
export function earlyCheckDue(
  wrong: number,
  outcomes: number,
  holdout: { n: number; errors: number },
  minOutcomes: number,
): boolean {
  // A version with no hold-out on record (registered by hand) promises nothing to test against.
  if (outcomes < minOutcomes || !(holdout.n > 0) || !Number.isFinite(holdout.errors)) return false;
  const b = wilsonInterval(Math.min(holdout.errors, holdout.n), holdout.n, { alternative: 'less' }).upper;
  const target = Math.min(0.99, b + Math.max(0.03, b / 2));
  return binomialAtLeast(wrong, outcomes, target) < EARLY_CHECK_P;
}

/**
 * The triggers the data path pulls: every WINDOW_SIZE rows served by this process a drift check
 * is asked for (the queue collapses concurrent asks), and sooner when the serving version's errors
 * on the labelled rows it scored on arrival are far above its promise; and, while no model serves, labelled
 * rows may complete the bootstrap set. DataService calls them through its hooks; Platform wires
 * them to the queue and the retrain requests.
 */
export class DataTriggers {
  private rowsSinceCheck = 0;
  /** The bootstrap ask: none in flight, one in flight, or one in flight and rows arrived since. */
  private bootstrap: 'idle' | 'asking' | 'again' = 'idle';
  /**
   * The serving version's outcomes on arrival since the last ask (any), and since its last early
   * ask (Infinity: none yet).
   */
  private scoredSinceCheck = { version: -1, wrong: 0, outcomes: 0, sinceEarly: Number.POSITIVE_INFINITY };

  constructor(
    private readonly options: {
      windowSize: number;
      /** Queue a drift check (trigger "rows"). */
      askForCheck: () => Promise<unknown>;
      /**
       * Whether a drift-triggered retrain is fitting its model (absent: never). An early ask is
       * skipped then: the job has read its window and no check can move it, and back-to-back
       * checks that only said "still drifting" took the cores its fit needed. While the job
       * waits for rows they still come: they move it to a later change, confirm a covariate
       * shift so that it reaches back, and end a growth run (and the ask every WINDOW_SIZE rows
       * always comes).
       */
      driftRetrainFitting?: () => Promise<boolean>;
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
    if (this.rowsSinceCheck >= this.options.windowSize) this.ask();
  }

  /**
   * The serving version scored `outcomes` labelled rows on arrival, `wrong` of them wrong: when
   * they are far above what it promised (earlyCheckDue, on at least EARLY_MIN_OUTCOMES since the
   * last ask), a check is asked for now, so a change is acted on within a batch or two instead
   * of up to WINDOW_SIZE rows later. Early asks come at most once per `minLookRows` (max(100,
   * WINDOW_SIZE / 5)) outcomes, and not while a drift-triggered retrain fits its model: while a
   * version stays bad the checks do not crowd out its retrain.
   */
  scored(version: number, holdout: { n: number; errors: number }, wrong: number, outcomes: number): void {
    if (this.scoredSinceCheck.version !== version)
      this.scoredSinceCheck = { version, wrong: 0, outcomes: 0, sinceEarly: Number.POSITIVE_INFINITY };
    const now = this.scoredSinceCheck;
    now.wrong += wrong;
    now.outcomes += outcomes;
    now.sinceEarly += outcomes;
    const spacing = minLookRows(this.options.windowSize);
    if (now.sinceEarly < spacing || !earlyCheckDue(now.wrong, now.outcomes, holdout, EARLY_MIN_OUTCOMES))
      return;
    now.sinceEarly = 0;
    this.askEarly();
  }

  /** An early ask, unless a drift retrain is fitting its model. */
  private askEarly(): void {
    const fitting = this.options.driftRetrainFitting;
    if (!fitting) {
      this.ask();
      return;
    }
    fitting()
      .then((isFitting) => {
        if (isFitting) this.options.logger.debug('early drift check skipped: a drift retrain is fitting');
        else this.ask();
      })
      .catch((error) => this.options.logger.warn({ err: error }, 'could not queue a drift check'));
  }

  private ask(): void {
    this.rowsSinceCheck = 0;
    this.scoredSinceCheck = { ...this.scoredSinceCheck, wrong: 0, outcomes: 0 };
    this.options
      .askForCheck()
      .catch((error) => this.options.logger.warn({ err: error }, 'could not queue a drift check'));
  }

  /**
   * Labelled rows arrived: with no model yet, they may complete the bootstrap set. One ask at a
   * time; rows that arrive while one is in flight ask again when it ends (that ask may have
   * counted the rows before them).
   */
  labelledRowsArrived(): void {
    if (this.options.hasModel()) return;
    if (this.bootstrap !== 'idle') {
      this.bootstrap = 'again';
      return;
    }
    this.bootstrap = 'asking';
    this.options
      .bootstrap()
      .catch((error) => this.options.logger.warn({ err: error }, 'bootstrap check failed'))
      .finally(() => {
        const again = this.bootstrap === 'again';
        this.bootstrap = 'idle';
        if (again) this.labelledRowsArrived();
      });
  }
}
