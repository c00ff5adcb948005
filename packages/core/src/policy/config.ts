/**
 * The policy's settings. Those that come from the platform's environment say which variable;
 * the others are the policy's own constants, stated here with the reason for their value.
 */
export interface PolicyConfig {
  /** Rows per data-drift chunk (WINDOW_SIZE). @default 500 */
  chunkSize: number;
  /** A chunk is flagged when its Simes p-value is below this. @default 0.01 */
  chunkAlpha: number;
  /** Flagged chunks in a row that confirm a data drift: ERT ≈ 1/α² chunks (10,000) under independence. @default 2 */
  persistence: number;
  /** Below this many reference rows a data drift is advisory: logged, never acted on (D9). @default 1000 */
  minReferenceRows: number;
  /** The reference grows with unflagged chunks of its regime up to this many rows. @default 5000 */
  maxReferenceRows: number;
  /** In-control run length of each level test, in outcomes at the promised error. @default 1e6 */
  arl0: number;
  /**
   * After this many live outcomes, a version's promise tightens to the upper bound of its live
   * error when that is lower (a small hold-out promises loosely; the live record is larger). @default 400
   */
  liveOutcomes: number;
  /** One-sided confidence of that live upper bound (stricter than the hold-out's: it is chosen after the fact). @default 0.99 */
  liveConfidence: number;
  /** One-sided confidence of the Wilson upper bound that turns a hold-out error into a promise. @default 0.95 */
  promiseConfidence: number;
  /** A version not trained from a located change promises at most the lineage's error + this. @default 0.02 */
  lineageMargin: number;
  /** Lineage outcomes read for locating a change and counting rows. @default 20000 */
  lineageWindow: number;
  /** Lineage outcomes before an alarm whose error rate is "the lineage's level". @default 5000 */
  lineageLevelWindow: number;
  /** A located change is actionable when the serving version's window starts this many positions before it. @default 50 */
  actionableMargin: number;
  /** MIN_TRAIN_ROWS. @default 500 */
  minTrainRows: number;
  /** TRAIN_WINDOW. @default 20000 */
  trainWindow: number;
  /** HOLDOUT_FRACTION; the hold-out is the newest max(fraction, minHoldoutRows) of the window. @default 0.2 */
  holdoutFraction: number;
  /** @default 150 */
  minHoldoutRows: number;
  /**
   * When the learner gives out-of-bag predictions (the forest does), a model trains on its whole
   * window and the gate compares challenger (out of bag) and champion on the window's rows the
   * champion never trained on; the newest rows are held out only when fewer than
   * `minHoldoutRows` such rows exist. After a change rows are scarce: holding out 150 of 500 cost
   * the first post-change model a third of its rows. @default true
   */
  outOfBagGate: boolean;
  /**
   * A retrain from a located change (or a growth of its regime) is checked for a second rise
   * inside its window before it trains, as forced windows are, and moved there once: a gradual
   * drift is still going on where it was first located. Not when a chunk of the window showed the
   * features moved (covariate shift: the rows before the rise keep their labels, and waiting for
   * rows after it serves the old model longer; A8, T2). A retrain that lost at the gate on such a
   * window is queued again from the second rise. On the loop benchmark it fixes A7 and T5's run
   * budget (bench/loop/README.md). @default true
   */
  moveLocatedWindow: boolean;
  /**
   * z the second rise inside a located window must reach to move it (`moveLocatedWindow`). Lower
   * than a forced window's 3.5: the window is already known to hold a change, and at 3.5 the rise
   * of a gradual drift was found only after the mixed window had trained (T5). A growth window
   * moves only with 100 outcomes after the rise. @default 2.5
   */
  moveLocatedZ: number;
  /**
   * A retrain from a located change whose window shows moved features (`persistence` flagged
   * chunks in a row, advisory or not, the newest overlapping the window or ending less than a
   * chunk before it) trains at once on the newest max(MIN_TRAIN_ROWS, WINDOW_SIZE) labelled rows, reaching
   * back before the change: under a covariate shift the older rows keep their labels, and waiting
   * for MIN_TRAIN_ROWS rows after the change serves the failing model longer (T2). @default true
   */
  reachBackOnShift: boolean;
  /**
   * The last of the `persistence` flagged chunks that confirm a covariate shift may be the rows
   * served since the newest closed chunk, tested when a retrain asks (at least `minLookRows`:
   * max(100, a fifth of a chunk), the spacing of the platform's early checks): an alarm that comes
   * a few hundred rows after a flagged chunk need not wait for the next chunk to close while the
   * failing version serves (T9: 0.9371 with 3 runs → 0.9451 with 6). @default true
   */
  reachBackOnOpenChunk: boolean;
  /**
   * A flagged champion that wins on the gate's rows but loses, on the point estimate, on the
   * newest of them (as many as the hold-out would hold, `GateInput.newestRows`) is replaced: a
   * window straddling a change holds older rows the champion never saw but still predicts well,
   * and a rejection there accepted the drift while it kept failing. @default true
   */
  newestRowsRule: boolean;
  /**
   * A retrain after a located change leaves out the features that moved across it and whose use
   * made a model of the rows before the change predict the rows after it worse (feature-transfer.ts);
   * the regime's growth keeps them out. @default true
   */
  featureTransfer: boolean;
  /**
   * A window that reaches back over a covariate shift also asks the transfer check, with the
   * rows before the located change as the past and the window's rows after it as the new regime
   * (T9: 0.9053 with 7 runs → 0.9371 with 3); with too few rows after the change it keeps the
   * serving version's. @default true
   */
  transferOnReachBack: boolean;
  /**
   * A version whose window's newest rows a model of its older rows predicts clearly worse than
   * out of bag (serially dependent rows) promises that forward error (forward-promise.ts;
   * FORWARD_PROMISE on the platform). @default true
   */
  forwardPromise: boolean;
  /**
   * The level tests divide their steps by the lineage's error clumping (@automl-stream/drift
   * clumping.ts): errors that come in bursts count as the independent outcomes they are worth.
   * @default true
   */
  burstAware: boolean;
  /** PROMOTION_TOLERANCE. @default 0.01 */
  promotionTolerance: number;
  /** Confidence of the gate's one-sided lower bound. @default 0.9 */
  gateConfidence: number;
  /** The gate compares balanced accuracy when the rarest hold-out class is below this share. @default 0.2 */
  balancedBelow: number;
  /**
   * Balanced accuracy weighs only the classes with at least this many hold-out rows (and the
   * rarest of them decides whether it is used): a class of one row has a recall of 0 or 1 by chance
   * and weighed as much as a class of 70 (a retrain that took Seattle's weather from 14 % to 65 %
   * accurate lost on one "rain" day). @default 5
   */
  balancedMinClassRows: number;
  /** Classes below this share of the hold-out get a level test of their own. @default 0.1 */
  minorityShare: number;
  /** A growth retrain when the regime has this many times the serving version's training rows... @default 4 */
  growthFactor: number;
  /** ...and at least this many more. @default 2000 */
  growthMinExtra: number;
  /**
   * The growth factor of a version trained on the first rows after a located change (at most
   * 2·MIN_TRAIN_ROWS of them). Its window was located on a few dozen outcomes and may still hold
   * rows of a gradual drift, so it is replaced sooner than the bootstrap, whose rows are all of one
   * regime (T5: 0.7659 at 4×, 0.7695 at 3×, the same runs; T1's bootstrap keeps 4×).
   * @default 3
   */
  newRegimeGrowthFactor: number;
  /** Labelled rows of back-off after the first rejected or failed job of a kind (DRIFT_COOLDOWN_ROWS), doubled per further one. @default 1000 */
  cooldownRows: number;
  /** Largest back-off multiplier. @default 16 */
  backoffCap: number;
  /** After this many rejections in a row the drift is accepted instead of retried. @default 3 */
  maxRejections: number;
  /** Labelled rows since a located change at which the archived versions are first scored on them (then at each doubling). @default 50 */
  archivedCheckRows: number;
  /** RETRAIN_WAIT_SECONDS: a waiting job is rescheduled (never widened) after this long. @default 300 */
  waitSeconds: number;
  /** Data drift queues a retrain only when no row among this many newest served has a label (10·chunk). @default 5000 */
  noLabelsWindow: number;
  /** The previous version is scored beside a new one for this many of its outcomes (rollback evidence). @default 5000 */
  shadowOutcomes: number;
  /** The gate refuses when both models are this far below the lineage's level (regression check). @default 0.05 */
  regressionMargin: number;
}

