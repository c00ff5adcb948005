import type { GateEvidence } from './gate-evidence.ts';
import type { GateSplit } from './gate-rows.ts';
import { DEFAULT_POLICY_CONFIG } from './policy/config.ts';
import { type GateDecision, promotionGate } from './policy/gate.ts';
import type { RegimeStart } from './storage/data-storage.ts';
import type { ModelVersionRecord } from './storage/models-storage.ts';

/** The challenger's and the champion's classes on the gate's rows, row by row (the paired gate). */
export interface GateScores {
  predicted: number[];
  champion: ModelVersionRecord | null;
  championPredicted: number[] | null;
}

export interface PromotionDecision {
  promote: boolean;
  rejectedReason: string | null;
  /** The gate's one line: what it compared and why it decided so. */
  gate: string;
  /**
   * The retrain should start later: the champion's errors rose again inside the window (the drift
   * went on), or both models erred far above the lineage and a rise was found. Set when rejected,
   * or when promoted on the newest rows only (the challenger serves meanwhile).
   */
  requeue: RegimeStart | null;
  /** Rejected by the regression check (both models far above the lineage's earlier error). */
  regression: boolean;
}

/**
 * The promotion gate (policy/gate.ts, spec P6): challenger and champion compared on the same
 * gate rows. Promoted when the 90 % one-sided lower bound of challenger − champion (exact
 * McNemar on accuracy; the paired balanced-accuracy difference when a class is under 20 % of the
 * rows) is at least −PROMOTION_TOLERANCE. A retrain queued by a drift check found the champion
 * failing: the point estimate challenger >= champion suffices then, and the lineage's evidence
 * (gate-evidence.ts) is weighed: both models far above the lineage's error before the change are
 * refused (the regression check), and a loss on a window where the champion's errors rose again
 * is queued again from that rise.
 */
export function decidePromotion(
  scores: GateScores,
  split: GateSplit,
  flagged: boolean,
  tolerance: number,
  evidence: GateEvidence | null = null,
): PromotionDecision {
  if (!scores.championPredicted || !scores.champion)
    return promoted('no champion scored on the gate rows: promote');
  const compare = (from: number) =>
    promotionGate(
      {
        labels: split.testY.slice(from),
        challenger: { version: null, predicted: scores.predicted.slice(from) },
        champion: { version: scores.champion!.version, predicted: scores.championPredicted!.slice(from) },
        archived: [],
        championFlagged: flagged,
        lineageError: evidence?.lineageError ?? null,
        ...(evidence ? { windowErrors: evidence.windowErrors } : {}),
      },
      { ...DEFAULT_POLICY_CONFIG, promotionTolerance: tolerance },
    );
  const whole = compare(0);
  const at = whole.requeueSince;
  const requeue = at === null || !evidence ? null : (evidence.starts[at] ?? null);
  const why = (g: GateDecision) => `${g.explanation.summary}; ${g.explanation.decision}`;
  if (whole.decision === 'promote') return promoted(why(whole));
  // A failing champion (flagged) is replaced by a challenger that is at least as good on the
  // newest rows, the ones most like the next, even if the older gate rows favour the champion: a
  // window that straddles a change holds older rows it never saw but still predicts well, and
  // rejecting would accept the drift (the promise becomes its live error) while it keeps failing.
  // It serves until the retrain from the rise inside the window, when one was found, replaces it.
  const newest = split.testY.length - (split.newestRows ?? split.testY.length);
  const recent = flagged && newest > 0 ? compare(newest) : null;
  if (recent?.decision === 'promote') {
    const noted = withNewestNote(recent, split.testY.length - newest, split.testY.length);
    return { ...promoted(why(noted)), requeue };
  }
  return {
    promote: false,
    rejectedReason: `not promoted: ${why(whole)}`,
    gate: why(whole),
    requeue,
    regression: whole.explanation.evidence.regressionMargin !== undefined,
  };
}

function promoted(gate: string): PromotionDecision {
  return { promote: true, rejectedReason: null, gate, requeue: null, regression: false };
}

/** A gate decided on the newest `n` of the gate's `of` rows, saying so. */
function withNewestNote(gate: GateDecision, n: number, of: number): GateDecision {
  return {
    ...gate,
    explanation: {
      ...gate.explanation,
      decision: `${gate.explanation.decision} (on the newest ${n} of the ${of} gate rows: the older ones favour the failing champion)`,
    },
  };
}

/** The gate when the champion learned every row of the window (gate-rows.ts): nothing to compare on. */
export function learnedAllDecision(champion: ModelVersionRecord | null): PromotionDecision {
  return promoted(
    `${champion ? `v${champion.version}` : 'the champion'} learned every row of this window, so there is no row to compare it on: promoted on its own out-of-bag score`,
  );
}
