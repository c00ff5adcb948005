/**
 * Turns GraphQL answers into the column arrays uPlot draws (`[xs, ys1, ys2, ...]`, all the same
 * length, x ascending). Pure: the charts only ever receive what these functions return, so what
 * a chart shows is what the server said, and the tests pin it.
 *
 * Inputs are declared structurally (not as the generated GraphQL types) so this module has no
 * dependency on the SDK and the generated types fit them as they are.
 */

/** uPlot's columnar data: x values first, then one array per series (null = gap / no bar). */
export type Columns = [number[], ...(number | null)[][]];

export interface AccuracyPointInput {
  /** Labelled rows seen up to the end of this bucket. */
  position: number;
  /** 0..1 */
  accuracy: number;
  count: number;
  modelVersion: number;
}

export interface VersionMarker {
  /** x (labelled rows) where the new version's first bucket starts. */
  position: number;
  version: number;
  previousVersion: number;
}

export interface AccuracyChart {
  /** x = labelled rows seen, y = accuracy in percent (0..100). */
  data: Columns;
  /** One marker per change of the scoring version between consecutive buckets. */
  markers: VersionMarker[];
}

/**
 * The accuracy series (oldest first, as the server sends it) as percentages, with a marker
 * wherever the version that scored the rows changed (a promotion or a rollback). A marker sits at
 * the end of the last bucket of the old version: that is where the new version took over.
 */
export function accuracyChart(points: readonly AccuracyPointInput[]): AccuracyChart {
  const sorted = [...points].sort((a, b) => a.position - b.position);
  const xs: number[] = [];
  const ys: number[] = [];
  const markers: VersionMarker[] = [];
  let previous: AccuracyPointInput | undefined;
  for (const p of sorted) {
    xs.push(p.position);
    ys.push(p.accuracy * 100);
    if (previous && previous.modelVersion !== p.modelVersion) {
      markers.push({
        position: previous.position,
        version: p.modelVersion,
        previousVersion: previous.modelVersion,
      });
    }
    previous = p;
  }
  return { data: [xs, ys], markers };
}

/** Round bucket sizes, smallest first; `accuracyBucketSize` picks from these. */
const BUCKET_STEPS = [50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] as const;

/**
 * The bucket size (labelled rows per accuracy point) that keeps the chart at about `maxPoints`
 * points or fewer for `labelledRows` rows: the smallest round step that does. Steps are round
 * so the size only changes now and then as rows arrive, not on every tick.
 * @default maxPoints 300
 */
export function accuracyBucketSize(labelledRows: number, maxPoints = 300): number {
  const wanted = Math.max(1, labelledRows) / maxPoints;
  return BUCKET_STEPS.find((step) => step >= wanted) ?? BUCKET_STEPS[BUCKET_STEPS.length - 1]!;
}

/** The totals of a `statsUpdated` tick that the accuracy series and class distribution depend on. */
export interface StatsTickInput {
  labelledRows: number;
  predictionsTotal: number;
  rowsIngested: number;
  activeModelVersion: number | null;
}

/**
 * Whether a stats tick can have changed the accuracy series or the class distribution (new
 * rows, predictions or serving version), i.e. whether they are worth re-reading. The first tick
 * (no previous one) always is.
 */
export function seriesChanged(stats: StatsTickInput, previous: StatsTickInput | null): boolean {
  return (
    !previous ||
    stats.labelledRows !== previous.labelledRows ||
    stats.predictionsTotal !== previous.predictionsTotal ||
    stats.rowsIngested !== previous.rowsIngested ||
    stats.activeModelVersion !== previous.activeModelVersion
  );
}

export interface DriftCheckInput {
  id: number | string;
  createdAt: string;
  features: readonly { feature: string; index: number; psi: number }[];
}

export interface DriftFeatureChart {
  /** Names of the plotted features, in series order (by feature index). */
  features: string[];
  /** Features the checks had in all (more than `features` when capped). */
  totalFeatures: number;
  /** x = time of the check (Unix seconds), then one PSI series per feature. */
  data: Columns;
}

/**
 * PSI per feature over the recent drift checks (any order in; oldest first out). Checks without
 * feature statistics (insufficient data) carry nothing to plot and are left out. With more than
 * `maxFeatures` features, the ones that came closest to the threshold (highest PSI in the window)
 * are kept, so the chart stays readable and still shows what matters.
 * @default maxFeatures 10
 */
export function driftFeatureChart(checks: readonly DriftCheckInput[], maxFeatures = 10): DriftFeatureChart {
  const withStats = checks
    .filter((c) => c.features.length > 0)
    .map((c) => ({ ...c, t: Date.parse(c.createdAt) / 1000 }))
    .sort((a, b) => a.t - b.t || Number(a.id) - Number(b.id));
  const names = new Map<number, string>();
  const peak = new Map<number, number>();
  for (const c of withStats) {
    for (const f of c.features) {
      names.set(f.index, f.feature);
      peak.set(f.index, Math.max(peak.get(f.index) ?? Number.NEGATIVE_INFINITY, f.psi));
    }
  }
  let indices = [...names.keys()].sort((a, b) => a - b);
  const totalFeatures = indices.length;
  if (indices.length > maxFeatures) {
    const top = new Set(
      [...indices].sort((a, b) => peak.get(b)! - peak.get(a)! || a - b).slice(0, maxFeatures),
    );
    indices = indices.filter((i) => top.has(i));
  }
  const xs: number[] = [];
  const columns = indices.map(() => [] as (number | null)[]);
  let lastX = Number.NEGATIVE_INFINITY;
  for (const c of withStats) {
    // uPlot needs strictly increasing x; two checks in the same millisecond get nudged apart.
    const x = c.t > lastX ? c.t : lastX + 0.001;
    lastX = x;
    xs.push(x);
    const byIndex = new Map(c.features.map((f) => [f.index, f.psi]));
    indices.forEach((index, k) => {
      columns[k]!.push(byIndex.get(index) ?? null);
    });
  }
  return { features: indices.map((i) => names.get(i)!), totalFeatures, data: [xs, ...columns] };
}

