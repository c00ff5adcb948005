/** Outcome of feeding one value to a streaming drift detector. */
export interface DetectorUpdate {
  /** A change was detected at this value. The detector starts afresh on the next update (River's behaviour). */
  drift: boolean;
  /** The detector is in its warning zone (only DDM has one; always false for ADWIN and Page-Hinkley). */
  warning: boolean;
}

/** A detector that watches a stream of values (typically 0/1 prediction errors or losses). */
export interface StreamingDriftDetector {
  update(x: number | boolean): DetectorUpdate;
  /** Forgets everything seen so far, keeping the parameters. */
  reset(): void;
  readonly driftDetected: boolean;
  readonly warningDetected: boolean;
}

export function toStreamValue(x: number | boolean, detector: string): number {
  const v = typeof x === 'boolean' ? (x ? 1 : 0) : x;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new RangeError(`${detector}.update: values must be finite numbers or booleans, got ${String(x)}`);
  }
  return v;
}
