/**
 * State of the training progress bar, driven by the `trainingEvents` subscription and seeded
 * (after a load or a reconnect) from the `trainingJobs` query. Pure reducer: (state, event) → state.
 */

export type TrainingPhase = 'queued' | 'running' | 'finished' | 'failed';

/**
 * How far the search of a run got (AUTOML_BUDGET_SECONDS > 0): candidate fits done of those
 * planned, and the best candidate so far (null until one was scored). From the payload of the
 * `training.progress` events; treesDone/treesTotal of such a run count the same fits.
 */
export interface SearchProgress {
  candidatesDone: number;
  candidatesTotal: number;
  bestScore: number | null;
  bestWindow: string | null;
}

export interface TrainingProgress {
  jobId: number;
  phase: TrainingPhase;
  treesDone: number;
  /** 0 while unknown (a queued job has not announced its tree count yet). */
  treesTotal: number;
  /** Version the run produced (finished only). */
  version: number | null;
  /** promoted | rejected | insufficient_data | error (finished only). */
  outcome: string | null;
  error: string | null;
  /** The search's progress (null: the fixed forest, or not reported yet). */
  search: SearchProgress | null;
  /**
   * Labelled rows of the new regime the run still waits for before it trains (a retrain after a
   * change learns only rows served after it); null once it trains, or when it never waited.
   */
  waitingForRows: number | null;
  /** When this state was reached (ISO string, from the server). */
  at: string;
}

/** A `trainingEvents` message (the enum value arrives as QUEUED, STARTED, ...). */
export interface TrainingEventInput {
  type: string;
  /** The API's `ID` (a string); numbers are accepted too. Job ids grow, so they order jobs. */
  trainingJobId: number | string;
  treesDone?: number | null;
  treesTotal?: number | null;
  version?: number | null;
  outcome?: string | null;
  error?: string | null;
  /** Progress events of the event log (`platformEvents`) carry the search's progress. */
  search?: SearchProgress | null;
  /** Progress events before training: labelled rows of the new regime still awaited. */
  waitingForRows?: number | null;
  at: string;
}

