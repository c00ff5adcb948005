import { DriftInputError } from '../errors.ts';
import { type DetectorUpdate, type StreamingDriftDetector, toStreamValue } from './types.ts';

export interface AdwinOptions {
  /** Significance value δ of the cut test; smaller means fewer false alarms and slower detection. @default 0.002 */
  delta?: number;
  /** Check for a change every `clock` values. @default 32 */
  clock?: number;
  /** Buckets of each size kept before two are merged (exponential histogram resolution). @default 5 */
  maxBuckets?: number;
  /** Minimum length of each sub-window for a cut to be tested. @default 5 */
  minWindowLength?: number;
  /** No change is tested before this many values have arrived. @default 10 */
  gracePeriod?: number;
}

/** One row of the exponential histogram: up to maxBuckets + 1 buckets of 2^row values each. */
class BucketRow {
  readonly totals: Float64Array;
  readonly variances: Float64Array;
  count = 0;

  constructor(maxBuckets: number) {
    this.totals = new Float64Array(maxBuckets + 1);
    this.variances = new Float64Array(maxBuckets + 1);
  }

  insert(total: number, variance: number): void {
    this.totals[this.count] = total;
    this.variances[this.count] = variance;
    this.count++;
  }

  /** Drops the `n` oldest buckets of the row. */
  removeOldest(n: number): void {
    this.totals.copyWithin(0, n);
    this.variances.copyWithin(0, n);
    this.totals.fill(0, this.totals.length - n);
    this.variances.fill(0, this.variances.length - n);
    this.count -= n;
  }
}

/**
 * ADWIN (adaptive windowing, Bifet & Gavaldà 2007) as River implements it (river.drift.ADWIN): an
 * exponential histogram of the window, a test of every cut into older/newer sub-windows every `clock`
 * values, and removal of the oldest bucket while some cut is significant. Like River, a detection
 * makes the next `update` start a fresh window.
 *
 * The cut scan follows River's current implementation, which tests every bucket as a cut point
 * (River's earlier Cython version skipped the newest bucket of each row and so detected up to one
 * `clock` later); the detections match River's documented outputs and regression tests.
 */
export class Adwin implements StreamingDriftDetector {
  readonly delta: number;
  readonly clock: number;
  readonly maxBuckets: number;
  readonly minWindowLength: number;
  readonly gracePeriod: number;

  private rows: BucketRow[] = [];
  private tick = 0;
  private _width = 0;
  private _total = 0;
  private _variance = 0;
  private _nDetections = 0;
  private _driftDetected = false;

  constructor(options: AdwinOptions = {}) {
    this.delta = options.delta ?? 0.002;
    this.clock = options.clock ?? 32;
    this.maxBuckets = options.maxBuckets ?? 5;
    this.minWindowLength = options.minWindowLength ?? 5;
    this.gracePeriod = options.gracePeriod ?? 10;
    if (!(this.delta > 0 && this.delta < 1))
      throw new DriftInputError(`Adwin: delta must be in (0, 1), got ${this.delta}`);
    for (const [name, value] of [
      ['clock', this.clock],
      ['maxBuckets', this.maxBuckets],
      ['minWindowLength', this.minWindowLength],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new DriftInputError(`Adwin: ${name} must be a positive integer, got ${value}`);
      }
    }
    if (!Number.isInteger(this.gracePeriod) || this.gracePeriod < 0) {
      throw new DriftInputError(`Adwin: gracePeriod must be a non-negative integer, got ${this.gracePeriod}`);
    }
    this.clear();
  }

  /** Number of values in the current window. */
  get width(): number {
    return this._width;
  }

  /** Sum of the values in the window. */
  get total(): number {
    return this._total;
  }

  /** Sum of squared deviations from the mean within the window (River's `variance`). */
  get variance(): number {
    return this._variance;
  }

  /** Mean of the window (0 when it is empty). */
  get estimation(): number {
    return this._width === 0 ? 0 : this._total / this._width;
  }

  /** Changes detected since construction or the last reset. */
  get nDetections(): number {
    return this._nDetections;
  }

  get driftDetected(): boolean {
    return this._driftDetected;
  }

  get warningDetected(): boolean {
    return false;
  }

  reset(): void {
    this.clear();
    this._driftDetected = false;
  }

