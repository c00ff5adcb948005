import { DriftInputError } from '../errors.ts';
import { type DetectorUpdate, type StreamingDriftDetector, toStreamValue } from './types.ts';

export interface DdmOptions {
  /** Values seen before warnings or drifts can be reported. @default 30 */
  warmStart?: number;
  /** Warning when p + s exceeds p_min + warningThreshold · s_min. @default 2 */
  warningThreshold?: number;
  /** Drift when p + s exceeds p_min + driftThreshold · s_min. @default 3 */
  driftThreshold?: number;
}

/**
 * Drift Detection Method (Gama et al. 2004) for a stream of 0/1 errors, with River's semantics
 * (river.drift.binary.DDM): the error rate p and its binomial standard deviation s = sqrt(p(1-p)/n);
 * the minimum of p + s is remembered after `warmStart` values; warning at p + s > p_min + 2·s_min,
 * drift at p + s > p_min + 3·s_min. Like River, a detection makes the next `update` start afresh.
 */
export class Ddm implements StreamingDriftDetector {
  readonly warmStart: number;
  readonly warningThreshold: number;
  readonly driftThreshold: number;

  private n = 0;
  private p = 0;
  private pMin = Number.NaN;
  private sMin = Number.NaN;
  private psMin = Number.POSITIVE_INFINITY;
  private _driftDetected = false;
  private _warningDetected = false;

  constructor(options: DdmOptions = {}) {
    this.warmStart = options.warmStart ?? 30;
    this.warningThreshold = options.warningThreshold ?? 2;
    this.driftThreshold = options.driftThreshold ?? 3;
    if (!Number.isInteger(this.warmStart) || this.warmStart < 0) {
      throw new DriftInputError(`Ddm: warmStart must be a non-negative integer, got ${this.warmStart}`);
    }
    if (!(this.warningThreshold > 0 && this.driftThreshold >= this.warningThreshold)) {
      throw new DriftInputError(
        `Ddm: thresholds must satisfy 0 < warningThreshold <= driftThreshold, got ${this.warningThreshold} and ${this.driftThreshold}`,
      );
    }
  }

  get driftDetected(): boolean {
    return this._driftDetected;
  }

  get warningDetected(): boolean {
    return this._warningDetected;
  }

  /** Error rate since the last reset. */
  get errorRate(): number {
    return this.p;
  }

  reset(): void {
    this.n = 0;
    this.p = 0;
    this.pMin = Number.NaN;
    this.sMin = Number.NaN;
    this.psMin = Number.POSITIVE_INFINITY;
    this._driftDetected = false;
    this._warningDetected = false;
  }

  update(x: number | boolean): DetectorUpdate {
    const value = toStreamValue(x, 'Ddm');
    if (this._driftDetected) this.reset();
    this.n += 1;
    this.p += (value - this.p) / this.n;
    const s = Math.sqrt((this.p * (1 - this.p)) / this.n);
    if (this.n > this.warmStart) {
      if (this.p + s <= this.psMin) {
        this.pMin = this.p;
        this.sMin = s;
        this.psMin = this.p + s;
      }
      this._warningDetected = this.p + s > this.pMin + this.warningThreshold * this.sMin;
      if (this.p + s > this.pMin + this.driftThreshold * this.sMin) {
        this._driftDetected = true;
        this._warningDetected = false;
      }
    }
    return { drift: this._driftDetected, warning: this._warningDetected };
  }
}
