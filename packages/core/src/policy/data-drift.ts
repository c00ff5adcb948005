import { trailingRunBelow } from '@automl-stream/drift';
import type { PolicyConfig } from './config.ts';
import { queueJob } from './transitions.ts';
import type { ChunkEvidence, Evidence, Explanation, PolicyAction, PolicyState } from './types.ts';

/**
 * Whether a closed chunk joins the reference (P2): the reference grows with unflagged chunks of
 * its regime until it holds `maxReferenceRows`, so a small training sample stops being advisory.
 */
export function shouldGrowReference(
  referenceRows: number,
  chunkPValue: number,
  config: PolicyConfig,
): boolean {
  return referenceRows < config.maxReferenceRows && chunkPValue >= config.chunkAlpha;
}

/** Chunks whose p-values the state keeps (for `featuresMovedIn`). */
export const TESTED_CHUNKS_KEPT = 4;

/**
 * Whether the features moved in served positions [from, to): a chunk tested among the newest kept
 * that overlaps them was flagged (p < α, advisory or not), with the `inARow` − 1 chunks tested
 * just before it flagged too (persistence, as for a data-drift verdict).
 */
export function featuresMovedIn(state: PolicyState, from: number, to: number, inARow = 1): boolean {
  const tested = state.data.tested ?? [];
  const flagged = (c: { pValue: number }) => c.pValue < state.config.chunkAlpha;
  return tested.some(
    (c, i) =>
      c.to > from && c.from < to && i + 1 >= inARow && tested.slice(i + 1 - inARow, i + 1).every(flagged),
  );
}

function drifted(chunk: ChunkEvidence, alpha: number): number[] {
  const voting = chunk.test.features.filter((f) => f.votes);
  const flagged = voting.filter((f) => f.pValue < alpha).map((f) => f.feature);
  if (flagged.length > 0) return flagged;
  const strongest = voting.reduce<(typeof voting)[number] | null>(
    (a, f) => (!a || f.pValue < a.pValue ? f : a),
    null,
  );
  return strongest ? [strongest.feature] : [];
}

function chunkEvidence(chunk: ChunkEvidence, config: PolicyConfig, run: number): Explanation['evidence'] {
  const top = [...chunk.test.features].sort((a, b) => a.pValue - b.pValue)[0];
  return {
    test: 'chunk: KS / chi-square / missing rate per feature, Simes over the voting features',
    chunkFrom: chunk.from,
    chunkTo: chunk.to,
    rows: chunk.test.nCurrent,
    referenceRows: chunk.test.nReference,
    pValue: chunk.test.pValue,
    alpha: config.chunkAlpha,
    flaggedInARow: run,
    persistence: config.persistence,
    votingFeatures: chunk.test.voting.join(',') || 'none',
    strongestFeature: top?.feature ?? null,
    strongestTest: top?.test ?? null,
    strongestEffect: top?.effect ?? null,
  };
}

/**
 * P3: data drift is confirmed by `persistence` flagged chunks in a row (or by one, when a level
 * test alarmed during it). With labels coming in it only warns: the labels already say
 * whether accuracy suffered. After `maxRejections` warnings for the same features with no loss,
 * the drift is accepted (those features stop voting). Without labels it queues a retrain.
 */
