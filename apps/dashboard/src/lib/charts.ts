/**
 * uPlot options of the dashboard's charts. Each builder returns the options a chart is created
 * with once; later changes arrive through `setData` (see Chart.svelte). Things that change with
 * the data but are not data (version markers, the PSI threshold, bin width) are read through
 * getters at draw time, so they follow every `setData` without re-creating the chart.
 *
 * Every axis carries a label with its unit; times are UTC like the rest of the dashboard.
 */
import uPlot from 'uplot';
import { formatAxisTimes, formatClock, formatCount, formatDuration, formatStatistic } from './format.ts';
import type { VersionMarker } from './series.ts';

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

export const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#059669',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#475569',
  '#ea580c',
];
const AXIS_STROKE = '#475569';
const GRID = { stroke: '#e2e8f0', width: 1 };
const TICKS = { stroke: '#cbd5e1', width: 1 };
const FONT = '12px system-ui, sans-serif';
const LABEL_FONT = '600 12px system-ui, sans-serif';

const axis = (label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  label,
  stroke: AXIS_STROKE,
  grid: GRID,
  ticks: TICKS,
  font: FONT,
  labelFont: LABEL_FONT,
  labelSize: 20,
  ...extra,
});

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

/**
 * x ranges are computed from the data themselves: with a single point uPlot widens the range it
 * passes in (to ±1 for numbers, to a whole day for times), which would put made-up ticks
 * ("#0", "#2") around the one real bar or squeeze one drift check into a day.
 */
const dataExtent = (u: uPlot): [number, number] | null => {
  const xs = u.data[0];
  return xs.length === 0 ? null : [xs[0]!, xs[xs.length - 1]!];
};

/** x range of a bar chart: half a slot of room on each side of the first and last bar. */
const barRange = (u: uPlot): uPlot.Range.MinMax => {
  const extent = dataExtent(u);
  return extent ? [extent[0] - 0.5, extent[1] + 0.5] : [0, 1];
};

/** x range of the drift chart (seconds): the checks, with a minute around a single one. */
const checkTimeRange = (u: uPlot): uPlot.Range.MinMax => {
  const extent = dataExtent(u);
  if (!extent) return [0, 1];
  const pad = extent[1] === extent[0] ? 60 : (extent[1] - extent[0]) * 0.03;
  return [extent[0] - pad, extent[1] + pad];
};

/** y range from 0 to a little above the highest value (bars and statistics are never negative). */
const fromZero = (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [
  0,
  max == null || max <= 0 ? 1 : max * 1.1,
];

function dashedLine(u: uPlot, orientation: 'v' | 'h', at: number, color: string, label: string) {
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const pos = Math.round(orientation === 'v' ? u.valToPos(at, 'x', true) : u.valToPos(at, 'y', true));
  if (orientation === 'v' ? pos < left || pos > left + width : pos < top || pos > top + height) return;
  const px = uPlot.pxRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.5 * px;
  ctx.setLineDash([5 * px, 4 * px]);
  ctx.beginPath();
  if (orientation === 'v') {
    ctx.moveTo(pos, top);
    ctx.lineTo(pos, top + height);
  } else {
    ctx.moveTo(left, pos);
    ctx.lineTo(left + width, pos);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.font = `600 ${11 * px}px system-ui, sans-serif`;
  if (orientation === 'v') {
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(label, pos + 3 * px, top + 2 * px);
  } else {
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + width - 3 * px, pos - 2 * px);
  }
  ctx.restore();
}

/** Accuracy (%) against labelled rows, with a dashed line and "v3" where the scoring version changed. */
export function accuracyOptions(markers: () => readonly VersionMarker[]): ChartOptions {
  return {
    scales: { x: { time: false }, y: { range: [0, 100] } },
    axes: [
      axis('labelled rows', { values: (_u, splits) => splits.map((v) => formatCount(v)) }),
      axis('accuracy (%)', { values: (_u, splits) => splits.map((v) => `${v}`), size: 44 }),
    ],
    series: [
      { label: 'labelled rows', value: (_u, v) => formatCount(v) },
      {
        label: 'accuracy',
        stroke: PALETTE[0],
        width: 2,
        fill: 'rgba(37, 99, 235, 0.08)',
        points: { show: (u) => u.data[0].length < 40, size: 5 },
        value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} %`),
      },
    ],
    hooks: {
      draw: [
        (u) => {
          for (const m of markers()) dashedLine(u, 'v', m.position, '#7c3aed', `v${m.version}`);
        },
      ],
    },
  };
}

/** PSI per feature against check time (UTC), with the PSI threshold as a dashed red line. */
export function driftOptions(threshold: () => number | null): ChartOptions {
  return {
    tzDate: utc,
    scales: {
      x: { time: true, range: checkTimeRange },
      y: {
        range: (_u, _min, max) => {
          const t = threshold() ?? 0;
          return [0, Math.max(max ?? 0, t) * 1.2 || 1];
        },
      },
    },
    axes: [
      axis('drift check time (UTC)', { values: (_u, splits) => formatAxisTimes(splits), space: 110 }),
      axis('PSI', { size: 48, values: (_u, splits) => splits.map((v) => formatStatistic(v, 2)) }),
    ],
    series: [{ label: 'time', value: (_u, v) => (v == null ? '–' : formatClock(v * 1000)) }],
    hooks: {
      draw: [
        (u) => {
          const t = threshold();
          if (t != null) dashedLine(u, 'h', t, '#b91c1c', `threshold ${formatStatistic(t)}`);
        },
      ],
    },
  };
}

/** One PSI line per feature, colours cycling through the palette. */
export function driftSeries(features: readonly string[]): uPlot.Series[] {
  return features.map((feature, k) => ({
    label: feature,
    stroke: PALETTE[k % PALETTE.length],
    width: 1.5,
    points: { show: true, size: 4 },
    spanGaps: false,
    value: (_u: uPlot, v: number | null) => formatStatistic(v),
  }));
}

/** Share of predictions (%) per predicted class, as bars, the classes by name (`names()[label]`). */
export function distributionOptions(names: () => readonly string[] = () => []): ChartOptions {
  const name = (v: number) => names()[v] ?? formatCount(v);
  return {
    scales: { x: { time: false, range: barRange }, y: { range: fromZero } },
    axes: [
      axis('predicted class', {
        values: (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? name(v) : '')),
        incrs: [1, 2, 5, 10],
      }),
      axis('share (%)', { size: 44 }),
    ],
    series: [
      { label: 'class', value: (_u, v) => (v == null ? '–' : name(v)) },
      {
        label: 'share',
        stroke: PALETTE[0],
        fill: 'rgba(37, 99, 235, 0.6)',
        paths: uPlot.paths.bars!({ size: [0.6, 80] }),
        points: { show: false },
        value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} %`),
      },
    ],
    legend: { show: false },
  };
}

