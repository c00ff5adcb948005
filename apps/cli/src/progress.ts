/** Where the bar draws (stderr by default, so `--json` output on stdout stays clean). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is counted, e.g. "rows". @default 'rows' */
  unit?: string;
  /** Total when known (a percentage and an ETA are shown then). */
  total?: number | null;
  /** @default process.stderr */
  stream?: ProgressStream;
  /** Milliseconds clock (tests pass their own). @default performance.now */
  now?: () => number;
  /**
   * Without a terminal, a plain line is printed at most this often (and at every 10 %).
   * @default 10000
   */
  plainEveryMs?: number;
}

const TTY_REDRAW_MS = 100;
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

/**
 * A one-line progress bar. On a terminal it redraws in place (at most 10 times a second) and
 * `log` prints a line above it; elsewhere (a pipe, CI) it prints a plain line now and then, so a
 * log file gets a readable trace instead of carriage returns.
 */
export class ProgressBar {
  private done = 0;
  private note = '';
  private readonly started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastPlainDecile = -1;
  private drawn = false;
  private finished = false;
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly unit: string;
  private readonly plainEveryMs: number;
  total: number | null;

  constructor(
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => performance.now());
    this.tty = this.stream.isTTY === true;
    this.unit = options.unit ?? 'rows';
    this.total = options.total ?? null;
    this.plainEveryMs = options.plainEveryMs ?? 10_000;
    this.started = this.now();
  }

  /** Sets the count (absolute) and an optional note shown after it. */
  update(done: number, note?: string): void {
    this.done = done;
    if (note !== undefined) this.note = note;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastDraw >= TTY_REDRAW_MS) this.draw(t);
      return;
    }
    const decile = this.total ? Math.floor((10 * this.done) / this.total) : -1;
    if ((decile > this.lastPlainDecile && decile < 10) || t - this.lastDraw >= this.plainEveryMs) {
      this.lastPlainDecile = Math.max(decile, this.lastPlainDecile);
      this.lastDraw = t;
      this.stream.write(`${this.text(t)}\n`);
    }
  }

  /** Prints a line without breaking the bar (the bar is redrawn below it). */
  log(line: string, out: ProgressStream = this.stream): void {
    if (this.tty && this.drawn && !this.finished) this.stream.write('\r\x1b[2K');
    out.write(`${line}\n`);
    if (this.tty && this.drawn && !this.finished) this.draw(this.now());
  }

  /** Draws the final state and leaves the line in place. */
  finish(note?: string): void {
    if (this.finished) return;
    if (note !== undefined) this.note = note;
    const t = this.now();
    if (this.tty) {
      this.draw(t);
      this.stream.write('\n');
    } else {
      this.stream.write(`${this.text(t)}\n`);
    }
    this.finished = true;
  }

  /** The bar's text at time `t` (no colours, so it reads the same in a log file). */
  text(t = this.now()): string {
    const seconds = Math.max(1e-9, (t - this.started) / 1000);
    const rate = this.done / seconds;
    const parts: string[] = [this.label];
    if (this.total) {
      const fraction = Math.min(1, this.done / this.total);
      const filled = Math.round(fraction * BAR_WIDTH);
      parts.push(
        `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`,
        `${Math.floor(fraction * 100)}%`,
      );
      parts.push(`${compactNumber(this.done)}/${compactNumber(this.total)} ${this.unit}`);
    } else {
      parts.push(`${compactNumber(this.done)} ${this.unit}`);
    }
    parts.push(`${compactNumber(rate)} ${this.unit}/s`);
    if (this.total && rate > 0 && this.done < this.total)
      parts.push(`eta ${shortDuration((this.total - this.done) / rate)}`);
    else parts.push(shortDuration(seconds));
    if (this.note) parts.push(this.note);
    return parts.join('  ');
  }

  private draw(t: number): void {
    this.lastDraw = t;
    this.drawn = true;
    let line = this.text(t);
    const width = this.stream.columns ?? 0;
    if (width > 10 && line.length >= width) line = `${line.slice(0, width - 2)}…`;
    this.stream.write(`\r\x1b[2K${line}`);
  }
}