/** A row of the `trainingJobs` query. */
export interface TrainingJobSnapshot {
  id: number | string;
  status: string;
  treesDone: number;
  treesTotal: number;
  resultVersion?: number | null;
  outcome?: string | null;
  error?: string | null;
  queuedAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

const count = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;

/** The search's progress in a `training.progress` payload; null when it has none (the fixed forest). */
export function searchFromPayload(payload: unknown): SearchProgress | null {
  if (payload === null || typeof payload !== 'object') return null;
  const p = payload as Record<string, unknown>;
  const done = count(p.candidatesDone);
  const total = count(p.candidatesTotal);
  if (done === null || total === null) return null;
  return {
    candidatesDone: done,
    candidatesTotal: total,
    bestScore: typeof p.bestScore === 'number' ? p.bestScore : null,
    bestWindow: typeof p.bestWindow === 'string' ? p.bestWindow : null,
  };
}

/**
 * A `training.progress` event of the event log as a training event (with the search's
 * progress); null for any other event, or one without a job id.
 */
export function trainingEventFromLog(event: {
  type: string;
  payload: unknown;
  at: string;
}): TrainingEventInput | null {
  if (event.type !== 'training.progress' || event.payload === null || typeof event.payload !== 'object')
    return null;
  const p = event.payload as Record<string, unknown>;
  if (typeof p.trainingJobId !== 'number' && typeof p.trainingJobId !== 'string') return null;
  return {
    type: event.type,
    trainingJobId: p.trainingJobId,
    treesDone: count(p.treesDone),
    treesTotal: count(p.treesTotal),
    search: searchFromPayload(p),
    waitingForRows: count(p.waitingForRows),
    at: event.at,
  };
}

/** The newer of two reports of the same search (fits only grow); either may be null. */
function newerSearch(a: SearchProgress | null, b: SearchProgress | null | undefined): SearchProgress | null {
  if (!b) return a;
  if (!a) return b;
  return b.candidatesDone >= a.candidatesDone ? b : a;
}

/** Accepts both the GraphQL enum name (STARTED) and the event-log name (training.started). */
function eventKind(type: string): string {
  return type.toLowerCase().replace(/^training\./, '');
}

/** Share of trees built, 0..1 (0 while the total is unknown; 1 once finished). */
export function progressShare(state: TrainingProgress | null): number {
  if (!state) return 0;
  if (state.phase === 'finished') return 1;
  if (state.treesTotal <= 0) return 0;
  return Math.min(1, Math.max(0, state.treesDone / state.treesTotal));
}

/**
 * The bar after one event. Events of an older job never overwrite a newer one's state (one
 * retrain runs at a time, so a newer job id means the older one is over), and progress never goes
 * backwards within a job (a late progress message after a newer one is ignored).
 */
export function applyTrainingEvent(
  state: TrainingProgress | null,
  event: TrainingEventInput,
): TrainingProgress | null {
  const jobId = Number(event.trainingJobId);
  if (state && jobId < state.jobId) return state;
  const same = state?.jobId === jobId ? state : null;
  const base: TrainingProgress = same ?? {
    jobId,
    phase: 'queued',
    treesDone: 0,
    treesTotal: 0,
    version: null,
    outcome: null,
    error: null,
    search: null,
    waitingForRows: null,
    at: event.at,
  };
  switch (eventKind(event.type)) {
    case 'queued':
      // A re-delivered "queued" for a job that already started changes nothing.
      return same ? same : { ...base, phase: 'queued', at: event.at };
    case 'started':
      return {
        ...base,
        phase: 'running',
        // A retried attempt starts again from zero trees.
        treesDone: 0,
        treesTotal: event.treesTotal ?? base.treesTotal,
        error: null,
        search: null,
        waitingForRows: null,
        at: event.at,
      };
    case 'progress':
      if (same && (same.phase === 'finished' || same.phase === 'failed')) return same;
      return {
        ...base,
        phase: 'running',
        treesDone: Math.max(same?.phase === 'running' ? same.treesDone : 0, event.treesDone ?? 0),
        treesTotal: event.treesTotal ?? base.treesTotal,
        search: newerSearch(same?.phase === 'running' ? same.search : null, event.search),
        waitingForRows: waitingAfter(same, event),
        at: event.at,
      };
    case 'finished':
      return {
        ...base,
        phase: 'finished',
        treesDone: base.treesTotal,
        version: event.version ?? null,
        outcome: event.outcome ?? null,
        at: event.at,
      };
    case 'failed':
      return { ...base, phase: 'failed', error: event.error ?? null, at: event.at };
    default:
      return state;
  }
}

/**
 * The bar as the registry of jobs says it is: the running job if any, else the queued one, else
 * the newest finished or failed job (so a reload still shows how the last run ended), else none.
 * `jobs` in any order; `latestProgress`, the newest `training.progress` event, gives the running
 * job's search progress.
 */
export function progressFromJobs(
  jobs: readonly TrainingJobSnapshot[],
  latestProgress: { type: string; payload: unknown; at: string } | null = null,
): TrainingProgress | null {
  const newestFirst = (a: TrainingJobSnapshot, b: TrainingJobSnapshot) => Number(b.id) - Number(a.id);
  const byStatus = (status: string) =>
    jobs.filter((j) => j.status.toLowerCase() === status).sort(newestFirst)[0];
  const job = byStatus('running') ?? byStatus('queued') ?? [...jobs].sort(newestFirst)[0];
  if (!job) return null;
  const status = job.status.toLowerCase();
  const phase: TrainingPhase =
    status === 'running'
      ? 'running'
      : status === 'queued'
        ? 'queued'
        : status === 'failed'
          ? 'failed'
          : 'finished';
  const state: TrainingProgress = {
    jobId: Number(job.id),
    phase,
    treesDone: phase === 'finished' ? job.treesTotal : job.treesDone,
    treesTotal: job.treesTotal,
    version: job.resultVersion ?? null,
    outcome: job.outcome ?? null,
    error: job.error ?? null,
    search: null,
    waitingForRows: null,
    at: job.finishedAt ?? job.startedAt ?? job.queuedAt,
  };
  const progress = latestProgress ? trainingEventFromLog(latestProgress) : null;
  return phase === 'running' && progress && Number(progress.trainingJobId) === state.jobId
    ? {
        ...state,
        search: progress.search ?? null,
        waitingForRows: state.treesDone === 0 ? (progress.waitingForRows ?? null) : null,
      }
    : state;
}

/**
 * Rows still awaited after a progress event: its own count while no tree is built (a progress
 * event of the search or the trees, which says nothing of rows, keeps the count it had only
 * before the first fit); null once training is under way.
 */
function waitingAfter(same: TrainingProgress | null, event: TrainingEventInput): number | null {
  if ((event.treesDone ?? 0) > 0 || event.search) return null;
  if (event.waitingForRows != null) return event.waitingForRows;
  return same?.phase === 'running' ? same.waitingForRows : null;
}
