import { DriftInputError } from '../errors.ts';
import { type DetectorUpdate, type StreamingDriftDetector, toStreamValue } from './types.ts';

/** Which changes of the mean Page-Hinkley reports. */
export type PageHinkleyMode = 'up' | 'down' | 'both';

export interface PageHinkleyOptions {
  /** Values seen before a change can be reported. @default 30 */
  minInstances?: number;
  /** Magnitude of change tolerated before it accumulates. @default 0.005 */
  delta?: number;
  /** Detection threshold λ on the cumulative deviation. @default 50 */
  threshold?: number;
  /** Forgetting factor applied to the cumulative sums. @default 0.9999 */
  alpha?: number;
  /**
   * @default 'both' (River's default). For an error or loss stream only increases are harmful;
   * 'up' ignores improvements.
   */
  mode?: PageHinkleyMode;
}

/**
 * Page-Hinkley test (CUSUM of deviations from the running mean) with River's (>= 0.15) semantics
 * (river.drift.PageHinkley): fading cumulative sums of x - mean ∓ δ, compared with their running
 * minimum (increase) and maximum (decrease); a change when a gap exceeds λ after `minInstances`
 * values. No warning zone. Like River, a detection makes the next `update` start afresh.
 */
export class PageHinkley implements StreamingDriftDetector {
  readonly minInstances: number;
  readonly delta: number;
  readonly threshold: number;
  readonly alpha: number;
  readonly mode: PageHinkleyMode;

  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Number.POSITIVE_INFINITY;
  private maxDecrease = -1;
  private _driftDetected = false;

  constructor(options: PageHinkleyOptions = {}) {
    this.minInstances = options.minInstances ?? 30;
    this.delta = options.delta ?? 0.005;
    this.threshold = options.threshold ?? 50;
    this.alpha = options.alpha ?? 1 - 0.0001;
    this.mode = options.mode ?? 'both';
    if (this.mode !== 'up' && this.mode !== 'down' && this.mode !== 'both') {
      throw new DriftInputError(
        `PageHinkley: mode must be 'up', 'down' or 'both', got '${String(this.mode)}'`,
      );
    }
    if (!Number.isInteger(this.minInstances) || this.minInstances < 1) {
      throw new DriftInputError(
        `PageHinkley: minInstances must be a positive integer, got ${this.minInstances}`,
      );
    }
    if (!(this.threshold > 0))
      throw new DriftInputError(`PageHinkley: threshold must be positive, got ${this.threshold}`);
    if (!(this.alpha > 0 && this.alpha <= 1))
      throw new DriftInputError(`PageHinkley: alpha must be in (0, 1], got ${this.alpha}`);
    if (!(this.delta >= 0))
      throw new DriftInputError(`PageHinkley: delta must be non-negative, got ${this.delta}`);
  }

  get driftDetected(): boolean {
    return this._driftDetected;
  }

  get warningDetected(): boolean {
    return false;
  }

  /** Running mean of the values since the last reset. */
  get estimation(): number {
    return this.mean;
  }

  reset(): void {
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Number.POSITIVE_INFINITY;
    // River starts the running maximum at -1, not -infinity; kept for identical detections.
    this.maxDecrease = -1;
    this._driftDetected = false;
  }

  update(x: number | boolean): DetectorUpdate {
    const value = toStreamValue(x, 'PageHinkley');
    if (this._driftDetected) this.reset();
    this.n += 1;
    this.mean += (value - this.mean) / this.n;
    const deviation = value - this.mean;
    this.sumIncrease = this.alpha * this.sumIncrease + deviation - this.delta;
    this.sumDecrease = this.alpha * this.sumDecrease + deviation + this.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= this.minInstances) {
      const increase = this.sumIncrease - this.minIncrease > this.threshold;
      const decrease = this.maxDecrease - this.sumDecrease > this.threshold;
      this._driftDetected =
        this.mode === 'up' ? increase : this.mode === 'down' ? decrease : increase || decrease;
    }
    return { drift: this._driftDetected, warning: false };
  }
}
