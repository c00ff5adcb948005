import type { BernoulliCusumState, ChunkTest, ClumpingState } from '@automl-stream/drift';
import type { PolicyConfig } from './config.ts';

/*
 * The retraining policy as data: the state it keeps between checks, the evidence a check brings,
 * and the actions it decides. Positions are serve positions: a monotone number given to every
 * served entity (row or prediction) when it is served, so that evidence is ordered by when a
 * row was served, never by when its label arrived. Time is given, never read.
 */

/** When a decision is taken. */
export interface Moment {
  /** Serve position of the newest served entity. */
  position: number;
  /** Seconds on the platform's clock (only for wait timeouts). */
  seconds: number;
}

/** Labelled outcomes as columns, in serve order. */
export interface Outcomes {
  length: number;
  servedAt: ArrayLike<number>;
  /** Version that served (scored) the row; -1 when no model served it yet. */
  version: ArrayLike<number>;
  /** 1 = the serving version was wrong, 0 = right (0 when unscored). */
  wrong: ArrayLike<number>;
  label: ArrayLike<number>;
}

/** Newly labelled outcomes; `previousWrong` is the shadow score of the previous version (-1 = not scored). */
export interface NewOutcomes extends Outcomes {
  previousWrong?: ArrayLike<number>;
}

/** One closed chunk of served rows and its data-drift test. */
export interface ChunkEvidence {
  from: number;
  to: number;
  test: ChunkTest;
}

export interface Evidence {
  now: Moment;
  /** Outcomes labelled since the previous check (they feed the sequential tests once each). */
  newOutcomes: NewOutcomes;
  /** The newest `lineageWindow` labelled outcomes of the serving lineage (all versions), serve order. */
  lineage: Outcomes;
  /** Chunks closed since the previous check, oldest first. */
  chunks: readonly ChunkEvidence[];
  /**
   * The rows served since the newest closed chunk, tested on demand against the serving version's
   * reference; null under half a chunk. Only a covariate shift's confirmation asks (`reachBackOnOpenChunk`).
   */
  openChunk?: () => ChunkEvidence | null;
  /** Rows served among the newest `noLabelsWindow` served and how many of them have a label now. */
  recent: { served: number; labelled: number };
}

export type SinceKind = 'bootstrap' | 'change' | 'forced' | 'check' | 'manual';

/** What the policy remembers of a model version. */
export interface VersionInfo {
  version: number;
  /** First serve position of its training window (-1 = unknown: trained elsewhere). */
  since: number;
  sinceKind: SinceKind;
  trainRows: number;
  holdout: {
    n: number;
    errors: number;
    classes: { label: number; n: number; errors: number }[];
    /** The errors are a forward check's (the window's rows are serially dependent), not out of bag. */
    forward?: boolean;
    /** The rows the forward check scored, when `n` counts them as the fewer independent ones they are worth. */
    rows?: number;
  };
  /** The lineage's error before the alarm or request that produced it (null when none). */
  lineageError: number | null;
  importances: number[] | null;
}

/** A sequential level test in progress. */
export interface LevelTest {
  /** The version whose outcomes it watches. */
  version: number;
  /** Class whose errors it watches (null = all outcomes). */
  label: number | null;
  b: number;
  /** How b was chosen, for the explanation. */
  baseline: string;
  /** The in-control rate the CUSUM is tuned for: b within the threshold table's [0.01, 0.9]. */
  p0: number;
  p1: number;
  h: number;
  arl0: number;
  /** Expected outcomes to an alarm at p1. */
  arl1: number;
  cusum: BernoulliCusumState;
  /** Serve position of the outcome at the CUSUM's run start (its estimate of where a rise began). */
  runStartAt: number;
  /**
   * Outcomes and errors seen live since the promise was set; once `liveOutcomes` are in, a
   * promise looser than the live error's upper bound tightens to it (once: `tightened`).
   */
  live: { n: number; errors: number };
  tightened: boolean;
  /** The factor its last outcomes' steps were divided by: their errors came in bursts (1: independent). */
  burst?: number;
}

export interface Serving {
  version: number;
  /** Serve position from which it serves (promotion or rollback). */
  servingFrom: number;
  /** Its labelled outcomes so far, and its errors among them. */
  outcomes: number;
  errors: number;
  level: LevelTest;
  minority: LevelTest[];
  /** Paired record against the version it replaced, while young. */
  shadow: { version: number; n: number; servingOnly: number; previousOnly: number } | null;
  /**
   * Where its regime starts: its training window's start, or the located change at which it was
   * re-promoted (a recurring concept). Growth retrains train from here.
   */
  regimeSince: number;
  /** Labelled rows served since `regimeSince`. */
  regimeLabelled: number;
  /**
   * The newest change located inside its regime (its retrain may have been refused or may still
   * be pending): growth tries it as a second window start, for drift that went on after the
   * regime began.
   */
  laterChange: number | null;
}

export type Trigger = 'bootstrap' | 'growth' | 'level' | 'minority' | 'data' | 'manual';

