import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compactNumber, ProgressBar, shortDuration } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    stream: {
      isTTY,
      columns: 200,
      write: (t: string) => {
        writes.push(t);
        return true;
      },
    },
    writes,
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what is checked
const ESCAPES = /[\r\u001b]/;

describe('ProgressBar', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('redraws in place on a terminal, ticking between updates, with log lines above it', () => {
    const { stream, writes } = fakeStream(true);
    const out = fakeStream(true);
    const bar = new ProgressBar('ingest', { total: 1000, stream });
    vi.advanceTimersByTime(1000);
    bar.update(100, '1 batch');
    vi.advanceTimersByTime(100);
    const drawn = writes.filter((w) => w.startsWith('ingest'));
    expect(drawn.at(-1)).toMatch(
      /^ingest {2}\[##\.{22}\] {2}10% {2}100\/1000 rows {2}\d+ rows\/s {2}eta \d+s {2}1 batch$/,
    );
    // Drawn at column 1 and cleared to the end of the line: no new line per redraw.
    expect(writes.join('')).not.toContain('\n');
    expect(writes.join('')).toContain('\u001b[1G');

    // No update for 3 s: the bar is redrawn anyway (the elapsed time and rate move on).
    const before = drawn.length;
    vi.advanceTimersByTime(3000);
    expect(writes.filter((w) => w.startsWith('ingest')).length).toBeGreaterThan(before);

    // A line for stdout (also the terminal) goes above the bar, which is redrawn below it.
    writes.length = 0;
    bar.log('a line', out.stream);
    expect(out.writes).toEqual([]);
    const at = writes.indexOf('a line\n');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(writes.slice(at + 1).some((w) => w.startsWith('ingest  [##'))).toBe(true);

    writes.length = 0;
    bar.update(1000);
    bar.finish('done');
    expect(writes.filter((w) => w.startsWith('ingest')).at(-1)).toMatch(
      /^ingest {2}\[#{24}\] {2}100% {2}1000\/1000 rows {2}\d+ rows\/s {2}\d+s {2}done$/,
    );
    expect(writes.at(-1)).toBe('\n');
    // Finished: no timer left to keep the process alive or draw over what comes next.
    expect(vi.getTimerCount()).toBe(0);
    writes.length = 0;
    bar.update(5);
    bar.log('after', out.stream);
    vi.advanceTimersByTime(1000);
    expect(writes).toEqual([]);
    expect(out.writes).toEqual(['after\n']);
  });

  it('trims the line to the terminal width', () => {
    const { stream, writes } = fakeStream(true);
    stream.columns = 40;
    const bar = new ProgressBar('predict', { total: 10, stream });
    bar.update(5, 'a note that does not fit');
    vi.advanceTimersByTime(100);
    const line = writes.filter((w) => w.startsWith('predict')).at(-1)!;
    expect(line).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
    bar.finish();
  });

  it('prints plain lines (first update, each tenth, every 10 s, the end) when not on a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const out = fakeStream(false);
    const bar = new ProgressBar('predict', { total: 100, stream });
    expect(writes).toEqual([]); // nothing before the first update
    for (let done = 1; done <= 100; done++) {
      vi.advanceTimersByTime(10);
      bar.update(done);
    }
    bar.log('a note', out.stream);
    bar.finish();
    // The first update (1 %), then 10 %, 20 %, ... 90 % once each, then the final line.
    expect(writes).toHaveLength(11);
    expect(writes.every((w) => w.endsWith('\n') && !ESCAPES.test(w))).toBe(true);
    expect(writes[0]).toMatch(/^predict {2}\[\.{24}\] {2}1% {2}1\/100 rows/);
    expect(writes[1]).toMatch(/^predict {2}\[##\.+\] {2}10% {2}10\/100 rows/);
    expect(writes.at(-1)).toMatch(/^predict {2}\[#{24}\] {2}100% {2}100\/100 rows {2}100 rows\/s {2}1s\n$/);
    expect(out.writes).toEqual(['a note\n']);
    expect(vi.getTimerCount()).toBe(0);

    // A slow job: a line at least every 10 s even within one tenth.
    const slow = fakeStream(false);
    const open = new ProgressBar('demo', { total: 10_000, stream: slow.stream, plainEveryMs: 10_000 });
    for (let i = 1; i <= 30; i++) {
      vi.advanceTimersByTime(1000);
      open.update(i * 10);
    }
    expect(slow.writes.map((w) => w.split('  ')[3])).toEqual([
      '10/10.0k rows',
      '110/10.0k rows',
      '210/10.0k rows',
    ]);

    // One batch that is the whole file: its line once, not again at the end.
    const whole = fakeStream(false);
    const once = new ProgressBar('ingest', { total: 569, stream: whole.stream });
    once.update(569, '1 batches');
    once.finish();
    expect(whole.writes).toHaveLength(1);
    expect(whole.writes[0]).toMatch(/^ingest {2}\[#{24}\] {2}100% {2}569\/569 rows .* {2}1 batches\n$/);
  });

  it('formats counts and durations compactly', () => {
    expect([compactNumber(999), compactNumber(12_345), compactNumber(2_500_000)]).toEqual([
      '999',
      '12.3k',
      '2.5M',
    ]);
    expect([shortDuration(42), shortDuration(75), shortDuration(7260), shortDuration(Number.NaN)]).toEqual([
      '42s',
      '1m15s',
      '2h01m',
      '?',
    ]);
  });
});
