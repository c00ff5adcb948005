import {
  balancedAccuracy,
  errorRise,
  mcnemarTest,
  minorityShare,
  pairedBalancedDifference,
  strongestRise,
} from '@automl-stream/drift';
import type { PolicyConfig } from './config.ts';
import type { Explanation } from './types.ts';

/** A model's predictions on the shared hold-out. */
export interface ScoredModel {
  version: number | null;
  predicted: ArrayLike<number>;
}

export interface GateInput {
  /** Labels of the hold-out: the newest rows of the training window. */
  labels: ArrayLike<number>;
  challenger: ScoredModel;
  /** The serving version (null for the bootstrap). */
  champion: ScoredModel | null;
  /** Up to 5 newest archived versions, for recurring concepts. */
  archived: readonly ScoredModel[];
  /** P4 flagged the champion: a point estimate challenger >= champion is enough. */
  championFlagged: boolean;
  /** The lineage's error before the alarm that queued the job (regression check); null to skip. */
  lineageError: number | null;
  /**
   * The champion's test-then-train errors over the training window, in serve order, with their
   * positions: if both models fail the regression check, a rise located in them is where the
   * window should start instead.
   */
  windowErrors?: { wrong: ArrayLike<number>; servedAt: ArrayLike<number> };
  /**
   * Out-of-bag gate: how many of the rows are the newest, as many as a hold-out would hold. A
   * flagged champion the challenger loses to on all the rows is replaced when it wins on these
   * (`newestRowsRule`). Absent: all the rows are the newest.
   */
  newestRows?: number;
}

export interface GateDecision {
  decision: 'promote' | 'reject' | 'repromote';
  /** The version to re-promote (decision 'repromote'). */
  version: number | null;
  metric: 'accuracy' | 'balanced_accuracy';
  challengerScore: number;
  championScore: number | null;
  /** challenger − champion on the metric, and its one-sided lower bound. */
  difference: number | null;
  lowerBound: number | null;
  /** Set when the regression check found a later start for the window. */
  requeueSince: number | null;
  explanation: Explanation;
}

function correct(labels: ArrayLike<number>, predicted: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = predicted[i] === labels[i] ? 1 : 0;
  return out;
}

/**
 * Balanced accuracy, when the gate uses it: over the classes with at least `minClassRows` hold-out
 * rows (a class of a row or two has a recall of 0 or 1 by chance, and would weigh as much as a
 * class of hundreds).
 */
interface BalancedRule {
  minClassRows: number;
}

/** Balanced accuracy when the rarest class with enough rows is below `balancedBelow`; else null (accuracy). */
function balancedRule(labels: ArrayLike<number>, config: PolicyConfig): BalancedRule | null {
  const rule = { minClassRows: config.balancedMinClassRows };
  return minorityShare(labels, rule) < config.balancedBelow ? rule : null;
}

function score(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  balanced: BalancedRule | null,
): number {
  if (balanced) return balancedAccuracy(labels, predicted, balanced);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));

/**
 * P6, the promotion gate, pure: a paired comparison of challenger and champion on the same
 * hold-out rows. Promote iff the one-sided lower bound (confidence `gateConfidence`) of
 * challenger − champion is at least −tolerance: exact McNemar for accuracy, the paired balanced
 * accuracy difference when a class is rarer than `balancedBelow`. A champion flagged by the
 * level tests only needs to be matched on the point estimate. Refuses when both models are far
 * below the lineage's earlier level (the window may straddle a change), and re-promotes an
 * archived version that beats the challenger by the tolerance (recurring concepts).
 */
export function promotionGate(input: GateInput, config: PolicyConfig): GateDecision {
  const { labels } = input;
  const balanced = balancedRule(labels, config);
  const metric = balanced ? 'balanced_accuracy' : 'accuracy';
  const challengerScore = score(labels, input.challenger.predicted, balanced);
  const tol = config.promotionTolerance;
  const gate: Gate = {
    input,
    config,
    balanced,
    base: { metric, challengerScore, requeueSince: null },
    explain: (summary, decision, evidence) => ({
      signal: 'gate',
      summary,
      evidence: {
        metric,
        holdoutRows: labels.length,
        challenger: challengerScore,
        tolerance: tol,
        ...evidence,
      },
      decision,
      cost: null,
    }),
  };

  const repromoted = repromoteArchived(gate);
  if (repromoted) return repromoted;
  if (!input.champion) {
    return {
      ...gate.base,
      decision: 'promote',
      version: null,
      championScore: null,
      difference: null,
      lowerBound: null,
      explanation: gate.explain('no model serves yet', 'promote: the first version needs no comparison', {}),
    };
  }
  const decision = againstChampion(gate, input.champion);
  return decision.decision === 'reject' ? (onNewestRows(input, config, decision) ?? decision) : decision;
}

