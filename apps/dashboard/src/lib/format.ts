/**
 * How the dashboard writes numbers, times and statistics. Pure functions (no clock: "now" is a
 * parameter) so the same value always reads the same and the tests can pin every case.
 * Locale is fixed to en-US: the tests and screenshots must not depend on the browser's locale.
 */

const LOCALE = 'en-US';
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });

/** Placeholder for a value the server does not have (yet). */
export const NO_VALUE = '–';

/** A count with thousands separators: 1234567 → "1,234,567"; null → "–". */
export function formatCount(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return NO_VALUE;
  return integer.format(value);
}

/** A share 0..1 as a percentage: 0.8734 → "87.3 %"; null → "–". */
export function formatPercent(share: number | null | undefined, digits = 1): string {
  if (share == null || !Number.isFinite(share)) return NO_VALUE;
  return `${(share * 100).toFixed(digits)} %`;
}

/** A duration in milliseconds, in the unit a person reads best: "850 ms", "12.3 s", "2 min 05 s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return NO_VALUE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * How long ago `at` was, relative to `now`: "just now" (< 5 s), "42 s ago", "3 min ago",
 * "5 h ago", "2 d ago". A time in the future (clock skew between browser and server) reads
 * "just now" rather than a negative age.
 */
export function formatAgo(at: string | Date | null | undefined, now: number): string {
  if (at == null) return NO_VALUE;
  const t = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(t)) return NO_VALUE;
  const seconds = Math.floor((now - t) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** An instant as "2025-11-28 10:44:03 UTC" (UTC so every viewer and every test reads the same). */
export function formatDateTime(at: string | Date | null | undefined): string {
  if (at == null) return NO_VALUE;
  const date = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(date.getTime())) return NO_VALUE;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Clock time only, "10:44:03" (UTC), for chart axes and the event list. */
export function formatClock(at: string | Date | number): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) return NO_VALUE;
  return date.toISOString().slice(11, 19);
}

/**
 * A statistic (KS D, PSI, Wasserstein) with `digits` significant digits, switching to exponent
 * notation below 0.001 so tiny values do not collapse to "0.000": 0.12345 → "0.123",
 * 0.000012 → "1.20e-5".
 */
export function formatStatistic(value: number | null | undefined, digits = 3): string {
  if (value == null || Number.isNaN(value)) return NO_VALUE;
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e6) return value.toExponential(digits - 1).replace('e+', 'e');
  return Number(value.toPrecision(digits)).toString();
}

/**
 * A p-value: below 1e-4 as "< 0.0001" (the exact tail value carries no extra meaning at that
 * point and differs between implementations), otherwise with 4 decimals.
 */
export function formatPValue(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return NO_VALUE;
  if (p < 1e-4) return '< 0.0001';
  return p.toFixed(4);
}

/** A model version as "v3"; null → "none" (nothing serves yet). */
export function formatVersion(version: number | null | undefined): string {
  return version == null ? 'none' : `v${version}`;
}

/**
 * When a version served: "2025-11-28 10:44:03–10:52:10 UTC" within one day,
 * "2025-11-28 10:44:03 UTC → 2025-11-29 08:00:00 UTC" across days, "… → now" while serving.
 */
export function formatPeriod(from: string, to: string | null): string {
  const start = formatDateTime(from);
  if (to === null) return `${start} → now`;
  const end = formatDateTime(to);
  if (start.slice(0, 10) === end.slice(0, 10)) return `${start.slice(0, 19)}–${end.slice(11)}`;
  return `${start} → ${end}`;
}

/**
 * Tick labels of a time axis (Unix seconds, UTC), precise enough that neighbouring ticks differ:
 * milliseconds when the axis spans under 10 s (checks run back to back), clock time under a day,
 * "MM-DD HH:MM" beyond.
 */
export function formatAxisTimes(splits: readonly number[]): string[] {
  if (splits.length === 0) return [];
  const span = splits[splits.length - 1]! - splits[0]!;
  return splits.map((s) => {
    const iso = new Date(s * 1000).toISOString();
    if (span < 10) return iso.slice(11, 23);
    return span < 86_400 ? iso.slice(11, 19) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  });
}
