import { ForestInputError } from '../errors.ts';
import type { Forest } from '../forest.ts';
import {
  checkCategoricalCodes,
  checkLabels,
  type FeatureRows,
  type RowMajorMatrix,
  toRowMajor,
} from '../matrix.ts';
import { accuracy, balancedAccuracy } from '../metrics.ts';
import { type FeatureType, resolveFeatureTypes, resolveMaxFeatures } from '../options.ts';
import { trainForest } from '../train.ts';
import {
  buildCandidates,
  type Candidate,
  type CandidateParams,
  distanceFromDefaults,
  isImbalanced,
  type ResolvedWindow,
  resolveSpace,
  resolveWindows,
  type SearchSpace,
  type SkippedWindow,
  type TrainingWindow,
} from './candidates.ts';
import {
  FitCostModel,
  fitsAhead,
  fitWork,
  type HalvingSchedule,
  interleaveWindows,
  planRungs,
  promote,
  type Rung,
  rungRows,
  subsampleRows,
} from './halving.ts';
import {
  type Contest,
  describeWinner,
  preferWithinNoise,
  rankTrials,
  type Trial,
  toLeaderboard,
} from './leaderboard.ts';

/**
 * Default time budget of a search, fits and final refit included. Chosen so that a search over
 * 20,000 rows × 10 features and the refit of its winner end in about half the 15 s the platform
 * allows from a detected drift to a new model serving, on a 2-core machine (bench/automl).
 */
export const AUTOML_BUDGET_SECONDS = 8;

/** The labelled rows, in serve order (oldest first), as {@link trainForest} takes them. */
export interface SearchForestData {
  features: FeatureRows;
  labels: readonly number[] | Int32Array;
  /** Required when `features` is a flat row-major Float64Array. */
  nFeatures?: number;
  /** One per column, as in trainForest. @default every feature 'numeric' */
  featureTypes?: readonly FeatureType[];
  /** Declared number of classes (some may be absent). @default 1 + the largest label */
  nClasses?: number;
}

export type SearchMetric = 'accuracy' | 'balancedAccuracy';

export interface SearchProgress {
  /** Fits finished (candidate evaluations, then the refit). */
  done: number;
  /** Fits planned; shrinks when the budget ends the halving early. */
  total: number;
  /** The best candidate at the highest rung scored so far. */
  bestSoFar: { score: number; rung: number; window: string; params: CandidateParams } | null;
}

export interface SearchForestOptions {
  /** The training windows to try (at least one), see {@link TrainingWindow}. */
  windows: readonly TrainingWindow[];
  /**
   * Newest rows kept for validation, never trained on during the search.
   * @default 20 % of the rows, at most 4,000 and at most half the smallest window's rows, at least 30
   */
  validationRows?: number;
  /**
   * Wall-clock budget of the whole search including the refit; the refit may end up to
   * REFIT_GRACE × the budget late before it gives up trees. @default AUTOML_BUDGET_SECONDS
   */
  budgetSeconds?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SearchProgress) => void;
  /** Seeds the forests and the subsamples. @default 42 */
  seed?: number;
  /** Worker threads per fit. @default os.availableParallelism() */
  threads?: number;
  /** Nice value of the fits' worker threads (TrainForestOptions.nice). @default 0 */
  nice?: number;
  /** Hyperparameter values to try, over {@link DEFAULT_SEARCH_SPACE}. */
  space?: Partial<SearchSpace>;
  /** Halving schedule. @default { eta: 3, topTrees: 100, minTrees: 30 } */
  schedule?: Partial<HalvingSchedule>;
  /** Trees of the refit winner (fewer only if the budget's remainder and REFIT_GRACE cannot pay for them). @default 100 */
  finalTrees?: number;
  /**
   * What the winner is refit on: its window plus the validation rows (the newest rows, the most
   * like the rows it will serve), or its window alone.
   * @default 'window+validation'
   */
  refitOn?: 'window+validation' | 'window';
  /** `'auto'`: balanced accuracy when the classes are imbalanced (see isImbalanced), else accuracy. @default 'auto' */
  metric?: 'auto' | SearchMetric;
  /**
   * Milliseconds clock for the budget: the one place the search reads time.
   * @default performance.now
   */
  clock?: () => number;
}

