/**
 * State of the training progress bar, driven by the `trainingEvents` subscription and seeded
 * (after a load or a reconnect) from the `trainingJobs` query. Pure reducer: (state, event) → state.
 */

export type TrainingPhase = 'queued' | 'running' | 'finished' | 'failed';

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
        at: event.at,
      };
    case 'progress':
      if (same && (same.phase === 'finished' || same.phase === 'failed')) return same;
      return {
        ...base,
        phase: 'running',
        treesDone: Math.max(same?.phase === 'running' ? same.treesDone : 0, event.treesDone ?? 0),
        treesTotal: event.treesTotal ?? base.treesTotal,
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
 * `jobs` in any order.
 */
export function progressFromJobs(jobs: readonly TrainingJobSnapshot[]): TrainingProgress | null {
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
  return {
    jobId: Number(job.id),
    phase,
    treesDone: phase === 'finished' ? job.treesTotal : job.treesDone,
    treesTotal: job.treesTotal,
    version: job.resultVersion ?? null,
    outcome: job.outcome ?? null,
    error: job.error ?? null,
    at: job.finishedAt ?? job.startedAt ?? job.queuedAt,
  };
}