/**
 * A flagged champion the challenger lost to on all the gate's rows, judged again on the newest
 * of them (`newestRowsRule`): promoted when the challenger is at least as good there, the rise
 * found in the window (if any) still asking for a retrain from it.
 */
function onNewestRows(input: GateInput, config: PolicyConfig, whole: GateDecision): GateDecision | null {
  const n = input.newestRows ?? input.labels.length;
  if (
    !config.newestRowsRule ||
    !input.championFlagged ||
    !input.champion ||
    n >= input.labels.length ||
    n <= 0
  )
    return null;
  const from = input.labels.length - n;
  const slice = (a: ArrayLike<number>) => Array.prototype.slice.call(a, from) as number[];
  const recent = promotionGate(
    {
      labels: slice(input.labels),
      challenger: { ...input.challenger, predicted: slice(input.challenger.predicted) },
      champion: { ...input.champion, predicted: slice(input.champion.predicted) },
      archived: [],
      championFlagged: true,
      lineageError: input.lineageError,
    },
    config,
  );
  if (recent.decision !== 'promote') return null;
  const explanation = {
    ...recent.explanation,
    decision: `${recent.explanation.decision} (on the newest ${n} of the ${input.labels.length} gate rows: the older ones favour the failing champion)`,
  };
  return { ...recent, requeueSince: whole.requeueSince, explanation };
}

/** What the steps of one gate decision share. */
interface Gate {
  input: GateInput;
  config: PolicyConfig;
  balanced: BalancedRule | null;
  base: Pick<GateDecision, 'metric' | 'challengerScore' | 'requeueSince'>;
  explain: (summary: string, decision: string, evidence: Explanation['evidence']) => Explanation;
}

/** Re-promotes the best archived version when it beats the challenger by the tolerance. */
function repromoteArchived(gate: Gate): GateDecision | null {
  const { input, config, balanced } = gate;
  const { labels } = input;
  const { challengerScore } = gate.base;
  const tol = config.promotionTolerance;
  const best = bestArchived(input, balanced);
  if (
    !best ||
    !(best.score >= challengerScore + tol) ||
    (input.champion !== null && best.version === input.champion.version)
  )
    return null;
  // Balanced accuracy weighs a class of a few hold-out rows as much as the rest: an archived
  // version that wins on it must not lose on plain accuracy as well (a model that calls every
  // row of the new regime's majority wrong can win on three minority rows).
  if (balanced && score(labels, best.predicted, null) < score(labels, input.challenger.predicted, null) - tol)
    return null;
  const championScore = input.champion ? score(labels, input.champion.predicted, balanced) : null;
  // Against the champion the archived version must pass the gate's own paired rule.
  const paired = input.champion
    ? pairedLowerBound(labels, best.predicted, input.champion.predicted, balanced, config)
    : null;
  if (paired !== null && !(paired >= -tol)) return null;
  return {
    ...gate.base,
    decision: 'repromote',
    version: best.version,
    championScore,
    difference: null,
    lowerBound: null,
    explanation: gate.explain(
      `archived v${best.version} scores ${f(best.score)} on the hold-out, the challenger ${f(challengerScore)}`,
      `re-promote v${best.version}: it beats the challenger by at least the tolerance (a recurring concept)`,
      { archived: best.version, archivedScore: best.score, champion: championScore },
    ),
  };
}