export interface LeaderboardEntry {
  /** 1 = the winner. */
  rank: number;
  id: number;
  window: ResolvedWindow;
  /** `nTrees`: trees of its fit at the last rung it reached. */
  params: CandidateParams & { nTrees: number };
  /** Validation score at the last rung it reached; null if it failed or was never scored. */
  score: number | null;
  /** Score at each rung (null where not scored). */
  scores: (number | null)[];
  /** Rows its last fit trained on. */
  trainRows: number;
  /** Fit time summed over its rungs. */
  fitMs: number;
  /** Last rung it was scored at (-1: never, the budget ran out first). */
  rung: number;
  /** Dropped by the halving (scored in the bottom of a rung). */
  cutByHalving: boolean;
  winner: boolean;
  /** Why its fit failed (e.g. a subsample with one class). */
  error?: string;
}

export interface SearchResult {
  winner: LeaderboardEntry & {
    forest: Forest;
    /** "best validation accuracy 0.953 at rung 3, beat the runner-up by 0.004" */
    reason: string;
    refit: { start: number; end: number; rows: number; nTrees: number; ms: number };
  };
  /** Every candidate, best first: by rung reached, then score. */
  leaderboard: LeaderboardEntry[];
  metric: SearchMetric;
  validation: { start: number; rows: number };
  /**
   * The rungs run: candidates entering, trees (fewer than planned when the budget cut them),
   * share of rows, candidates scored and milliseconds.
   */
  rungs: (Rung & { scored: number; ms: number })[];
  skippedWindows: SkippedWindow[];
  /** True when the budget ended the halving part-way through a rung (candidates left unscored). */
  stoppedByBudget: boolean;
  budgetSeconds: number;
  elapsedMs: number;
}

/** Everything the fits of one search share. */
interface SearchContext {
  matrix: RowMajorMatrix;
  labels: Int32Array;
  nClasses: number;
  featureTypes: readonly FeatureType[] | undefined;
  validation: { start: number; features: Float64Array; labels: Int32Array };
  metric: SearchMetric;
  seed: number;
  threads: number | undefined;
  nice: number | undefined;
  signal: AbortSignal | undefined;
  clock: () => number;
  deadline: number;
  budgetMs: number;
  /** Trees of the refit (the budget keeps time for it). */
  finalTrees: number;
  /** Training rows of the largest window. */
  largestWindow: number;
  costs: FitCostModel;
  subsamples: Map<string, { features: Float64Array; labels: Int32Array }>;
  progress: { done: number; total: number; best: SearchProgress['bestSoFar']; emit: () => void };
}

const MIN_RUNG_ROWS = 200;
/**
 * Share of the budget the refit of the winner may run past it: a search whose fits used the
 * budget (a wide table, a loaded machine) refits with fewer trees only beyond that.
 */
export const REFIT_GRACE = 0.5;
const DEFAULT_SCHEDULE: HalvingSchedule = { eta: 3, topTrees: 100, minTrees: 30 };

/**
 * Searches training windows × forest hyperparameters by successive halving under a time budget,
 * scoring each candidate on the newest rows (never trained on), then refits the winner.
 * Deterministic given the seed, as long as the budget lets the same fits run (the result says
 * whether it stopped the halving early); every fit uses the same seed at a rung, and every
 * candidate of a window the same subsample, so scores differ by the parameters.
 *
 * @throws ForestInputError for bad rows, labels, windows or options; the signal's reason when aborted.
 */