export interface Job {
  id: number;
  trigger: Trigger;
  since: number;
  sinceKind: SinceKind;
  status: 'waiting' | 'training';
  queuedAt: Moment;
  /** Seconds at which the current wait runs out (then it is rescheduled, never widened). */
  waitUntil: number;
  reschedules: number;
  /**
   * While a retrain from a located change waits for its rows, the archived versions are scored on
   * the rows served since the change once this many are labelled (then at twice as many): a
   * recurring concept is served again with no training.
   */
  archivedCheckAt: number;
  /** P4 flagged the champion: a point estimate challenger >= champion is enough to promote. */
  championFlagged: boolean;
  lineageError: number | null;
  reason: string;
  /** Set once a window from a located change moved to a second rise inside it (gradual drift); it moves only once. */
  movedInWindow?: boolean;
  /** Set when a covariate shift let the window reach back before the located change (`reachBackOnShift`): the change. */
  reachedBackFrom?: number;
}

/**
 * The level tests of a version that no longer serves but whose outcomes are still coming in (their
 * labels are late): the change may have happened while it served.
 */
export interface TrailingTests {
  version: number;
  /** Serve positions over which it served. */
  servedFrom: number;
  servedUntil: number;
  level: LevelTest;
  minority: LevelTest[];
}

export interface DataDriftState {
  /** p-values of the newest chunks (at most `persistence` + 1 kept). */
  recent: number[];
  /** First position of the first chunk of the current flagged run. */
  flaggedFrom: number | null;
  /** Confirmed warnings in a row for the same features without a loss in accuracy. */
  warnings: { features: number[]; count: number } | null;
  /** Features whose drift was accepted: reported, never voting. */
  muted: number[];
  /** Flagged chunks in a row per feature (p < α on its own), for drift in features that do not vote. */
  streaks: number[];
  /** Serve position of the newest level alarm (it corroborates a single flagged chunk). */
  lastAlarmAt: number | null;
  /**
   * The newest chunks tested (advisory ones too: a small reference still says whether the features
   * moved), oldest first, at most `TESTED_CHUNKS_KEPT`.
   */
  tested?: { from: number; to: number; pValue: number }[];
}

export interface PolicyState {
  config: PolicyConfig;
  serving: Serving | null;
  /** Versions replaced while their labels are still arriving. */
  trailing: TrailingTests[];
  versions: Record<number, VersionInfo>;
  /** Newest last; the archived ones a gate may re-promote. */
  history: number[];
  jobs: Job[];
  nextJobId: number;
  /** Consecutive rejected or failed jobs per kind (back-off). */
  rejections: { level: number; data: number; growth: number };
  /** No new level or data retrain before this many labelled rows in total (back-off after rejections). */
  cooldownUntil: number;
  /**
   * The newest rejected level retrain, while no version has been promoted since: the start of its
   * window and the serve position at which it was rejected. Its back-off holds against the same
   * evidence, not against errors that rose on rows served after it.
   */
  lastRejected?: { since: number; at: number } | null;
  labelledTotal: number;
  data: DataDriftState;
  /** Do the lineage's errors come in bursts (@automl-stream/drift clumping)? Absent: not measured yet. */
  clumping?: ClumpingState;
}

/** Why a decision was taken, in numbers and in words. */
export interface Explanation {
  signal:
    | 'level'
    | 'minority'
    | 'rise'
    | 'rollback'
    | 'data'
    | 'labels'
    | 'growth'
    | 'job'
    | 'gate'
    | 'bootstrap';
  summary: string;
  /** Which evidence, which threshold, which effect size. */
  evidence: Record<string, number | string | boolean | null>;
  /** What was done or not done, and why. */
  decision: string;
  /** Training the decision asks for (null: none). */
  cost: { trainingRuns: number; trainingRows: number } | null;
}

export type PolicyAction =
  | { type: 'warn'; features: number[]; explanation: Explanation }
  | { type: 'queue_retrain'; job: Job; explanation: Explanation }
  | { type: 'retarget'; jobId: number; from: number; to: number; explanation: Explanation }
  | { type: 'cancel_job'; jobId: number; explanation: Explanation }
  | {
      type: 'start_training';
      jobId: number;
      /** Training windows to try: each = labelled rows served in [since, until), newest trainWindow of them. */
      candidates: { since: number; until: number }[];
      explanation: Explanation;
    }
  | { type: 'reschedule'; jobId: number; explanation: Explanation }
  | {
      type: 'check_archived';
      jobId: number;
      /** Score the serving and the archived versions on the labelled rows served from here on (repromoteWithoutTraining). */
      since: number;
      explanation: Explanation;
    }
  | { type: 'rollback'; from: number; to: number; explanation: Explanation }
  | { type: 'accept_drift'; kind: 'data' | 'level'; features: number[]; explanation: Explanation };

export interface Verdict {
  status: 'ok' | 'warning' | 'drift' | 'insufficient_data';
  explanations: Explanation[];
}

export interface Decision {
  state: PolicyState;
  actions: PolicyAction[];
  verdict: Verdict;
}
