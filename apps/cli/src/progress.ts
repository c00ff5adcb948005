import { createRequire } from 'node:module';
import type { MultiBar, Params, SingleBar } from 'cli-progress';

/** cli-progress, loaded when a bar is drawn on a terminal (not at every command's start-up). */
const cliProgress = () => createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');

/** Where the bar draws (stderr by default, so `--json` output on stdout stays clean). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** How many there are to do. */
  total: number;
  /** What is counted, e.g. "rows". @default 'rows' */
  unit?: string;
  /** @default process.stderr */
  stream?: ProgressStream;
  /**
   * Without a terminal, a plain line is printed at the first update, at every 10 %, and at least
   * this often.
   * @default 10000
   */
  plainEveryMs?: number;
}

const BAR_WIDTH = 24;

/** 12345 → "12.3k". */
export function compactNumber(n: number): string {
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** 75 → "1m15s". */
export function shortDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60
    ? `${m}m${String(s).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface State {
  done: number;
  total: number;
  seconds: number;
  /** Seconds left, when known. */
  eta: number | null;
  note: string;
}

/**
 * A progress bar. On a terminal, cli-progress draws it (redrawn in place ten times a second, the
 * time and rate ticking even between updates) and `log` prints lines above it. Elsewhere (a pipe, a
 * log file, CI) it prints a plain line now and then: no carriage returns, no escape codes.
 */
export class ProgressBar {
  private done = 0;
  private note = '';
  private finished = false;
  private readonly stream: ProgressStream;
  private readonly unit: string;
  private readonly total: number;
  private readonly terminal: { bars: MultiBar; bar: SingleBar } | null;
  private readonly startedAt = Date.now();
  private readonly plainEveryMs: number;
  private lastPlainAt = Number.NEGATIVE_INFINITY;
  private lastPlainTenth = -1;
  /** The count and note of the last plain line, so that `finish` does not print it twice. */
  private lastPlain = '';

  constructor(
    private readonly label: string,
    options: ProgressOptions,
  ) {
    this.stream = options.stream ?? process.stderr;
    this.unit = options.unit ?? 'rows';
    this.total = options.total;
    this.plainEveryMs = options.plainEveryMs ?? 10_000;
    this.terminal = this.stream.isTTY === true ? this.startTerminalBar() : null;
  }

  private startTerminalBar() {
    const bars = new (cliProgress().MultiBar)({
      stream: this.stream as NodeJS.WritableStream,
      format: (_options, params: Params, payload: { note?: string }) =>
        this.fit(
          this.text({
            done: params.value,
            total: params.total,
            seconds: (Date.now() - params.startTime) / 1000,
            eta: typeof params.eta === 'number' && params.value > 0 ? params.eta : null,
            note: payload.note ?? '',
          }),
          params.maxWidth,
        ),
      fps: 10,
      // Redraw even when the text is unchanged: a line logged above the bar cleared it.
      forceRedraw: true,
      // Trim to the terminal's width rather than switch line wrapping off: a process killed
      // mid-way must not leave the terminal without wrapping.
      linewrap: true,
      hideCursor: false,
      // Our Ctrl-C handler stops the command, which finishes the bar.
      gracefulExit: false,
      etaBuffer: 20,
    });
    return { bars, bar: bars.create(this.total, 0, { note: '' }) };
  }

  /** Sets the count (absolute) and an optional note shown after it. */
  update(done: number, note?: string): void {
    if (this.finished) return;
    this.done = done;
    if (note !== undefined) this.note = note;
    if (this.terminal) {
      this.terminal.bar.update(done, { note: this.note });
      return;
    }
    const now = Date.now();
    const tenth = Math.floor((10 * done) / Math.max(1, this.total));
    if ((tenth > this.lastPlainTenth && tenth < 10) || now - this.lastPlainAt >= this.plainEveryMs) {
      this.lastPlainTenth = Math.max(tenth, this.lastPlainTenth);
      this.lastPlainAt = now;
      this.writePlain();
    }
  }

  /**
   * Prints a line without breaking the bar: above it when `out` is the terminal the bar is on
   * (stdout and stderr both on the terminal count as one), otherwise straight to `out`.
   */
  log(line: string, out: ProgressStream = this.stream): void {
    if (this.terminal && !this.finished && (out === this.stream || out.isTTY === true)) {
      this.terminal.bars.log(`${line}\n`);
      this.terminal.bars.update();
    } else {
      out.write(`${line}\n`);
    }
  }

  /** Draws the final state and leaves it in place. */
  finish(note?: string): void {
    if (this.finished) return;
    if (note !== undefined) this.note = note;
    if (this.terminal) {
      this.terminal.bar.update(this.done, { note: this.note });
      this.terminal.bars.stop();
    } else if (this.lastPlain !== `${this.done} ${this.note}`) {
      this.writePlain();
    }
    this.finished = true;
  }

  private writePlain(): void {
    this.lastPlain = `${this.done} ${this.note}`;
    this.stream.write(`${this.plainText()}\n`);
  }

  private plainText(): string {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = this.done / Math.max(seconds, 1e-9);
    const eta = rate > 0 ? (this.total - this.done) / rate : null;
    return this.text({ done: this.done, total: this.total, seconds, eta, note: this.note });
  }

  /** The bar's text (no colours, so it reads the same in a log file). */
  private text({ done, total, seconds, eta, note }: State): string {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const rate = done / Math.max(seconds, 1e-9);
    const parts = [
      this.label,
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
      `${Math.floor(fraction * 100)}%`,
      `${compactNumber(done)}/${compactNumber(total)} ${this.unit}`,
      `${compactNumber(rate)} ${this.unit}/s`,
      done < total && eta !== null ? `eta ${shortDuration(eta)}` : shortDuration(seconds),
    ];
    if (note) parts.push(note);
    return parts.join('  ');
  }

  private fit(line: string, width: number): string {
    return width > 10 && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
  }
}
