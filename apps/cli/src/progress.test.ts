import { describe, expect, it } from 'vitest';
import { compactNumber, ProgressBar, shortDuration } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 200, write: (t: string) => writes.push(t) }, writes };
}

describe('ProgressBar', () => {
  it('redraws in place on a terminal, at most ten times a second, and keeps log lines above it', () => {
    const { stream, writes } = fakeStream(true);
    let now = 0;
    const bar = new ProgressBar('ingest', { total: 1000, stream, now: () => now });
    now = 1000;
    bar.update(100);
    now = 1050;
    bar.update(150); // within 100 ms of the last draw: not drawn
    now = 2000;
    bar.update(500, '5 batches');
    expect(writes).toEqual([
      '\r\x1b[2Kingest  [##......................]  10%  100/1000 rows  100 rows/s  eta 9s',
      '\r\x1b[2Kingest  [############............]  50%  500/1000 rows  250 rows/s  eta 2s  5 batches',
    ]);
    writes.length = 0;
    bar.log('a line');
    expect(writes).toEqual([
      '\r\x1b[2K',
      'a line\n',
      '\r\x1b[2Kingest  [############............]  50%  500/1000 rows  250 rows/s  eta 2s  5 batches',
    ]);
    writes.length = 0;
    now = 4000;
    bar.update(1000);
    bar.finish();
    expect(writes.at(-1)).toBe('\n');
    expect(writes.at(-2)).toBe(
      '\r\x1b[2Kingest  [########################]  100%  1000/1000 rows  250 rows/s  4s  5 batches',
    );
  });

  it('prints a plain line per tenth (or every 10 s) when not on a terminal', () => {
    const { stream, writes } = fakeStream(false);
    let now = 0;
    const bar = new ProgressBar('predict', { total: 100, stream, now: () => now });
    for (let done = 1; done <= 100; done++) {
      now += 10;
      bar.update(done);
    }
    bar.finish();
    // The first update (0 %), then 10 %, 20 %, ... 90 % once each, then the final line.
    expect(writes).toHaveLength(11);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(writes[0]).toMatch(/^predict {2}\[\.{24}\] {2}1% {2}1\/100 rows/);
    expect(writes[1]).toMatch(/^predict {2}\[##\.+\] {2}10% {2}10\/100 rows/);
    expect(writes.at(-1)).toMatch(/^predict {2}\[#{24}\] {2}100% {2}100\/100 rows {2}100 rows\/s {2}1s\n$/);

    const unknown = fakeStream(false);
    now = 0;
    const open = new ProgressBar('demo', { stream: unknown.stream, now: () => now, plainEveryMs: 10_000 });
    for (let i = 1; i <= 30; i++) {
      now = i * 1000;
      open.update(i * 10);
    }
    expect(unknown.writes.map((w) => w.split('  ')[1])).toEqual(['10 rows', '110 rows', '210 rows']);
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