export async function searchForest(
  data: SearchForestData,
  options: SearchForestOptions,
): Promise<SearchResult> {
  const clock = options.clock ?? (() => performance.now());
  const startedAt = clock();
  options.signal?.throwIfAborted();
  const setup = prepareSearch(data, options, clock, startedAt);
  const { ctx, candidates, rungs, skipped, budgetSeconds } = setup;
  const trials: Trial[] = candidates.map((candidate) => ({
    candidate,
    scores: rungs.map(() => null),
    fitMs: 0,
    rung: -1,
    trees: 0,
    rows: 0,
    cut: false,
  }));
  const halving = await runHalving(ctx, trials, rungs, setup.schedule, setup.nWindows);
  ctx.progress.total = ctx.progress.done + 1;
  const contest = preferWithinNoise(rankTrials(trials, rungs), ctx.validation.labels.length);
  const winnerTrial = contest.ranked[0]!;
  const refit = await refitWinner(ctx, winnerTrial, options, setup.schedule.minTrees);
  ctx.progress.done++;
  ctx.progress.emit();
  return assembleResult(ctx, { contest, refit, halving, skipped, budgetSeconds, startedAt });
}

function prepareSearch(
  data: SearchForestData,
  options: SearchForestOptions,
  clock: () => number,
  startedAt: number,
) {
  const matrix = toRowMajor(data.features, data.nFeatures, 'features');
  const checked = checkLabels(data.labels, matrix.nRows, data.nClasses);
  const categorical = resolveFeatureTypes(data.featureTypes, matrix.nFeatures);
  checkCategoricalCodes(matrix, categorical);
  const budgetSeconds = options.budgetSeconds ?? AUTOML_BUDGET_SECONDS;
  if (typeof budgetSeconds !== 'number' || !(budgetSeconds > 0) || !Number.isFinite(budgetSeconds)) {
    throw new ForestInputError(
      `options.budgetSeconds must be a positive number, got ${String(budgetSeconds)}`,
    );
  }
  const n = matrix.nRows;
  const validationRows = resolveValidationRows(options, n);
  const validationStart = n - validationRows;
  const { used, skipped } = resolveWindows(
    options.windows,
    checked.labels,
    validationStart,
    minWindowRows(checked.nClasses),
  );
  const imbalanced = isImbalanced(checked.labels, validationStart, checked.nClasses);
  const metric: SearchMetric =
    options.metric === undefined || options.metric === 'auto'
      ? imbalanced
        ? 'balancedAccuracy'
        : 'accuracy'
      : options.metric;
  const schedule = { ...DEFAULT_SCHEDULE, ...options.schedule };
  const candidates = buildCandidates(used, resolveSpace(options.space), matrix.nFeatures, imbalanced);
  const rungs = planRungs(candidates.length, schedule, used.length);
  const progress = {
    done: 0,
    total: fitsAhead(candidates.length, 0, rungs, schedule.eta, used.length) + 1,
    best: null as SearchProgress['bestSoFar'],
    emit: () =>
      options.onProgress?.({ done: progress.done, total: progress.total, bestSoFar: progress.best }),
  };
  const F = matrix.nFeatures;
  const ctx: SearchContext = {
    matrix,
    labels: checked.labels,
    nClasses: checked.nClasses,
    featureTypes: data.featureTypes,
    validation: {
      start: validationStart,
      features: matrix.data.subarray(validationStart * F),
      labels: checked.labels.subarray(validationStart),
    },
    metric,
    seed: options.seed ?? 42,
    threads: options.threads,
    nice: options.nice,
    signal: options.signal,
    clock,
    deadline: startedAt + budgetSeconds * 1000,
    budgetMs: budgetSeconds * 1000,
    finalTrees: options.finalTrees ?? 100,
    largestWindow: Math.max(...used.map((w) => w.rows)),
    costs: new FitCostModel(),
    subsamples: new Map(),
    progress,
  };
  return { ctx, candidates, rungs, skipped, budgetSeconds, schedule, nWindows: used.length };
}

/** Fewest training rows a window needs to be tried. */
function minWindowRows(nClasses: number): number {
  return Math.max(20, 2 * nClasses);
}

function resolveValidationRows(options: SearchForestOptions, n: number): number {
  if (options.validationRows !== undefined) {
    const v = options.validationRows;
    if (!Number.isInteger(v) || v < 1 || v > n - 2) {
      throw new ForestInputError(
        `options.validationRows must be an integer in 1..${n - 2}, got ${String(v)}`,
      );
    }
    return v;
  }
  const newestStart = Math.max(
    0,
    ...(options.windows ?? []).map((w) => (Number.isInteger(w?.start) ? w.start : 0)),
  );
  const smallest = Math.max(0, n - newestStart);
  return Math.max(Math.min(30, n - 2), Math.min(Math.round(0.2 * n), 4000, Math.floor(smallest / 2)));
}

