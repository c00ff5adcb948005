/**
 * The overview's list of recent events: how each event of the platform's log reads, and how the
 * live feed is merged with what a query returned. Pure (no clock, no I/O).
 */
import { formatDuration, formatPercent, formatVersion } from './format.ts';
import { DEFAULT_PIPELINE, pipelineHref } from './pipeline-routes.ts';

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
  /** Where to read more (the drift check's page of the event's pipeline), when there is such a page. */
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
 * through its `drift.detected` twin (the platform records both for the same check; a check that
 * found the same drift still there, its retrain under way, has none).
 */
export function isListed(event: PlatformEventInput): boolean {
  if (event.type === 'training.progress') return false;
  const payload = event.payload as { drifted?: unknown; verdict?: unknown } | null;
  if (event.type === 'drift.checked' && payload?.drifted === true && payload.verdict !== 'still_drifting')
    return false;
  return true;
}

type Payload = Record<string, unknown>;
/** What a describer decides: everything of the view but the event's own id, type and time. */
type Description = Omit<EventView, 'id' | 'type' | 'at'>;

/** The training job's number as titles show it ("?" when the payload lacks it). */
const jobNumber = (p: Payload) => num(p.trainingJobId) ?? '?';
const driftHref = (p: Payload, pipeline: string) => {
  const checkId = num(p.driftCheckId);
  return checkId != null ? pipelineHref(pipeline, { kind: 'drift', id: String(checkId) }) : null;
};
const actionText = (p: Payload) => {
  const action = str(p.action);
  return action ? (ACTIONS[action] ?? action.replaceAll('_', ' ')) : null;
};
const driftedShareText = (p: Payload) => {
  const share = num(p.driftedShare);
  return share != null && `${formatPercent(share, 0)} of features drifted`;
};

function describeDriftChecked(p: Payload, pipeline: string): Description {
  if (str(p.verdict) === 'insufficient_data') {
    return {
      title: 'Drift check: not enough data',
      detail: actionText(p) ?? '',
      tone: 'info',
      href: driftHref(p, pipeline),
    };
  }
  const warning = p.drifted !== true && p.verdict === 'warning';
  return {
    title:
      p.verdict === 'still_drifting'
        ? 'Drift check: still drifting (its retrain is under way)'
        : p.drifted === true
          ? 'Drift check: drift'
          : warning
            ? 'Drift check: warning (features moved, labels decide)'
            : 'Drift check: no drift',
    detail: joined(driftedShareText(p), actionText(p)),
    tone: p.drifted === true || warning ? 'warn' : 'info',
    href: driftHref(p, pipeline),
  };
}

function describeDriftDetected(p: Payload, pipeline: string): Description {
  const kinds = [
    p.dataDrift === true && 'data',
    p.predictionDrift === true && 'prediction',
    p.conceptDrift === true && 'concept',
  ].filter((k): k is string => Boolean(k));
  return {
    title: kinds.length > 0 ? `Drift detected (${kinds.join(', ')})` : 'Drift detected',
    detail: joined(driftedShareText(p), actionText(p)),
    tone: 'bad',
    href: driftHref(p, pipeline),
  };
}

function describeTrainingStarted(p: Payload): Description {
  const trees = num(p.treesTotal);
  const attempt = num(p.attempt);
  return {
    title: `Training #${jobNumber(p)} started`,
    detail: joined(trees != null && `${trees} trees`, attempt != null && attempt > 1 && `attempt ${attempt}`),
    tone: 'info',
    href: null,
  };
}

function describeTrainingFinished(p: Payload): Description {
  const outcome = str(p.outcome);
  const accuracy = num(p.accuracy);
  const champion = num(p.championAccuracy);
  return {
    title: `Training #${jobNumber(p)} finished: ${formatVersion(num(p.version))} ${outcome ?? ''}`.trim(),
    detail: joined(
      accuracy != null && `accuracy ${formatPercent(accuracy)}`,
      champion != null && `champion ${formatPercent(champion)}`,
      num(p.trainingMs) != null && `trained in ${formatDuration(num(p.trainingMs))}`,
    ),
    tone: outcome === 'promoted' ? 'good' : 'info',
    href: null,
  };
}

function describeModelPromoted(p: Payload): Description {
  const previous = num(p.previousVersion);
  return {
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

/** How each known event type reads, by type. */
const DESCRIBERS: Record<string, (p: Payload, pipeline: string) => Description> = {
  'drift.checked': describeDriftChecked,
  'drift.detected': describeDriftDetected,
  'training.queued': (p) => ({
    title: `Training #${jobNumber(p)} queued`,
    detail: str(p.reason) ?? '',
    tone: 'info',
    href: null,
  }),
  'training.started': describeTrainingStarted,
  'training.progress': (p) => ({
    title: `Training #${jobNumber(p)}: ${num(p.treesDone) ?? '?'} of ${num(p.treesTotal) ?? '?'} trees`,
    detail: '',
    tone: 'info',
    href: null,
  }),
  'training.finished': describeTrainingFinished,
  'training.failed': (p) => ({
    title: `Training #${jobNumber(p)} failed`,
    detail: joined(str(p.error), p.willRetry === true && 'will retry'),
    tone: 'bad',
    href: null,
  }),
  'model.promoted': describeModelPromoted,
  'model.rolled_back': (p) => ({
    title: `Rolled back to ${formatVersion(num(p.version))}`,
    detail: joined(
      num(p.previousVersion) != null && `from ${formatVersion(num(p.previousVersion))}`,
      str(p.reason),
    ),
    tone: 'warn',
    href: null,
  }),
  'model.rejected': (p) => ({
    title: `${formatVersion(num(p.version))} rejected`,
    detail: str(p.reason) ?? '',
    tone: 'warn',
    href: null,
  }),
};

/**
 * How one event of `pipeline` reads in the list. Unknown types still show, by their type name.
 * @default pipeline DEFAULT_PIPELINE
 */
export function describeEvent(event: PlatformEventInput, pipeline = DEFAULT_PIPELINE): EventView {
  const p = (event.payload ?? {}) as Payload;
  const base = { id: event.id, type: event.type, at: event.at };
  // Own keys only: a type named like an Object.prototype member ("toString") is an unknown type.
  const describe = Object.hasOwn(DESCRIBERS, event.type) ? DESCRIBERS[event.type] : undefined;
  if (describe) return { ...base, ...describe(p, pipeline) };
  return { ...base, title: event.type, detail: '', tone: 'info', href: null };
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