/** The paired comparison of challenger and champion on the hold-out, with the regression check. */
function againstChampion(gate: Gate, champion: ScoredModel): GateDecision {
  const { input, config, balanced, base } = gate;
  const { labels } = input;
  const { metric, challengerScore } = base;
  const tol = config.promotionTolerance;
  const championScore = score(labels, champion.predicted, balanced);
  const paired = pairedComparison(labels, input.challenger.predicted, champion.predicted, balanced, config);
  const evidence = {
    champion: championScore,
    difference: paired.difference,
    lowerBound: paired.lowerBound,
    confidence: config.gateConfidence,
    test: balanced ? 'paired balanced accuracy (normal)' : 'exact McNemar',
  };
  // A challenger clearly better than the champion is promoted even if the new regime is harder.
  const regression =
    paired.lowerBound > 0 ? null : regressionCheck(input, challengerScore, championScore, balanced, config);
  if (regression) {
    return {
      ...base,
      decision: 'reject',
      version: null,
      championScore,
      difference: paired.difference,
      lowerBound: paired.lowerBound,
      requeueSince: regression.requeueSince,
      explanation: gate.explain(regression.summary, regression.decision, {
        ...evidence,
        ...regression.evidence,
      }),
    };
  }
  const promote = input.championFlagged ? paired.difference >= 0 : paired.lowerBound >= -tol;
  const rule = input.championFlagged
    ? `the champion is flagged by a level test, so challenger >= champion on the point estimate suffices (difference ${f(paired.difference)})`
    : `the ${config.gateConfidence * 100}% lower bound of challenger − champion, ${f(paired.lowerBound)}, ${promote ? '>=' : '<'} −${tol}`;
  const requeue = promote ? null : gradualRise(input, config);
  return {
    ...base,
    decision: promote ? 'promote' : 'reject',
    version: null,
    championScore,
    difference: paired.difference,
    lowerBound: paired.lowerBound,
    requeueSince: requeue?.at ?? null,
    explanation: gate.explain(
      `challenger ${f(challengerScore)} vs champion ${f(championScore)} (${metric}, ${labels.length} paired rows)`,
      `${promote ? 'promote' : 'reject'}: ${rule}${requeue ? `; the champion's errors rose again inside the window at position ${requeue.at} (z ${requeue.z.toFixed(2)}): the drift went on, retrain from there` : ''}`,
      requeue ? { ...evidence, requeueSince: requeue.at, riseZ: requeue.z } : evidence,
    ),
  };
}

/**
 * A retrain for a flagged champion lost on its window, and the champion's errors rose again inside
 * that window (z >= `moveLocatedZ`, with `moveLocatedWindow`): the drift was still going on, the
 * window mixes concepts, and the rows after the second rise are the regime to learn.
 */
function gradualRise(input: GateInput, config: PolicyConfig): { at: number; z: number } | null {
  if (!config.moveLocatedWindow || !input.championFlagged || !input.windowErrors) return null;
  const { wrong, servedAt } = input.windowErrors;
  const cut = strongestRise(wrong, 0);
  if (cut === null) return null;
  const rise = errorRise(wrong, cut);
  return rise && rise.z >= config.moveLocatedZ ? { at: servedAt[cut]!, z: rise.z } : null;
}

/** Challenger − champion on the same rows: exact McNemar, or the paired balanced accuracy difference. */
function pairedComparison(
  labels: ArrayLike<number>,
  challenger: ArrayLike<number>,
  champion: ArrayLike<number>,
  balanced: BalancedRule | null,
  config: PolicyConfig,
) {
  const a = correct(labels, challenger);
  const b = correct(labels, champion);
  return balanced
    ? pairedBalancedDifference(labels, a, b, { confidence: config.gateConfidence, ...balanced })
    : mcnemarTest(a, b, { confidence: config.gateConfidence });
}

function pairedLowerBound(
  labels: ArrayLike<number>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  balanced: BalancedRule | null,
  config: PolicyConfig,
): number {
  const ra = correct(labels, a);
  const rb = correct(labels, b);
  return balanced
    ? pairedBalancedDifference(labels, ra, rb, { confidence: config.gateConfidence, ...balanced }).lowerBound
    : mcnemarTest(ra, rb, { confidence: config.gateConfidence }).lowerBound;
}

function bestArchived(
  input: GateInput,
  balanced: BalancedRule | null,
): { version: number; score: number; predicted: ArrayLike<number> } | null {
  let best: { version: number; score: number; predicted: ArrayLike<number> } | null = null;
  for (const model of input.archived) {
    if (model.version === null) continue;
    const s = score(input.labels, model.predicted, balanced);
    if (!best || s > best.score) best = { version: model.version, score: s, predicted: model.predicted };
  }
  return best;
}

