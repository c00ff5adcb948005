/**
 * What a version promises when its window's rows are serially dependent (P4b on real streams).
 *
 * A version promises the Wilson upper bound of its out-of-bag (or held-out) error, and its level
 * test alarms when it errs above that. Out of bag is honest when rows are exchangeable. On a
 * recorded stream they are not: neighbouring hours of a temperature record, neighbouring periods
 * of a price are near copies of each other, each row's neighbours vote on it, and the estimate
 * says 0.5 % where the version will err 18 % on the rows that follow its window. The level test
 * then alarms at the first check after every retrain (the "drift at almost every check"),
 * and each alarm costs a retrain that answers no change.
 *
 * The check: a model of the window's older rows scores its newest rows (forward, as the version
 * will be used), beside the final forest's out-of-bag predictions of the same rows (paired). When
 * the forward model errs more than out of bag by `minZ` standard errors of the paired difference
 * (McNemar), the rows are not exchangeable and the forward error is the promise. On exchangeable
 * rows the two differ only by the forward model's smaller training set, which this rarely passes
 * for: the promise stays the out-of-bag one (the generated streams' tests keep their power).
 *
 * How many independent rows the scored rows are worth: a stream that holds one state for dozens
 * of rows gives a forward slice of a few states, and "0 errors in 284 rows" is "0 errors in 16
 * states". The labels' runs tell it (`labelRuns`, packages/drift): when far fewer runs are seen
 * than independent labels at the window's class shares give (z ≥ `minZ`) and the rows are worth
 * at most a third of their number, the rows are serially dependent whatever McNemar says, the
 * version promises the forward error, and its bound counts the rows as the independent draws they
 * are worth (`forwardHoldout`).
 */
import { labelRuns } from '@automl-stream/drift';

export interface ForwardOptions {
  /** Share of the learned rows scored forward (the newest). @default 0.2 */
  share?: number;
  /** At most this many rows scored forward. @default 1000 */
  maxRows?: number;
  /** At least this many, else no check. @default 50 */
  minRows?: number;
  /** The forward model learns at most this many times the scored rows before them. @default 4 */
  trainRatio?: number;
  /** McNemar's z (and the labels' runs test's) at or above which the forward error replaces the out-of-bag one. @default 3 */
  minZ?: number;
  /** The rows count as the independent draws they are worth when they are worth at most 1/`minFactor` of their number. @default 3 */
  minFactor?: number;
}

const DEFAULTS: Required<ForwardOptions> = {
  share: 0.2,
  maxRows: 1000,
  minRows: 50,
  trainRatio: 4,
  minZ: 3,
  minFactor: 3,
};

/** Which of `n` learned rows (in serve order) the forward model learns and which it scores. */
export function forwardSlices(
  n: number,
  options: ForwardOptions = {},
): { train: { start: number; end: number }; scored: { start: number; end: number } } | null {
  const o = { ...DEFAULTS, ...options };
  const k = Math.min(o.maxRows, Math.floor(n * o.share));
  if (k < o.minRows) return null;
  const end = n - k;
  return { train: { start: Math.max(0, end - o.trainRatio * k), end }, scored: { start: end, end: n } };
}

export interface ForwardEvidence {
  /** Rows scored forward. */
  n: number;
  /** The forward model's errors on them. */
  forwardErrors: number;
  /** The final forest's out-of-bag errors on them. */
  outOfBagErrors: number;
  /** Rows only the forward model got wrong, and rows only out of bag got wrong. */
  onlyForward: number;
  onlyOutOfBag: number;
  /** McNemar's z of forward against out of bag (positive: forward errs more). */
  z: number;
  /** Rows the forward model learned. */
  trainRows: number;
  /** The forward error is the promise. */
  used: boolean;
  /** The labels' runs over the scored rows (at the window's class shares): observed, expected, z. */
  runs?: { observed: number; expected: number; z: number };
  /** Independent rows the scored rows are worth, when their labels' runs make them serially dependent (else absent: all of them). */
  worth?: number;
  /** The true class of each scored row, and whether the forward model got it wrong (per-class promises). */
  classes: { label: number; n: number; errors: number }[];
}