/**
 * Runs the rungs. A rung's trees are cut to what the budget left can pay for (never below
 * minTrees), keeping the refit's share; before each fit the search checks that the fit and the
 * refit still end within the budget, and stops the halving if not. Rung 0 scores the windows in
 * turn, each its defaults first and then cheapest first (interleaveWindows), so a rung 0 cut
 * short has tried every window's defaults and as many candidates as the budget could pay for; a
 * later rung scores its candidates in the order of the previous rung's ranking, so a rung cut
 * short has scored the most promising ones.
 */
async function runHalving(
  ctx: SearchContext,
  trials: Trial[],
  rungs: Rung[],
  schedule: HalvingSchedule,
  nWindows: number,
) {
  const stats: (Rung & { scored: number; ms: number })[] = [];
  // Each window's defaults first (the fallback preferWithinNoise reaches for), then cheapest first.
  let alive = interleaveWindows(trials, ({ candidate }) =>
    distanceFromDefaults(candidate.params) === 0 ? -1 : workOf(ctx, candidate, 1, candidate.window.rows),
  );
  for (const planned of rungs) {
    const rung = {
      ...planned,
      candidates: alive.length,
      trees: affordableTrees(ctx, alive, planned, schedule.minTrees),
    };
    const started = ctx.clock();
    let scored = 0;
    for (const trial of alive) {
      ctx.signal?.throwIfAborted();
      if (scored > 0 && !affordable(ctx, trial, rung, alive)) break;
      await scoreTrial(ctx, trial, rung);
      scored++;
      noteProgress(ctx, trials, rung);
    }
    stats.push({ ...rung, scored, ms: ctx.clock() - started });
    if (scored < alive.length) return { stats, stoppedByBudget: true };
    if (rung.index === rungs.length - 1 || alive.length === 1) break;
    const ranked = [...alive].sort((a, b) => (b.scores[rung.index] ?? -1) - (a.scores[rung.index] ?? -1));
    const next = promote(ranked, schedule.eta);
    for (const trial of ranked) if (!next.includes(trial)) trial.cut = true;
    alive = next;
    ctx.progress.total =
      ctx.progress.done + fitsAhead(alive.length, rung.index + 1, rungs, schedule.eta, nWindows) + 1;
  }
  return { stats, stoppedByBudget: false };
}

function workOf(ctx: SearchContext, candidate: Candidate, trees: number, rows: number): number {
  const { params } = candidate;
  const featuresTried = resolveMaxFeatures(params.maxFeatures, ctx.matrix.nFeatures);
  return fitWork(trees, rows, featuresTried, params.maxDepth, params.minSamplesLeaf);
}

/**
 * Predicted time of the refit of the most expensive of `alive` with the final trees. A candidate
 * already scored can win, so its refit is priced even far beyond the fits seen (capped at
 * half the budget, since such a price comes out dear): on a wide table rung 0 alone can use
 * the budget, and without that share the winner was refit with 30 trees instead of 100 (784
 * features: 1.5 points of accuracy).
 */
function refitReserve(ctx: SearchContext, alive: readonly Trial[]): number {
  let reserve = 0;
  for (const { candidate, rung } of alive) {
    const rows = candidate.window.rows + ctx.validation.labels.length;
    const work = workOf(ctx, candidate, ctx.finalTrees, rows);
    reserve = Math.max(reserve, ctx.costs.estimate(work));
    if (rung >= 0) reserve = Math.max(reserve, Math.min(ctx.costs.estimate(work, true), ctx.budgetMs / 2));
  }
  return reserve;
}

