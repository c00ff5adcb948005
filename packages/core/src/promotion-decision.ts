import type { GateEvidence } from './gate-evidence.ts';
import type { GateSplit } from './gate-rows.ts';
import { DEFAULT_POLICY_CONFIG } from './policy/config.ts';
import { promotionGate } from './policy/gate.ts';
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
 * failing: the point estimate challenger >= champion suffices then, on all the gate's rows or on
 * the newest of them (as many as the hold-out would hold: `newestRowsRule`), and the lineage's evidence
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
  const gate = promotionGate(
    {
      labels: split.testY,
      challenger: { version: null, predicted: scores.predicted },
      champion: { version: scores.champion.version, predicted: scores.championPredicted },
      archived: [],
      championFlagged: flagged,
      lineageError: evidence?.lineageError ?? null,
      ...(evidence ? { windowErrors: evidence.windowErrors } : {}),
      ...(split.newestRows === undefined ? {} : { newestRows: split.newestRows }),
    },
    { ...DEFAULT_POLICY_CONFIG, promotionTolerance: tolerance },
  );
  const at = gate.requeueSince;
  const requeue = at === null || !evidence ? null : (evidence.starts[at] ?? null);
  const why = `${gate.explanation.summary}; ${gate.explanation.decision}`;
  if (gate.decision === 'promote') return { ...promoted(why), requeue };
  return {
    promote: false,
    rejectedReason: `not promoted: ${why}`,
    gate: why,
    requeue,
    regression: gate.explanation.evidence.regressionMargin !== undefined,
  };
}

function promoted(gate: string): PromotionDecision {
  return { promote: true, rejectedReason: null, gate, requeue: null, regression: false };
}

/** The gate when the champion learned every row of the window (gate-rows.ts): nothing to compare on. */
export function learnedAllDecision(champion: ModelVersionRecord | null): PromotionDecision {
  return promoted(
    `${champion ? `v${champion.version}` : 'the champion'} learned every row of this window, so there is no row to compare it on: promoted on its own out-of-bag score`,
  );
}