/** The paired comparison of the forward model's and the out-of-bag predictions of the same rows. */
export function compareForward(
  labels: readonly number[],
  forward: ArrayLike<number>,
  outOfBag: ArrayLike<number>,
  trainRows: number,
  options: ForwardOptions = {},
  shares?: ArrayLike<number>,
): ForwardEvidence {
  const { minZ, minFactor, minRows } = { ...DEFAULTS, ...options };
  let forwardErrors = 0;
  let outOfBagErrors = 0;
  let onlyForward = 0;
  let onlyOutOfBag = 0;
  const byClass = new Map<number, { label: number; n: number; errors: number }>();
  labels.forEach((y, i) => {
    const f = forward[i] !== y;
    const o = outOfBag[i] !== y;
    if (f) forwardErrors++;
    if (o) outOfBagErrors++;
    if (f && !o) onlyForward++;
    if (o && !f) onlyOutOfBag++;
    const c = byClass.get(y) ?? { label: y, n: 0, errors: 0 };
    c.n++;
    if (f) c.errors++;
    byClass.set(y, c);
  });
  const discordant = onlyForward + onlyOutOfBag;
  const z = discordant === 0 ? 0 : (onlyForward - onlyOutOfBag) / Math.sqrt(discordant);
  const runs = labelRuns(labels, shares);
  const dependent = runs.z >= minZ && runs.worth * minFactor <= labels.length;
  return {
    n: labels.length,
    forwardErrors,
    outOfBagErrors,
    onlyForward,
    onlyOutOfBag,
    z,
    trainRows,
    used: dependent || (z >= minZ && forwardErrors > outOfBagErrors),
    runs: { observed: runs.observed, expected: runs.expected, z: runs.z },
    ...(dependent ? { worth: Math.min(labels.length, Math.max(minRows, Math.round(runs.worth))) } : {}),
    classes: [...byClass.values()].sort((a, b) => a.label - b.label),
  };
}

/** What a version whose forward check was used promises on: its forward errors, per class too, counted as the rows they are worth. */
export function forwardHoldout(
  e: Pick<ForwardEvidence, 'n' | 'forwardErrors' | 'worth'> & { classes?: ForwardEvidence['classes'] },
): { n: number; errors: number; classes?: ForwardEvidence['classes']; rows?: number } {
  const classes = e.classes;
  if (!e.worth || e.worth >= e.n) return { n: e.n, errors: e.forwardErrors, ...(classes ? { classes } : {}) };
  const scale = e.worth / e.n;
  const worth = (count: number) => Math.round(count * scale);
  return {
    n: e.worth,
    errors: Math.min(e.worth, worth(e.forwardErrors)),
    ...(classes
      ? {
          classes: classes.map((c) => {
            const n = Math.max(1, worth(c.n));
            return { label: c.label, n, errors: Math.min(n, worth(c.errors)) };
          }),
        }
      : {}),
    rows: e.n,
  };
}

/** One line for the version's record and the level test's explanation. */
export function describeForward(e: ForwardEvidence): string {
  const pct = (x: number) => `${((100 * x) / e.n).toFixed(1)}%`;
  const flattered = e.forwardErrors > e.outOfBagErrors ? ', so out of bag flattered the model' : '';
  const counted = e.worth ? `, counted as ${e.worth} independent rows` : '';
  const verdict = e.used
    ? `the rows are serially dependent${flattered}: it promises the forward error${counted}`
    : 'no clear difference: it promises its out-of-bag error';
  const runs = e.runs
    ? `; their label changes ${e.runs.observed - 1} times where independent rows' would ${Math.round(e.runs.expected - 1)} (z ${e.runs.z.toFixed(1)})`
    : '';
  return `a model of ${e.trainRows} older rows erred on ${e.forwardErrors} of the newest ${e.n} (${pct(e.forwardErrors)}), out of bag ${e.outOfBagErrors} (${pct(e.outOfBagErrors)}), McNemar z ${e.z.toFixed(1)}${runs}: ${verdict}`;
}