/** The rung's trees, or fewer (at least minTrees) if the budget left after the refit's share cannot pay for them. */
function affordableTrees(ctx: SearchContext, alive: readonly Trial[], rung: Rung, minTrees: number): number {
  let cost = 0;
  for (const { candidate } of alive)
    cost += ctx.costs.estimate(workOf(ctx, candidate, rung.trees, rowsAt(ctx, candidate, rung)));
  const available = ctx.deadline - ctx.clock() - refitReserve(ctx, alive);
  if (cost === 0 || cost <= available) return rung.trees;
  return Math.max(Math.min(minTrees, rung.trees), Math.floor((rung.trees * Math.max(0, available)) / cost));
}

/** Whether this fit, and the refit of the most expensive survivor after it, end within the budget. */
function affordable(ctx: SearchContext, trial: Trial, rung: Rung, alive: readonly Trial[]): boolean {
  const fit = ctx.costs.estimate(
    workOf(ctx, trial.candidate, rung.trees, rowsAt(ctx, trial.candidate, rung)),
  );
  return ctx.clock() + fit + refitReserve(ctx, alive) <= ctx.deadline;
}

function rowsAt(ctx: SearchContext, candidate: Candidate, rung: Rung): number {
  // Every window gets at least MIN_RUNG_ROWS (or all its rows): a short window of the new regime
  // judged on a few dozen rows loses to a long mixed one, and when the budget stops the halving
  // before the last rung that verdict stands.
  return rungRows(
    candidate,
    rung,
    ctx.largestWindow,
    MIN_RUNG_ROWS,
    Math.max(MIN_RUNG_ROWS, minWindowRows(ctx.nClasses)),
  );
}

