import { lineageErrorBefore } from './policy/lineage.ts';
import type { RegimeStart } from './storage/data-storage.ts';

/*
 * What the promotion gate of a drift retrain weighs besides the two models' scores (spec P6, the
 * pure rules in policy/gate.ts): the error the lineage delivered before the located change (the
 * regression check: both models far above it means the window straddles a change still going
 * on, so neither is promoted), and the lineage's test-then-train errors over the training window
 * in serve order (where the champion's errors rose again inside the window, a rejected retrain is
 * queued again from there instead of accepting the drift). Pure: tested without a database.
 */

/** The lineage's labelled outcomes in serve order (rows.scored_label and feedback, 1 = wrong). */
export interface ServedOutcomes {
  wrong: readonly number[];
  at: readonly Date[];
  rowId: readonly (number | null)[];
}

export interface GateEvidence {
  /** The lineage's error over its `lineageWindow` outcomes before the change (null: under 100, or no change). */
  lineageError: number | null;
  /** The outcomes served inside the training window, positions = their index here. */
  windowErrors: { wrong: number[]; servedAt: number[] };
  /** Where each of those outcomes was served: a requeued retrain starts there. */
  starts: RegimeStart[];
}

/** Whether outcome `i` was served before `change` (rows of one batch share a time: ids decide). */
function servedBefore(stream: ServedOutcomes, i: number, change: RegimeStart): boolean {
  const t = stream.at[i]!.getTime();
  const c = change.at.getTime();
  if (t !== c) return t < c;
  const id = stream.rowId[i];
  return id !== null && id !== undefined && change.rowId !== null && id < change.rowId;
}

/**
 * The gate's evidence for a retrain from `change` (null: no located change, no regression check)
 * whose window holds the rows served from `window.firstAt` to `window.lastAt`. The window's
 * outcomes are those served from the change on (a window that reaches back under a covariate
 * shift holds older rows: the rise there is the change itself).
 */
export function gateEvidenceFrom(
  stream: ServedOutcomes,
  change: RegimeStart | null,
  window: { firstAt: Date | null; lastAt: Date | null },
  lineageWindow: number,
): GateEvidence {
  let lineageError: number | null = null;
  if (change) {
    let end = 0;
    while (end < stream.wrong.length && servedBefore(stream, end, change)) end++;
    // Serve positions are indices here; every outcome was scored by a version (policy/lineage.ts).
    const n = stream.wrong.length;
    const positions = Array.from({ length: n }, (_, i) => i);
    const outcomes = {
      length: n,
      servedAt: positions,
      version: positions,
      wrong: stream.wrong,
      label: positions,
    };
    lineageError = lineageErrorBefore(outcomes, end, lineageWindow);
  }
  const wrong: number[] = [];
  const starts: RegimeStart[] = [];
  const first = window.firstAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const last = window.lastAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < stream.wrong.length; i++) {
    const t = stream.at[i]!.getTime();
    if (t < first || t > last || (change && servedBefore(stream, i, change))) continue;
    wrong.push(stream.wrong[i]!);
    starts.push({ at: stream.at[i]!, rowId: stream.rowId[i] ?? null });
  }
  return { lineageError, windowErrors: { wrong, servedAt: wrong.map((_, i) => i) }, starts };
}
