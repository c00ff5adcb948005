import { errorRise, strongestRise } from '@automl-stream/drift';
import type { Outcomes } from './types.ts';

/** Index of the first outcome served at or after `position` (outcomes are in serve order). */
export function firstServedAtOrAfter(outcomes: Outcomes, position: number): number {
  let lo = 0;
  let hi = outcomes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (outcomes.servedAt[mid]! < position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Labelled rows served at or after `position` (capped by the window the lineage holds). */
export function labelledSince(outcomes: Outcomes, position: number): number {
  return outcomes.length - firstServedAtOrAfter(outcomes, position);
}

/**
 * The lineage's error rate over its `window` scored outcomes served before `position` (null when
 * fewer than 100): the level the platform was delivering before an alarm or a request.
 */
export function lineageErrorBefore(outcomes: Outcomes, position: number, window: number): number | null {
  const end = firstServedAtOrAfter(outcomes, position);
  let n = 0;
  let errors = 0;
  for (let i = end - 1; i >= 0 && n < window; i--) {
    if (outcomes.version[i]! < 0) continue;
    n++;
    errors += outcomes.wrong[i]!;
  }
  return n >= 100 ? errors / n : null;
}

export interface LocatedRise {
  /** Serve position of the first outcome of the new level. */
  at: number;
  before: number;
  after: number;
  z: number;
  /** 'reign': inside the version's own outcomes; 'lineage': across versions (e.g. at a promotion). */
  where: 'reign' | 'lineage';
}

/**
 * z a rise inside one version's own outcomes must reach to be taken as its change point. The z of
 * the best of many splits is larger than a single test's: 3.5 keeps chance rises in a stationary
 * reign of a few thousand outcomes rare, while a real change has z of 6 and more within a few
 * hundred outcomes.
 */
const REIGN_RISE_Z = 3.5;

function strongest(wrong: number[], at: number[], where: LocatedRise['where']): LocatedRise | null {
  const cut = strongestRise(wrong, 0);
  if (cut === null) return null;
  const rise = errorRise(wrong, cut);
  return rise ? { at: at[cut]!, ...rise, where } : null;
}

/**
 * Where the error that set off an alarm rose. First inside the alarmed version's own outcomes
 * (served from `servedFrom` on; for a class test, that class's outcomes): a significant rise there
 * (z >= 3) is a change while it served. Otherwise the version was worse from its first row, and the
 * rise is searched on the lineage — the outcomes of whichever version served, `lookBack` outcomes
 * before its first one onwards — where a version bad from its first row shows a rise at its
 * promotion that its own errors never show (D1).
 */
export function locateRise(
  outcomes: Outcomes,
  alarm: { version: number; servedFrom: number; label: number | null },
  lookBack = 3000,
): LocatedRise | null {
  const reign = { wrong: [] as number[], at: [] as number[] };
  const lineage = { wrong: [] as number[], at: [] as number[] };
  const first = firstServedAtOrAfter(outcomes, alarm.servedFrom);
  for (let i = Math.max(0, first - lookBack); i < outcomes.length; i++) {
    if (outcomes.version[i]! < 0) continue;
    if (alarm.label !== null && outcomes.label[i] !== alarm.label) continue;
    lineage.wrong.push(outcomes.wrong[i]!);
    lineage.at.push(outcomes.servedAt[i]!);
    if (outcomes.version[i] === alarm.version && i >= first) {
      reign.wrong.push(outcomes.wrong[i]!);
      reign.at.push(outcomes.servedAt[i]!);
    }
  }
  const own = strongest(reign.wrong, reign.at, 'reign');
  if (own && own.z >= REIGN_RISE_Z) return own;
  return strongest(lineage.wrong, lineage.at, 'lineage');
}

/** The scored outcomes served in [from, ∞) as an error array with their serve positions. */
function scoredFrom(outcomes: Outcomes, from: number): { wrong: number[]; at: number[] } {
  const wrong: number[] = [];
  const at: number[] = [];
  for (let i = firstServedAtOrAfter(outcomes, from); i < outcomes.length; i++) {
    if (outcomes.version[i]! < 0) continue;
    wrong.push(outcomes.wrong[i]!);
    at.push(outcomes.servedAt[i]!);
  }
  return { wrong, at };
}

/**
 * The rise in the lineage's error rate at `cut` among the outcomes served from `from` on: its
 * rates before and after and the two-proportion z (null when a side has fewer than 10). A later
 * change located for a job waiting from `from` moves the job only when the errors really rose
 * there: when [from, cut) already erred as much, the job's start already follows the change.
 */
export function riseAt(
  outcomes: Outcomes,
  from: number,
  cut: number,
): { before: number; after: number; z: number; nBefore: number } | null {
  const { wrong, at } = scoredFrom(outcomes, from);
  let k = 0;
  while (k < at.length && at[k]! < cut) k++;
  const rise = errorRise(wrong, k);
  return rise && { ...rise, nBefore: k };
}

/**
 * The strongest rise in the lineage's errors among the outcomes served from `from` on (binary
 * segmentation), when its z reaches `minZ`: a window that straddles a change, found before
 * training on it.
 */
export function riseInWindow(outcomes: Outcomes, from: number, minZ = REIGN_RISE_Z): LocatedRise | null {
  const { wrong, at } = scoredFrom(outcomes, from);
  const rise = strongest(wrong, at, 'lineage');
  return rise && rise.z >= minZ ? rise : null;
}
