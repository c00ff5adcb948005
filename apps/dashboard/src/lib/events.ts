/**
 * The overview's list of recent events: how each event of the platform's log reads, and how the
 * live feed is merged with what a query returned. Pure (no clock, no I/O).
 */
import { formatDuration, formatPercent, formatVersion } from './format.ts';

/** An entry of the event log as the `events` query and `platformEvents` subscription send it. */
export interface PlatformEventInput {
  id: number;
  type: string;
  payload: unknown;
  at: string;
}

export type EventTone = 'info' | 'good' | 'warn' | 'bad';

export interface EventView {
  id: number;
  type: string;
  at: string;
  title: string;
  detail: string;
  tone: EventTone;
  /** Where to read more (the drift event page), when there is such a page. */
  href: string | null;
}

/**
 * Event types the list shows, for the `events` query's `types` filter: everything but training
 * progress, which would otherwise crowd the newest page (a run sends one per batch of trees).
 */
export const LISTED_EVENT_TYPES = [
  'drift.checked',
  'drift.detected',
  'training.queued',
  'training.started',
  'training.finished',
  'training.failed',
  'model.promoted',
  'model.rolled_back',
  'model.rejected',
];

/** Events the list holds at most; older ones drop off the end. */
export const EVENT_LIST_SIZE = 50;

const num = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && v !== '' && Number.isFinite(Number(v))
      ? Number(v)
      : null;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const joined = (...parts: (string | null | false)[]) =>
  parts.filter((p): p is string => Boolean(p)).join(' · ');

const ACTIONS: Record<string, string> = {
  none: 'no action',
  retrain_queued: 'retrain queued',
  retrain_pending: 'a retrain is already pending',
  cooldown: 'no retrain (cool-down after the last one)',
  insufficient_data: 'not enough rows for a verdict',
};

/**
 * Whether an event belongs in the list. Training progress ticks go to the progress bar instead
 * (a run sends one per batch of trees), and a drift check that found drift is already listed
 * through its `drift.detected` twin (the platform records both for the same check).
 */
export function isListed(event: PlatformEventInput): boolean {
  if (event.type === 'training.progress') return false;
  if (event.type === 'drift.checked' && (event.payload as { drifted?: unknown } | null)?.drifted === true)
    return false;
  return true;
}

/** How one event reads in the list. Unknown types still show, by their type name. */
export function describeEvent(event: PlatformEventInput): EventView {
  const p = (event.payload ?? {}) as Record<string, unknown>;
  const base = { id: event.id, type: event.type, at: event.at };
  const job = num(p.trainingJobId);
  const checkId = num(p.driftCheckId);
  const driftHref = checkId != null ? `/drift/${checkId}` : null;
  const action = str(p.action);
  const actionText = action ? (ACTIONS[action] ?? action.replaceAll('_', ' ')) : null;
  switch (event.type) {
    case 'drift.checked': {
      const verdict = str(p.verdict);
      const share = num(p.driftedShare);
      if (verdict === 'insufficient_data') {
        return {
          ...base,
          title: 'Drift check: not enough data',
          detail: actionText ?? '',
          tone: 'info',
          href: driftHref,
        };
      }
      return {
        ...base,
        title: p.drifted === true ? 'Drift check: drift' : 'Drift check: no drift',
        detail: joined(share != null && `${formatPercent(share, 0)} of features drifted`, actionText),
        tone: p.drifted === true ? 'warn' : 'info',
        href: driftHref,
      };
    }
    case 'drift.detected': {
      const kinds = [
        p.dataDrift === true && 'data',
        p.predictionDrift === true && 'prediction',
        p.conceptDrift === true && 'concept',
      ].filter((k): k is string => Boolean(k));
      const share = num(p.driftedShare);
      return {
        ...base,
        title: kinds.length > 0 ? `Drift detected (${kinds.join(', ')})` : 'Drift detected',
        detail: joined(share != null && `${formatPercent(share, 0)} of features drifted`, actionText),
        tone: 'bad',
        href: driftHref,
      };
    }
    case 'training.queued':
      return {
        ...base,
        title: `Training #${job ?? '?'} queued`,
        detail: str(p.reason) ?? '',
        tone: 'info',
        href: null,
      };
    case 'training.started': {
      const trees = num(p.treesTotal);
      const attempt = num(p.attempt);
      return {
        ...base,
        title: `Training #${job ?? '?'} started`,
        detail: joined(
          trees != null && `${trees} trees`,
          attempt != null && attempt > 1 && `attempt ${attempt}`,
        ),
        tone: 'info',
        href: null,
      };
    }
    case 'training.progress':
      return {
        ...base,
        title: `Training #${job ?? '?'}: ${num(p.treesDone) ?? '?'} of ${num(p.treesTotal) ?? '?'} trees`,
        detail: '',
        tone: 'info',
        href: null,
      };
    case 'training.finished': {
      const outcome = str(p.outcome);
      const accuracy = num(p.accuracy);
      const champion = num(p.championAccuracy);
      return {
        ...base,
        title: `Training #${job ?? '?'} finished: ${formatVersion(num(p.version))} ${outcome ?? ''}`.trim(),
        detail: joined(
          accuracy != null && `accuracy ${formatPercent(accuracy)}`,
          champion != null && `champion ${formatPercent(champion)}`,
          num(p.trainingMs) != null && `trained in ${formatDuration(num(p.trainingMs))}`,
        ),
        tone: outcome === 'promoted' ? 'good' : 'info',
        href: null,
      };
    }
    case 'training.failed':
      return {
        ...base,
        title: `Training #${job ?? '?'} failed`,
        detail: joined(str(p.error), p.willRetry === true && 'will retry'),
        tone: 'bad',
        href: null,
      };
    case 'model.promoted': {
      const previous = num(p.previousVersion);
      return {
        ...base,
        title: `${formatVersion(num(p.version))} now serving`,
        detail: joined(
          previous != null && `replaces ${formatVersion(previous)}`,
          p.manual === true && 'manual',
          str(p.reason),
        ),
        tone: 'good',
        href: null,
      };
    }
    case 'model.rolled_back':
      return {
        ...base,
        title: `Rolled back to ${formatVersion(num(p.version))}`,
        detail: joined(
          num(p.previousVersion) != null && `from ${formatVersion(num(p.previousVersion))}`,
          str(p.reason),
        ),
        tone: 'warn',
        href: null,
      };
    case 'model.rejected':
      return {
        ...base,
        title: `${formatVersion(num(p.version))} rejected`,
        detail: str(p.reason) ?? '',
        tone: 'warn',
        href: null,
      };
    default:
      return { ...base, title: event.type, detail: '', tone: 'info', href: null };
  }
}

/**
 * The list after `incoming` events arrived: listed events only, each id once (a reconnect
 * re-reads events the subscription may also deliver), newest first, at most `size`.
 * @default size EVENT_LIST_SIZE
 */
export function mergeEvents<T extends PlatformEventInput>(
  current: readonly T[],
  incoming: readonly T[],
  size = EVENT_LIST_SIZE,
): T[] {
  const byId = new Map<number, T>();
  for (const e of current) byId.set(e.id, e);
  for (const e of incoming) if (isListed(e)) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, size);
}