export function evaluateChunks(
  state: PolicyState,
  evidence: Evidence,
): { state: PolicyState; actions: PolicyAction[]; explanations: Explanation[] } {
  const { config } = state;
  let s = state;
  const actions: PolicyAction[] = [];
  const explanations: Explanation[] = [];
  for (const chunk of evidence.chunks) {
    const tested = [
      ...(s.data.tested ?? []),
      { from: chunk.from, to: chunk.to, pValue: chunk.test.pValue },
    ].slice(-TESTED_CHUNKS_KEPT);
    s = { ...s, data: { ...s.data, tested } };
    let data = s.data;
    if (chunk.test.nReference < config.minReferenceRows) {
      s = { ...s, data: { ...data, recent: [], flaggedFrom: null } };
      explanations.push({
        signal: 'data',
        summary: `chunk ${chunk.from}..${chunk.to}: p ${chunk.test.pValue.toPrecision(3)} against a reference of ${chunk.test.nReference} rows`,
        evidence: { ...chunkEvidence(chunk, config, 0), advisory: true },
        decision: `advisory only: a reference under ${config.minReferenceRows} rows is too small for a verdict (D9); it grows with the regime's rows`,
        cost: null,
      });
      continue;
    }
    const quiet = acceptQuietDrift(s, chunk);
    s = quiet.state;
    data = s.data;
    actions.push(...quiet.actions);
    explanations.push(...quiet.actions.map((a) => a.explanation));
    const p = chunk.test.pValue;
    const recent = [...data.recent, p].slice(-(config.persistence + 1));
    data = { ...data, recent, flaggedFrom: p < config.chunkAlpha ? (data.flaggedFrom ?? chunk.from) : null };
    const run = trailingRunBelow(recent, config.chunkAlpha);
    // A level alarm during the flagged run (or the chunk before it) corroborates a single chunk.
    const alarmed =
      run >= 1 &&
      data.lastAlarmAt !== null &&
      data.lastAlarmAt >= (data.flaggedFrom ?? chunk.from) - config.chunkSize;
    const confirmed = run >= config.persistence || alarmed;
    s = { ...s, data };
    const summary = `chunk ${chunk.from}..${chunk.to}: p ${p.toPrecision(3)} (${run} flagged in a row)`;
    if (!confirmed) {
      explanations.push({
        signal: 'data',
        summary,
        evidence: chunkEvidence(chunk, config, run),
        decision:
          run === 0
            ? `no data drift: p >= ${config.chunkAlpha}`
            : `flagged, not confirmed: ${config.persistence} flagged chunks in a row are needed (expected ${Math.round(1 / config.chunkAlpha ** config.persistence)} chunks between false alarms)`,
        cost: null,
      });
      continue;
    }
    const features = drifted(chunk, config.chunkAlpha);
    const handled =
      evidence.recent.labelled > 0
        ? warnWithLabels(s, chunk, features, run, alarmed, summary)
        : retrainWithoutLabels(s, chunk, features, run, summary, evidence);
    s = handled.state;
    actions.push(...handled.actions);
    explanations.push(handled.explanation);
  }
  return { state: s, actions, explanations };
}

function warnWithLabels(
  state: PolicyState,
  chunk: ChunkEvidence,
  features: number[],
  run: number,
  alarmed: boolean,
  summary: string,
): { state: PolicyState; actions: PolicyAction[]; explanation: Explanation } {
  const { config } = state;
  const serving = state.serving!;
  const same = state.data.warnings && state.data.warnings.features.join(',') === features.join(',');
  const count = alarmed ? 0 : same ? state.data.warnings!.count + 1 : 1;
  const labels = `labels: v${serving.version} errs ${serving.outcomes ? ((100 * serving.errors) / serving.outcomes).toFixed(1) : 'n/a'}% over ${serving.outcomes} outcomes, promised ${(100 * serving.level.b).toFixed(1)}%`;
  const evidence = { ...chunkEvidence(chunk, config, run), features: features.join(','), warnings: count };
  const reset = { recent: [], flaggedFrom: null };
  if (count >= config.maxRejections) {
    const explanation: Explanation = {
      signal: 'data',
      summary,
      evidence,
      decision: `drift accepted for feature(s) ${features.join(', ')}: ${count} confirmed warnings in a row and the labels show no loss (${labels}); they stop voting`,
      cost: null,
    };
    const muted = [...new Set([...state.data.muted, ...features])].sort((a, b) => a - b);
    return {
      state: { ...state, data: { ...state.data, ...reset, warnings: null, muted } },
      actions: [{ type: 'accept_drift', kind: 'data', features, explanation }],
      explanation,
    };
  }
  const explanation: Explanation = {
    signal: 'data',
    summary,
    evidence,
    decision: `warning: feature(s) ${features.join(', ')} drifted; ${alarmed ? 'the level test alarmed too (see its verdict)' : `no retrain, labels decide (${labels})`}`,
    cost: null,
  };
  return {
    state: { ...state, data: { ...state.data, ...reset, warnings: { features, count } } },
    actions: [{ type: 'warn', features, explanation }],
    explanation,
  };
}

