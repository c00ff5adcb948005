/**
 * The fleet page's rows: how a pipeline's attention state reads, and what an event of the fleet
 * feed does to the rows. The server sorts the rows by what needs attention; nothing here
 * re-sorts them. Pure (no clock, no I/O).
 */
import type {
  DashboardFleetEventsSubscription,
  DashboardFleetQuery,
  PipelineAttention,
} from '@automl-stream/sdk';
import type { EventTone } from './events.ts';
import { formatCount } from './format.ts';

export type FleetRow = DashboardFleetQuery['pipelines'][number];
export type FleetEvent = DashboardFleetEventsSubscription['platformEvents'];

/** The badge of each attention state, most urgent first (the server's order). */
export const ATTENTION: Record<PipelineAttention, { label: string; tone: EventTone }> = {
  DRIFT: { label: 'drift', tone: 'bad' },
  FAILING: { label: 'training failed', tone: 'bad' },
  NO_MODEL: { label: 'no model', tone: 'warn' },
  TRAINING: { label: 'training', tone: 'info' },
  OK: { label: 'ok', tone: 'good' },
  ARCHIVED: { label: 'archived', tone: 'info' },
};

/**
 * Events that change nothing of a row but its last event: a training run sends one per batch of
 * trees, and re-reading the fleet for each would cost a query per batch of every pipeline.
 */
const LAST_EVENT_ONLY = new Set(['training.progress']);

/** An event type as words: `model.rolled_back` → "model rolled back". */
export function eventTypeWords(type: string | null | undefined): string {
  return type ? type.replaceAll(/[._]/g, ' ') : 'none yet';
}

/** "1 job queued or running", "2 jobs …", or "none". */
export function pendingText(jobs: number): string {
  if (jobs <= 0) return 'none';
  return `${formatCount(jobs)} ${jobs === 1 ? 'job' : 'jobs'} queued or running`;
}

export interface FleetUpdate {
  rows: FleetRow[];
  /** Whether the event may have changed more than the last event, so the fleet must be re-read. */
  reread: boolean;
}

/**
 * The rows after `event`: its pipeline's last event moves to it at once (when newer), and the
 * fleet is to be re-read unless the event changes nothing else. An event of a pipeline that is
 * not listed (created since the last read) asks for a re-read too.
 */
export function applyFleetEvent(rows: readonly FleetRow[], event: FleetEvent): FleetUpdate {
  const index = rows.findIndex((r) => r.name === event.pipeline);
  const row = rows[index];
  if (row === undefined) return { rows: [...rows], reread: true };
  const reread = !LAST_EVENT_ONLY.has(event.type);
  const newer = row.lastEventAt === null || Date.parse(event.at) >= Date.parse(row.lastEventAt);
  if (!newer) return { rows: [...rows], reread };
  const next = [...rows];
  next[index] = { ...row, lastEventAt: event.at, lastEventType: event.type };
  return { rows: next, reread };
}
