/**
 * What every synthetic stream in this package looks like, and the shared plumbing: option
 * validation with messages a person can act on, and the iterable/`take` wrapper.
 */

/** Where a stream's data-generating process changes, as documented by the generator. */
export interface DriftPoint {
  /** Index of the first sample generated under the new regime. */
  position: number;
  /**
   * - `abrupt`: the labelling rule changes from one sample to the next (SEA).
   * - `gradual-start` / `gradual-end`: the rule starts / stops changing a little with every sample
   *   (rotating hyperplane); the end position is the first sample of the new stable rule.
   * - `covariate`: the feature distribution changes, the labelling rule does not.
   */
  kind: 'abrupt' | 'gradual-start' | 'gradual-end' | 'covariate';
  /** A human-readable account of what changes, e.g. `SEA concept 0 → 1 (θ 8 → 9)`. */
  description: string;
}

/** One labelled example. */
export interface StreamSample {
  features: number[];
  label: number;
  /** 0-based position in the stream. */
  index: number;
  /** Identifier of the labelling concept in force, for generators whose concept changes abruptly. */
  concept?: number;
}

/** A batch of consecutive samples, column-friendly for training. */
export interface SampleBatch {
  features: number[][];
  labels: number[];
}

export type StreamName = 'sea' | 'hyperplane' | 'covariate';

/**
 * A deterministic synthetic stream. Iterating it always starts again at index 0 and produces the
 * same samples (the state lives in the iterator, not in the stream), so a stream object can be
 * shared and re-read freely.
 */
export interface SyntheticStream extends Iterable<StreamSample> {
  readonly name: StreamName;
  readonly seed: number;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly featureNames: readonly string[];
  /** Number of samples, or `Infinity` for an unbounded stream. */
  readonly length: number;
  /** Every documented change of the data-generating process, in increasing position. */
  readonly driftPoints: readonly DriftPoint[];
  /**
   * The `n` samples at indices `[start, start + n)` as a batch. Fewer than `n` come back when a
   * bounded stream ends first. Costs O(start + n): the stream is regenerated from index 0.
   * @default start 0
   */
  take(n: number, start?: number): SampleBatch;
}

/** Thrown for option values no generator can honour; the message names the option and the fix. */
export class StreamOptionsError extends Error {
  override name = 'StreamOptionsError';
}

/** The part of a stream that differs between generators. */
export interface StreamDefinition {
  name: StreamName;
  seed: number;
  nFeatures: number;
  nClasses: number;
  featureNames: readonly string[];
  length: number;
  driftPoints: readonly DriftPoint[];
  /**
   * Creates fresh generator state and returns the function producing sample `index`; it is called
   * with 0, 1, 2, ... in order, exactly once each.
   */
  start(): (index: number) => StreamSample;
}

export function defineStream(definition: StreamDefinition): SyntheticStream {
  const { start, ...metadata } = definition;
  const featureNames = Object.freeze([...metadata.featureNames]);
  const driftPoints = Object.freeze(metadata.driftPoints.map((point) => Object.freeze({ ...point })));
  return {
    ...metadata,
    featureNames,
    driftPoints,
    *[Symbol.iterator](): Iterator<StreamSample> {
      const sampleAt = start();
      for (let index = 0; index < metadata.length; index++) yield sampleAt(index);
    },
    take(n: number, from = 0): SampleBatch {
      requireCount(`${metadata.name}.take`, 'n', n);
      requireCount(`${metadata.name}.take`, 'start', from);
      const end = Math.min(from + n, metadata.length);
      const features: number[][] = [];
      const labels: number[] = [];
      const sampleAt = start();
      for (let index = 0; index < end; index++) {
        const sample = sampleAt(index);
        if (index >= from) {
          features.push(sample.features);
          labels.push(sample.label);
        }
      }
      return { features, labels };
    },
  };
}

// ---- option validation -------------------------------------------------------------------------

/** Rejects option keys the generator does not know, which are almost always typos. */
export function rejectUnknownOptions(generator: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new StreamOptionsError(
        `${generator}: unknown option '${key}'. Valid options are: ${known.join(', ')}.`,
      );
    }
  }
}

function requireCount(where: string, option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StreamOptionsError(`${where}: ${option} must be a non-negative integer, got ${String(value)}.`);
  }
}

export function validateSeed(generator: string, seed: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new StreamOptionsError(`${generator}: seed must be a safe integer, got ${String(seed)}.`);
  }
  return seed;
}

/** `undefined` and `Infinity` mean unbounded; otherwise a non-negative integer. */
export function validateLength(generator: string, length: number | undefined): number {
  if (length === undefined || length === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new StreamOptionsError(
      `${generator}: length must be a non-negative integer (or omitted / Infinity for an unbounded stream), got ${String(length)}.`,
    );
  }
  return length;
}

export function validateProbability(generator: string, option: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new StreamOptionsError(
      `${generator}: ${option} must be a probability in [0, 1], got ${String(value)}.`,
    );
  }
  return value;
}

export function validateInteger(
  generator: string,
  option: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new StreamOptionsError(
      `${generator}: ${option} must be an integer ${range}, got ${String(value)}.`,
    );
  }
  return value;
}

export function validateFinite(generator: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StreamOptionsError(`${generator}: ${option} must be a finite number, got ${String(value)}.`);
  }
  return value;
}

/**
 * Drift positions must be integers in [1, length) (a change at 0 is no change; one at or past the
 * end never happens) and strictly increasing (two changes at one index are one change).
 *
 * @param option names the list in messages, e.g. `driftPositions`
 * @param element names one entry in messages, e.g. `(i) => \`shifts[${i}].position\``
 */
export function validatePositions(
  generator: string,
  option: string,
  positions: readonly number[],
  length: number,
  element: (i: number) => string = (i) => `${option}[${i}]`,
): void {
  let previous = 0;
  positions.forEach((position, i) => {
    if (!Number.isSafeInteger(position) || position < 1) {
      throw new StreamOptionsError(
        `${generator}: ${element(i)} must be a positive integer sample index, got ${String(position)}.`,
      );
    }
    if (i > 0 && position <= previous) {
      throw new StreamOptionsError(
        `${generator}: ${option} must be strictly increasing, but ${element(i)} = ${position} follows ${previous}. Sort them and remove duplicates.`,
      );
    }
    if (position >= length) {
      throw new StreamOptionsError(
        `${generator}: ${element(i)} = ${position} is not before the end of the stream (length ${length}); the drift would never happen. Raise length or move the drift earlier.`,
      );
    }
    previous = position;
  });
}

export function indexedNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}