function retrainWithoutLabels(
  state: PolicyState,
  chunk: ChunkEvidence,
  features: number[],
  run: number,
  summary: string,
  evidence: Evidence,
): { state: PolicyState; actions: PolicyAction[]; explanation: Explanation } {
  const { config } = state;
  const since = state.data.flaggedFrom ?? chunk.from;
  const base = { ...chunkEvidence(chunk, config, run), features: features.join(','), recentLabelled: 0 };
  const open = state.jobs.find((j) => j.trigger !== 'growth');
  const blocked = open
    ? `job ${open.id} is already open`
    : state.labelledTotal < state.cooldownUntil
      ? `back-off after ${state.rejections.data} rejected data-drift retrain(s)`
      : null;
  if (blocked) {
    const explanation: Explanation = {
      signal: 'data',
      summary,
      evidence: base,
      decision: `no new retrain: ${blocked}`,
      cost: null,
    };
    return { state, actions: [], explanation };
  }
  const queued = queueJob(
    { ...state, data: { ...state.data, recent: [], flaggedFrom: null } },
    {
      trigger: 'data',
      since,
      sinceKind: 'check',
      queuedAt: evidence.now,
      championFlagged: false,
      lineageError: null,
      reason: summary,
    },
  );
  const explanation: Explanation = {
    signal: 'data',
    summary,
    evidence: base,
    decision: `no labelled row among the newest ${config.noLabelsWindow} served: queue retrain job ${queued.job.id} with two candidate windows (from position ${since}, and the newest ${config.trainWindow}); it trains when their labels arrive`,
    cost: { trainingRuns: 2, trainingRows: config.minTrainRows },
  };
  return {
    state: queued.state,
    actions: [{ type: 'queue_retrain', job: queued.job, explanation }],
    explanation,
  };
}

/**
 * Drift in a feature that does not vote (the model barely uses it: a row counter, an id, a
 * timestamp) is reported with every chunk but never acted on. Once it has been flagged in
 * `persistence × maxRejections` chunks in a row it is accepted: one drift.accepted, and it stops
 * being reported as new (D16).
 */
function acceptQuietDrift(
  state: PolicyState,
  chunk: ChunkEvidence,
): { state: PolicyState; actions: PolicyAction[] } {
  const { config } = state;
  const needed = config.persistence * config.maxRejections;
  const streaks = chunk.test.features.map((f) =>
    f.pValue < config.chunkAlpha ? (state.data.streaks[f.feature] ?? 0) + 1 : 0,
  );
  const accepted = chunk.test.features.filter(
    (f) => !f.votes && !state.data.muted.includes(f.feature) && streaks[f.feature]! >= needed,
  );
  let next: PolicyState = { ...state, data: { ...state.data, streaks } };
  if (accepted.length === 0) return { state: next, actions: [] };
  const features = accepted.map((f) => f.feature);
  const explanation: Explanation = {
    signal: 'data',
    summary: `feature(s) ${features.join(', ')} flagged in ${needed} chunks in a row`,
    evidence: {
      ...chunkEvidence(chunk, config, 0),
      features: features.join(','),
      importances: accepted.map((f) => (f.importance ?? 0).toFixed(3)).join(','),
      effects: accepted.map((f) => f.effect.toFixed(3)).join(','),
    },
    decision: `drift accepted: the model gives ${features.length > 1 ? 'them' : 'it'} less than 1/(2·${chunk.test.features.length}) of its importance, so ${features.length > 1 ? 'they do' : 'it does'} not vote; reported, never acted on`,
    cost: null,
  };
  next = {
    ...next,
    data: { ...next.data, muted: [...new Set([...next.data.muted, ...features])].sort((a, b) => a - b) },
  };
  return { state: next, actions: [{ type: 'accept_drift', kind: 'data', features, explanation }] };
}