  update(x: number | boolean): DetectorUpdate {
    const value = toStreamValue(x, 'Adwin');
    if (this._driftDetected) {
      // River starts a new window after each detection (ADWIN._reset in update).
      const detections = this._nDetections;
      this.reset();
      this._nDetections = detections;
    }
    this.insert(value);
    this._driftDetected = this.detectChange();
    return { drift: this._driftDetected, warning: false };
  }

  private clear(): void {
    this.rows = [new BucketRow(this.maxBuckets)];
    this.tick = 0;
    this._width = 0;
    this._total = 0;
    this._variance = 0;
  }

  private insert(value: number): void {
    this.rows[0]!.insert(value, 0);
    this._width += 1;
    if (this._width > 1) {
      const d = value - this._total / (this._width - 1);
      this._variance += ((this._width - 1) * d * d) / this._width;
    }
    this._total += value;
    this.compress();
  }

  /** Merges the two oldest buckets of any row that overflowed into one bucket of the next row. */
  private compress(): void {
    for (let idx = 0; idx < this.rows.length; idx++) {
      const row = this.rows[idx]!;
      if (row.count !== this.maxBuckets + 1) break;
      if (idx + 1 === this.rows.length) this.rows.push(new BucketRow(this.maxBuckets));
      const next = this.rows[idx + 1]!;
      const size = 2 ** idx;
      const mu1 = row.totals[0]! / size;
      const mu2 = row.totals[1]! / size;
      const merged = row.totals[0]! + row.totals[1]!;
      const between = (size * size * (mu1 - mu2) * (mu1 - mu2)) / (size + size);
      next.insert(merged, row.variances[0]! + row.variances[1]! + between);
      row.removeOldest(2);
      if (next.count <= this.maxBuckets) break;
    }
  }

  /** Removes the oldest bucket of the window; returns how many values it held. */
  private deleteOldest(): number {
    const last = this.rows.length - 1;
    const row = this.rows[last]!;
    const n = 2 ** last;
    const u = row.totals[0]!;
    const mu = u / n;
    const v = row.variances[0]!;
    this._width -= n;
    this._total -= u;
    const muWindow = this._total / this._width;
    this._variance -= v + (n * this._width * (mu - muWindow) * (mu - muWindow)) / (n + this._width);
    row.removeOldest(1);
    if (row.count === 0) this.rows.pop();
    return n;
  }

  private cutIsSignificant(n0: number, n1: number, deltaMean: number): boolean {
    const deltaPrime = Math.log((2 * Math.log(this._width)) / this.delta);
    const mRecip = 1 / (n0 - this.minWindowLength + 1) + 1 / (n1 - this.minWindowLength + 1);
    const varianceInWindow = this._variance / this._width;
    const epsilon = Math.sqrt(2 * mRecip * varianceInWindow * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
    return Math.abs(deltaMean) > epsilon;
  }

  private detectChange(): boolean {
    let changeDetected = false;
    this.tick += 1;
    if (this.tick % this.clock !== 0 || !(this._width > this.gracePeriod)) return false;
    let reduceWidth = true;
    while (reduceWidth) {
      reduceWidth = false;
      let exit = false;
      let n0 = 0;
      let n1 = this._width;
      let u0 = 0;
      let u1 = this._total;
      // Scan cut points from the oldest bucket to the newest: W0 = older part, W1 = newer part.
      for (let idx = this.rows.length - 1; idx >= 0 && !exit; idx--) {
        const row = this.rows[idx]!;
        const size = 2 ** idx;
        for (let k = 0; k < row.count; k++) {
          n0 += size;
          n1 -= size;
          u0 += row.totals[k]!;
          u1 -= row.totals[k]!;
          // The newest bucket would leave W1 empty: every cut has been tested.
          if (idx === 0 && k === row.count - 1) {
            exit = true;
            break;
          }
          const deltaMean = u0 / n0 - u1 / n1;
          if (
            n1 >= this.minWindowLength &&
            n0 >= this.minWindowLength &&
            this.cutIsSignificant(n0, n1, deltaMean)
          ) {
            reduceWidth = true;
            changeDetected = true;
            this.deleteOldest();
            exit = true;
            break;
          }
        }
      }
    }
    if (changeDetected) this._nDetections += 1;
    return changeDetected;
  }
}