export const DEFAULT_POLICY_CONFIG: Readonly<PolicyConfig> = Object.freeze({
  chunkSize: 500,
  chunkAlpha: 0.01,
  persistence: 2,
  minReferenceRows: 1000,
  maxReferenceRows: 5000,
  arl0: 1e6,
  liveOutcomes: 400,
  liveConfidence: 0.99,
  promiseConfidence: 0.95,
  lineageMargin: 0.02,
  lineageWindow: 20_000,
  lineageLevelWindow: 5000,
  actionableMargin: 50,
  minTrainRows: 500,
  trainWindow: 20_000,
  holdoutFraction: 0.2,
  minHoldoutRows: 150,
  outOfBagGate: true,
  moveLocatedWindow: true,
  moveLocatedZ: 2.5,
  reachBackOnShift: true,
  reachBackOnOpenChunk: true,
  newestRowsRule: true,
  featureTransfer: true,
  transferOnReachBack: true,
  forwardPromise: true,
  burstAware: true,
  promotionTolerance: 0.01,
  gateConfidence: 0.9,
  balancedBelow: 0.2,
  balancedMinClassRows: 5,
  minorityShare: 0.1,
  growthFactor: 4,
  growthMinExtra: 2000,
  newRegimeGrowthFactor: 3,
  cooldownRows: 1000,
  backoffCap: 16,
  maxRejections: 3,
  archivedCheckRows: 50,
  waitSeconds: 300,
  noLabelsWindow: 5000,
  shadowOutcomes: 5000,
  regressionMargin: 0.05,
});

// P8's validation is pure and lives with the configuration, which refuses to start on it.
export {
  type PolicySettings,
  type SettingProblem,
  validatePolicySettings,
} from '@automl-stream/config';

import type { PolicySettings } from '@automl-stream/config';

/** The policy's configuration from the platform's settings (after validatePolicySettings). */
export function policyConfigFrom(
  settings: Partial<PolicySettings>,
  overrides: Partial<PolicyConfig> = {},
): PolicyConfig {
  const base = { ...DEFAULT_POLICY_CONFIG };
  const chunkSize = settings.WINDOW_SIZE ?? base.chunkSize;
  return {
    ...base,
    chunkSize,
    noLabelsWindow: 10 * chunkSize,
    minTrainRows: settings.MIN_TRAIN_ROWS ?? base.minTrainRows,
    trainWindow: settings.TRAIN_WINDOW ?? base.trainWindow,
    holdoutFraction: settings.HOLDOUT_FRACTION ?? base.holdoutFraction,
    promotionTolerance: settings.PROMOTION_TOLERANCE ?? base.promotionTolerance,
    waitSeconds: settings.RETRAIN_WAIT_SECONDS ?? base.waitSeconds,
    cooldownRows: settings.DRIFT_COOLDOWN_ROWS ?? 2 * chunkSize,
    ...overrides,
  };
}
