import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatAxisTimes,
  formatClock,
  formatCount,
  formatDateTime,
  formatDuration,
  formatPercent,
  formatPeriod,
  formatPValue,
  formatStatistic,
  formatVersion,
  NO_VALUE,
} from './format.ts';

describe('formatCount', () => {
  it('groups thousands and rounds to whole numbers', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(1500.6)).toBe('1,501');
  });
  it('shows the placeholder for missing or non-finite values', () => {
    expect(formatCount(null)).toBe(NO_VALUE);
    expect(formatCount(undefined)).toBe(NO_VALUE);
    expect(formatCount(Number.NaN)).toBe(NO_VALUE);
  });
});

describe('formatPercent', () => {
  it('writes a 0..1 share as a percentage with one decimal by default', () => {
    expect(formatPercent(0.8734)).toBe('87.3 %');
    expect(formatPercent(1)).toBe('100.0 %');
    expect(formatPercent(0)).toBe('0.0 %');
    expect(formatPercent(0.5, 0)).toBe('50 %');
  });
  it('shows the placeholder when there is no accuracy yet', () => {
    expect(formatPercent(null)).toBe(NO_VALUE);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [850.4, '850 ms'],
    [1234, '1.23 s'],
    [12_345, '12.3 s'],
    [59_999, '60.0 s'],
    [125_000, '2 min 05 s'],
    [3_725_000, '1 h 02 min'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
  it('shows the placeholder for unknown or negative durations', () => {
    expect(formatDuration(null)).toBe(NO_VALUE);
    expect(formatDuration(-1)).toBe(NO_VALUE);
  });
});

describe('formatAgo', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  it.each([
    ['2025-01-01T11:59:58Z', 'just now'],
    ['2025-01-01T11:59:18Z', '42 s ago'],
    ['2025-01-01T11:57:00Z', '3 min ago'],
    ['2025-01-01T07:00:00Z', '5 h ago'],
    ['2024-12-30T12:00:00Z', '2 d ago'],
    // Browser clock behind the server's: never a negative age.
    ['2025-01-01T12:00:30Z', 'just now'],
  ])('%s reads %s', (at, text) => {
    expect(formatAgo(at, now)).toBe(text);
  });
  it('accepts a Date and rejects garbage', () => {
    expect(formatAgo(new Date(now - 90_000), now)).toBe('1 min ago');
    expect(formatAgo('not a date', now)).toBe(NO_VALUE);
    expect(formatAgo(null, now)).toBe(NO_VALUE);
  });
});

describe('formatDateTime and formatClock', () => {
  it('write UTC so every viewer reads the same', () => {
    expect(formatDateTime('2025-11-28T10:44:03.123Z')).toBe('2025-11-28 10:44:03 UTC');
    expect(formatClock('2025-11-28T10:44:03.123Z')).toBe('10:44:03');
    expect(formatClock(Date.parse('2025-11-28T23:59:59Z'))).toBe('23:59:59');
    expect(formatDateTime(null)).toBe(NO_VALUE);
    expect(formatDateTime('garbage')).toBe(NO_VALUE);
  });
});

describe('formatStatistic', () => {
  it('keeps three significant digits', () => {
    expect(formatStatistic(0.12345)).toBe('0.123');
    expect(formatStatistic(1.98765)).toBe('1.99');
    expect(formatStatistic(42.4242)).toBe('42.4');
    expect(formatStatistic(0.001)).toBe('0.001');
  });
  it('switches to exponent notation for tiny and huge values instead of printing 0', () => {
    expect(formatStatistic(0.000012)).toBe('1.20e-5');
    expect(formatStatistic(-0.0005)).toBe('-5.00e-4');
    expect(formatStatistic(2_500_000)).toBe('2.50e6');
  });
  it('handles zero, infinities and missing values', () => {
    expect(formatStatistic(0)).toBe('0');
    expect(formatStatistic(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(formatStatistic(null)).toBe(NO_VALUE);
  });
});

describe('formatPValue', () => {
  it('writes four decimals and floors tiny tails', () => {
    expect(formatPValue(0.04567)).toBe('0.0457');
    expect(formatPValue(1)).toBe('1.0000');
    expect(formatPValue(0.0001)).toBe('0.0001');
    expect(formatPValue(3e-12)).toBe('< 0.0001');
    expect(formatPValue(0)).toBe('< 0.0001');
    expect(formatPValue(undefined)).toBe(NO_VALUE);
  });
});

describe('formatVersion', () => {
  it('prefixes v and says none before the first model', () => {
    expect(formatVersion(3)).toBe('v3');
    expect(formatVersion(null)).toBe('none');
  });
});

describe('formatPeriod', () => {
  it('writes a period within a day with one date, across days with two, open while serving', () => {
    expect(formatPeriod('2025-11-28T10:44:03Z', '2025-11-28T10:52:10Z')).toBe(
      '2025-11-28 10:44:03–10:52:10 UTC',
    );
    expect(formatPeriod('2025-11-28T10:44:03Z', '2025-11-29T08:00:00Z')).toBe(
      '2025-11-28 10:44:03 UTC → 2025-11-29 08:00:00 UTC',
    );
    expect(formatPeriod('2025-11-28T10:44:03Z', null)).toBe('2025-11-28 10:44:03 UTC → now');
  });
});

describe('formatAxisTimes', () => {
  const t = (iso: string) => Date.parse(iso) / 1000;
  it('uses milliseconds within seconds, clock time within a day and adds the date across days', () => {
    expect(formatAxisTimes([t('2025-11-28T10:44:00Z'), t('2025-11-28T10:45:30Z')])).toEqual([
      '10:44:00',
      '10:45:30',
    ]);
    expect(formatAxisTimes([t('2025-11-28T22:00:00Z'), t('2025-11-30T02:00:00Z')])).toEqual([
      '11-28 22:00',
      '11-30 02:00',
    ]);
    expect(formatAxisTimes([t('2025-11-28T10:44:00.250Z'), t('2025-11-28T10:44:00.500Z')])).toEqual([
      '10:44:00.250',
      '10:44:00.500',
    ]);
    expect(formatAxisTimes([])).toEqual([]);
  });
});