/** Fits one candidate at a rung and scores it on the validation rows. */
async function scoreTrial(ctx: SearchContext, trial: Trial, rung: Rung): Promise<void> {
  const { candidate } = trial;
  const rows = rowsAt(ctx, candidate, rung);
  const sample = rungSample(ctx, candidate.window, rung, rows);
  const { params } = candidate;
  const started = ctx.clock();
  try {
    const forest = await trainForest(sample.features, sample.labels, {
      nFeatures: ctx.matrix.nFeatures,
      nEstimators: rung.trees,
      maxDepth: params.maxDepth,
      minSamplesLeaf: params.minSamplesLeaf,
      maxFeatures: params.maxFeatures,
      classWeight: params.classWeight,
      nClasses: ctx.nClasses,
      seed: (ctx.seed + 0x9e3779b1 * (rung.index + 1)) >>> 0,
      ...(ctx.featureTypes ? { featureTypes: ctx.featureTypes } : {}),
      ...(ctx.threads ? { threads: ctx.threads } : {}),
      ...(ctx.nice ? { nice: ctx.nice } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const ms = ctx.clock() - started;
    const F = ctx.matrix.nFeatures;
    ctx.costs.add(
      fitWork(
        rung.trees,
        rows,
        resolveMaxFeatures(params.maxFeatures, F),
        params.maxDepth,
        params.minSamplesLeaf,
      ),
      ms,
    );
    trial.fitMs += ms;
    trial.scores[rung.index] = scoreOn(ctx, forest);
  } catch (error) {
    if (!(error instanceof ForestInputError)) throw error;
    trial.fitMs += ctx.clock() - started;
    trial.error = error.message;
  }
  trial.rung = rung.index;
  trial.trees = rung.trees;
  trial.rows = rows;
}

function scoreOn(ctx: SearchContext, forest: Forest): number {
  const predicted = forest.predict(ctx.validation.features);
  return (ctx.metric === 'accuracy' ? accuracy : balancedAccuracy)(ctx.validation.labels, predicted);
}

/** The rows a window trains on at a rung (shared by its candidates there). */
function rungSample(ctx: SearchContext, window: ResolvedWindow, rung: Rung, rows: number) {
  const key = `${window.start}/${rung.index}`;
  let sample = ctx.subsamples.get(key);
  if (sample) return sample;
  if (ctx.subsamples.size > 0 && ![...ctx.subsamples.keys()].some((k) => k.endsWith(`/${rung.index}`)))
    ctx.subsamples.clear(); // a new rung: the previous rung's samples are not needed again
  const F = ctx.matrix.nFeatures;
  const seed =
    (ctx.seed ^ Math.imul(rung.index + 1, 0x85ebca6b) ^ Math.imul(window.start + 1, 0xc2b2ae35)) >>> 0;
  const index = subsampleRows(window.start, window.end, rows, seed);
  const features = new Float64Array(index.length * F);
  const labels = new Int32Array(index.length);
  index.forEach((r, i) => {
    features.set(ctx.matrix.data.subarray(r * F, r * F + F), i * F);
    labels[i] = ctx.labels[r]!;
  });
  sample = { features, labels };
  ctx.subsamples.set(key, sample);
  return sample;
}

function noteProgress(ctx: SearchContext, trials: Trial[], rung: Rung): void {
  ctx.progress.done++;
  let best: Trial | null = null;
  for (const t of trials) {
    const s = t.scores[rung.index];
    if (s !== null && s !== undefined && (best === null || s > best.scores[rung.index]!)) best = t;
  }
  if (best) {
    const { candidate } = best;
    ctx.progress.best = {
      score: best.scores[rung.index]!,
      rung: rung.index,
      window: candidate.window.name,
      params: candidate.params,
    };
  }
  ctx.progress.emit();
}

/** Fits the winner on its window (plus the validation rows by default) with the final trees. */
async function refitWinner(
  ctx: SearchContext,
  winner: Trial,
  options: SearchForestOptions,
  minTrees: number,
) {
  const { candidate } = winner;
  const end = (options.refitOn ?? 'window+validation') === 'window' ? candidate.window.end : ctx.matrix.nRows;
  const F = ctx.matrix.nFeatures;
  const rows = end - candidate.window.start;
  const { params } = candidate;
  const work = (trees: number) =>
    fitWork(trees, rows, resolveMaxFeatures(params.maxFeatures, F), params.maxDepth, params.minSamplesLeaf);
  let nTrees = options.finalTrees ?? 100;
  const floor = Math.min(nTrees, minTrees);
  // The refit is the model that serves: it may end up to half the budget late rather than serve
  // a forest of a third of its trees (REFIT_GRACE).
  const deadline = ctx.deadline + REFIT_GRACE * ctx.budgetMs;
  while (nTrees > floor && ctx.clock() + ctx.costs.estimate(work(nTrees), true) > deadline)
    nTrees = Math.max(floor, Math.floor(nTrees * 0.8));
  const started = ctx.clock();
  const forest = await trainForest(
    ctx.matrix.data.subarray(candidate.window.start * F, end * F),
    ctx.labels.subarray(candidate.window.start, end),
    {
      nFeatures: F,
      nEstimators: nTrees,
      maxDepth: params.maxDepth,
      minSamplesLeaf: params.minSamplesLeaf,
      maxFeatures: params.maxFeatures,
      classWeight: params.classWeight,
      nClasses: ctx.nClasses,
      seed: ctx.seed,
      ...(ctx.featureTypes ? { featureTypes: ctx.featureTypes } : {}),
      ...(ctx.threads ? { threads: ctx.threads } : {}),
      ...(ctx.nice ? { nice: ctx.nice } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
  );
  return { forest, start: candidate.window.start, end, rows, nTrees, ms: ctx.clock() - started };
}

function assembleResult(
  ctx: SearchContext,
  parts: {
    contest: Contest;
    refit: Awaited<ReturnType<typeof refitWinner>>;
    halving: { stats: SearchResult['rungs']; stoppedByBudget: boolean };
    skipped: SkippedWindow[];
    budgetSeconds: number;
    startedAt: number;
  },
): SearchResult {
  const { contest, refit, halving } = parts;
  const leaderboard = toLeaderboard(contest);
  const { forest, ...refitInfo } = refit;
  return {
    winner: { ...leaderboard[0]!, forest, reason: describeWinner(contest, ctx.metric), refit: refitInfo },
    leaderboard,
    metric: ctx.metric,
    validation: { start: ctx.validation.start, rows: ctx.validation.labels.length },
    rungs: halving.stats,
    skippedWindows: parts.skipped,
    stoppedByBudget: halving.stoppedByBudget,
    budgetSeconds: parts.budgetSeconds,
    elapsedMs: ctx.clock() - parts.startedAt,
  };
}
