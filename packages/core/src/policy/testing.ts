/**
 * Test support for the policy: states, outcome streams and evidence built from plain arrays.
 */
import { type ChunkTest, mulberry32 } from '@automl-stream/drift';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from './config.ts';
import { initialPolicyState, startServing } from './transitions.ts';
import type { ChunkEvidence, Evidence, NewOutcomes, Outcomes, PolicyState, VersionInfo } from './types.ts';

/** A deterministic uniform generator (mulberry32). */
export const seeded = mulberry32;

export interface OutcomeRow {
  servedAt: number;
  version: number;
  wrong: number;
  label: number;
  previousWrong?: number;
}

export function columns(rows: readonly OutcomeRow[]): NewOutcomes {
  return {
    length: rows.length,
    servedAt: rows.map((r) => r.servedAt),
    version: rows.map((r) => r.version),
    wrong: rows.map((r) => r.wrong),
    label: rows.map((r) => r.label),
    previousWrong: rows.map((r) => r.previousWrong ?? -1),
  };
}

/** `n` outcomes of `version` served from position `from` on, each wrong with probability `error`. */
export function outcomes(
  random: () => number,
  from: number,
  n: number,
  version: number,
  error: number,
): OutcomeRow[] {
  return Array.from({ length: n }, (_, i) => ({
    servedAt: from + i,
    version,
    wrong: random() < error ? 1 : 0,
    label: random() < 0.5 ? 1 : 0,
  }));
}

export function version(v: number, overrides: Partial<VersionInfo> = {}): VersionInfo {
  return {
    version: v,
    since: -1,
    sinceKind: 'bootstrap',
    trainRows: 4000,
    holdout: {
      n: 1000,
      errors: 50,
      classes: [
        { label: 0, n: 500, errors: 25 },
        { label: 1, n: 500, errors: 25 },
      ],
    },
    lineageError: null,
    importances: null,
    ...overrides,
  };
}

/** A state where `info` serves from `at` (after `previous`, when given). */
export function serving(
  info: VersionInfo,
  at: number,
  lineage: Outcomes,
  options: { config?: Partial<PolicyConfig>; previous?: VersionInfo } = {},
): PolicyState {
  let state = initialPolicyState({ ...DEFAULT_POLICY_CONFIG, ...options.config });
  if (options.previous) {
    state = { ...state, versions: { [options.previous.version]: options.previous } };
    state = startServing(state, options.previous.version, 0, lineage, null);
  }
  state = { ...state, versions: { ...state.versions, [info.version]: info } };
  return startServing(state, info.version, at, lineage, options.previous?.version ?? null);
}

export function evidence(
  at: number,
  fresh: readonly OutcomeRow[],
  lineage: readonly OutcomeRow[],
  extra: Partial<Evidence> = {},
): Evidence {
  return {
    now: { position: at, seconds: at / 50 },
    newOutcomes: columns(fresh),
    lineage: columns(lineage),
    chunks: [],
    recent: { served: 5000, labelled: 5000 },
    ...extra,
  };
}

/** A chunk result with one p-value per feature (all voting unless said). */
export function chunk(
  from: number,
  to: number,
  pValues: number[],
  nReference: number,
  votes?: boolean[],
): ChunkEvidence {
  const features = pValues.map((p, j) => ({
    feature: j,
    kind: 'numeric' as const,
    test: 'ks' as const,
    statistic: 0.2,
    distributionPValue: p,
    effect: 0.2,
    missing: null,
    pValue: p,
    importance: null,
    votes: votes?.[j] ?? true,
    reason: 'votes',
  }));
  const voting = features.filter((f) => f.votes);
  const test: ChunkTest = {
    nReference,
    nCurrent: to - from,
    pValue: voting.length ? Math.min(...voting.map((f) => f.pValue * voting.length)) : 1,
    voting: voting.map((f) => f.feature),
    features,
  };
  return { from, to, test };
}