/** Wall time per training job (s), coloured by outcome (promoted, rejected, failed). */
export function trainingTimeOptions(): ChartOptions {
  const bars = uPlot.paths.bars!({ size: [0.6, 60] });
  const outcome = (label: string, color: string): uPlot.Series => ({
    label,
    stroke: color,
    fill: color,
    paths: bars,
    points: { show: false },
    value: (_u, v) => (v == null ? '–' : formatDuration(v * 1000)),
  });
  return {
    scales: { x: { time: false, range: barRange }, y: { range: fromZero } },
    axes: [
      axis('training job', {
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? `#${v}` : '')),
        incrs: [1, 2, 5, 10, 20, 50, 100],
      }),
      axis('wall time (s)', { size: 48 }),
    ],
    series: [
      { label: 'job', value: (_u, v) => (v == null ? '–' : `#${v}`) },
      outcome('promoted', '#15803d'),
      outcome('rejected', '#d97706'),
      outcome('failed', '#b91c1c'),
    ],
  };
}

/** Reference vs current share (%) per bin of one feature, bars side by side at each bin centre. */
export function histogramOptions(categories: () => readonly string[] | null = () => null): ChartOptions {
  // A categorical column's bars sit at its codes 0..C-1: label them by name.
  const value = (v: number) => {
    const names = categories();
    return names ? (Number.isInteger(v) ? (names[v] ?? '') : '') : formatStatistic(v);
  };
  return {
    scales: {
      x: {
        time: false,
        // Room for half a bin on each side so the outer bars are drawn whole.
        range: (u) => {
          const xs = u.data[0];
          const extent = dataExtent(u);
          const half = xs.length > 1 ? (xs[1]! - xs[0]!) / 2 : 0.5;
          return extent ? [extent[0] - half, extent[1] + half] : [0, 1];
        },
      },
      y: { range: fromZero },
    },
    axes: [
      axis('feature value (bin centre, or category)', { values: (_u, splits) => splits.map(value) }),
      axis('share of sample (%)', { size: 44 }),
    ],
    series: [
      { label: 'bin centre', value: (_u, v) => (v == null ? '–' : value(v)) },
      {
        label: 'reference (training sample)',
        stroke: '#475569',
        fill: 'rgba(71, 85, 105, 0.55)',
        paths: uPlot.paths.bars!({ size: [0.45, 60], align: -1 }),
        points: { show: false },
        value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} %`),
      },
      {
        label: 'current window',
        stroke: '#ea580c',
        fill: 'rgba(234, 88, 12, 0.6)',
        paths: uPlot.paths.bars!({ size: [0.45, 60], align: 1 }),
        points: { show: false },
        value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)} %`),
      },
    ],
  };
}