/**
 * Both models' hold-out error above lineage error + margin + 2·SE: the window probably straddles
 * a change (or precedes it), and promoting either would lock in a bad model. A rise located in the
 * champion's own errors over the window gives where the window should start.
 */
function regressionCheck(
  input: GateInput,
  challengerScore: number,
  championScore: number,
  balanced: BalancedRule | null,
  config: PolicyConfig,
) {
  if (input.lineageError === null || balanced) return null;
  const n = input.labels.length;
  const limit = (e: number) =>
    input.lineageError! + config.regressionMargin + 2 * Math.sqrt((e * (1 - e)) / n);
  const errChallenger = 1 - challengerScore;
  const errChampion = 1 - championScore;
  if (!(errChallenger > limit(errChallenger) && errChampion > limit(errChampion))) return null;
  let requeueSince: number | null = null;
  if (input.windowErrors) {
    const cut = strongestRise(input.windowErrors.wrong, 0);
    if (cut !== null) requeueSince = input.windowErrors.servedAt[cut]!;
  }
  return {
    requeueSince,
    summary: `both models err far above the lineage's earlier level ${f(input.lineageError)} (challenger ${f(errChallenger)}, champion ${f(errChampion)})`,
    decision:
      requeueSince === null
        ? 'reject: neither model delivers what the lineage did; the window may straddle a change'
        : `reject and retrain from position ${requeueSince}, where the champion's errors rose inside the window`,
    evidence: { lineageError: input.lineageError, regressionMargin: config.regressionMargin },
  };
}

/** The rows served since a located change, and how the serving and archived versions scored on them. */
export interface ArchivedCheckInput {
  labels: ArrayLike<number>;
  champion: ScoredModel;
  /** Archived versions with the error they promised (their level test's baseline). */
  archived: readonly (ScoredModel & { promise: number })[];
}

/**
 * A recurring concept, served again with no training: the archived version that scores best on
 * the labelled rows served since a located change is re-promoted when it is better than the
 * serving version on them (the gate's paired rule: lower bound of archived − champion > 0) and
 * keeps its own promise there (its error on them at most the error it promised). Null otherwise:
 * the retrain waits for its rows as before.
 */
export function repromoteWithoutTraining(
  input: ArchivedCheckInput,
  config: PolicyConfig,
): GateDecision | null {
  const { labels } = input;
  if (labels.length === 0) return null;
  const balanced = balancedRule(labels, config);
  const metric = balanced ? 'balanced_accuracy' : 'accuracy';
  let best: { model: ArchivedCheckInput['archived'][number]; score: number } | null = null;
  for (const model of input.archived) {
    const s = score(labels, model.predicted, balanced);
    if (model.version !== null && (!best || s > best.score)) best = { model, score: s };
  }
  if (!best) return null;
  const error = 1 - score(labels, best.model.predicted, null);
  const championScore = score(labels, input.champion.predicted, balanced);
  const lower = pairedLowerBound(labels, best.model.predicted, input.champion.predicted, balanced, config);
  if (!(lower > 0) || error > best.model.promise) return null;
  const version = best.model.version!;
  return {
    decision: 'repromote',
    version,
    metric,
    challengerScore: best.score,
    championScore,
    difference: best.score - championScore,
    lowerBound: lower,
    requeueSince: null,
    explanation: {
      signal: 'gate',
      summary: `archived v${version} scores ${f(best.score)} on the ${labels.length} labelled rows since the change, the serving v${input.champion.version} ${f(championScore)}`,
      evidence: {
        metric,
        rows: labels.length,
        archived: version,
        archivedScore: best.score,
        archivedError: error,
        promised: best.model.promise,
        champion: championScore,
        lowerBound: lower,
        confidence: config.gateConfidence,
      },
      decision: `re-promote v${version} with no training: it is better than the serving version on the same rows (${config.gateConfidence * 100}% lower bound ${f(lower)} > 0) and keeps its promise there (error ${f(error)} <= ${f(best.model.promise)}); a recurring concept`,
      cost: null,
    },
  };
}