export interface ClassCountInput {
  label: number;
  /** The class as given ("pos"); the number when absent. */
  className?: string;
  count: number;
}

export interface DistributionChart {
  /** x = class label 0..K-1 (classes with no prediction included as 0), y = share in percent. */
  data: Columns;
  total: number;
  /** The class name of each x (index = class label). */
  names: string[];
}

/** Predicted-class counts as shares in percent; gaps between labels are filled with 0. */
export function distributionChart(counts: readonly ClassCountInput[]): DistributionChart {
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  if (counts.length === 0 || total === 0) return { data: [[], []], total: 0, names: [] };
  const maxLabel = Math.max(...counts.map((c) => c.label));
  const byLabel = new Map(counts.map((c) => [c.label, c.count]));
  const named = new Map(counts.map((c) => [c.label, c.className ?? String(c.label)]));
  const xs = Array.from({ length: maxLabel + 1 }, (_, k) => k);
  const names = xs.map((k) => named.get(k) ?? String(k));
  return { data: [xs, xs.map((k) => ((byLabel.get(k) ?? 0) / total) * 100)], total, names };
}

export interface TrainingJobInput {
  id: number | string;
  status: string;
  outcome?: string | null;
  durationMs?: number | null;
}

/** The series of the training-time chart, in order; a job is drawn in exactly one of them. */
export const TRAINING_OUTCOMES = ['promoted', 'rejected', 'failed'] as const;

export interface TrainingTimeChart {
  /** x = job id, then seconds per outcome series (null where the job had another outcome). */
  data: Columns;
  jobs: number;
}

/**
 * Wall time of each finished training job in seconds, split by outcome so the chart can colour
 * a promoted run differently from a rejected or failed one. Jobs still queued or running have no
 * duration yet and are left out. Oldest job first.
 */
export function trainingTimeChart(jobs: readonly TrainingJobInput[]): TrainingTimeChart {
  const finished = jobs
    .filter((j) => j.durationMs != null && Number.isFinite(j.durationMs))
    .sort((a, b) => Number(a.id) - Number(b.id));
  const series = TRAINING_OUTCOMES.map(() => [] as (number | null)[]);
  for (const job of finished) {
    // The API's enums are UPPER_CASE (PROMOTED); stored payloads are lower case (promoted).
    const outcome = job.outcome?.toLowerCase();
    const kind =
      job.status.toLowerCase() === 'failed' || outcome === 'error'
        ? 'failed'
        : outcome === 'promoted'
          ? 'promoted'
          : 'rejected';
    TRAINING_OUTCOMES.forEach((outcome, k) => {
      series[k]!.push(outcome === kind ? job.durationMs! / 1000 : null);
    });
  }
  return { data: [finished.map((j) => Number(j.id)), ...series], jobs: finished.length };
}

export interface HistogramInput {
  edges: readonly number[];
  reference: readonly number[];
  current: readonly number[];
  /** Categorical columns: the name of each bar. */
  categories?: readonly string[] | null;
}

export interface HistogramChart {
  /** x = bin centre, then reference and current shares of their sample in percent. */
  data: Columns;
  binWidth: number;
  nReference: number;
  nCurrent: number;
  /** Categorical columns: bar k is category `categories[k]` (x = k); null for numeric bins. */
  categories: readonly string[] | null;
}

/**
 * Reference vs current counts on shared bins, each as a share of its own sample: the two samples
 * differ in size (training sample vs window), so raw counts would not compare.
 */
export function histogramChart(h: HistogramInput): HistogramChart {
  const bins = h.edges.length - 1;
  if (bins < 1 || h.reference.length !== bins || h.current.length !== bins) {
    throw new Error(
      `histogram: ${h.edges.length} edges need ${Math.max(0, bins)} counts per sample, got ${h.reference.length} reference and ${h.current.length} current`,
    );
  }
  const nReference = h.reference.reduce((s, c) => s + c, 0);
  const nCurrent = h.current.reduce((s, c) => s + c, 0);
  const centers = Array.from({ length: bins }, (_, k) => (h.edges[k]! + h.edges[k + 1]!) / 2);
  const share = (counts: readonly number[], n: number) => counts.map((c) => (n > 0 ? (c / n) * 100 : 0));
  return {
    data: [centers, share(h.reference, nReference), share(h.current, nCurrent)],
    binWidth: (h.edges[bins]! - h.edges[0]!) / bins,
    nReference,
    nCurrent,
    categories: h.categories ?? null,
  };
}

export interface HistoryEntryInput {
  id: number | string;
  version: number;
  createdAt: string;
}

export interface ServedPeriod {
  from: string;
  /** null: still serving. */
  to: string | null;
}

/**
 * When each version served, from the promotion/rollback history (any order in): every entry
 * starts a period of its version that lasts until the next entry. A version promoted, replaced
 * and rolled back to has two periods.
 */
export function servedPeriods(history: readonly HistoryEntryInput[]): Map<number, ServedPeriod[]> {
  const sorted = [...history].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || Number(a.id) - Number(b.id),
  );
  const periods = new Map<number, ServedPeriod[]>();
  sorted.forEach((entry, k) => {
    const next = sorted[k + 1];
    const list = periods.get(entry.version) ?? [];
    list.push({ from: entry.createdAt, to: next ? next.createdAt : null });
    periods.set(entry.version, list);
  });
  return periods;
}
