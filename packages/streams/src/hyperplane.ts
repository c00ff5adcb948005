/**
 * Rotating hyperplane (Hulten, Spencer & Domingos, "Mining time-changing data streams", KDD 2001),
 * the standard gradual-drift benchmark, following River's `river.datasets.synth.Hyperplane` /
 * MOA's `HyperplaneGenerator`.
 *
 * d features uniform on [0, 1], weights w drawn uniform on [0, 1] at the start. Label 1 when
 * Σ wᵢxᵢ >= ½ Σ wᵢ, else 0. Because every xᵢ is symmetric about ½, the classes stay balanced
 * (50/50 up to sampling noise) whatever the weights, so drift changes the boundary, not the prior.
 *
 * Drift: after each sample, each of the first `nDriftFeatures` weights moves by ±`magChange` in
 * its current direction, and that direction reverses with probability `sigma`. The features'
 * distribution never changes: this is pure (real) concept drift, visible only in the error stream.
 */
import { createRng } from './rng.ts';
import {
  type DriftPoint,
  defineStream,
  indexedNames,
  rejectUnknownOptions,
  StreamOptionsError,
  type SyntheticStream,
  validateFinite,
  validateInteger,
  validateLength,
  validateProbability,
  validateSeed,
} from './stream.ts';

/** Random sub-sequences (see createRng's `stream`); distinct per generator, so equal seeds do not
 * give different generators correlated features. */
const SEQUENCE = { features: 20, noise: 21, weights: 22 } as const;

/** A half-open interval of sample indices [start, end) during which the weights move. */
export interface DriftWindow {
  start: number;
  end: number;
}

export interface HyperplaneOptions {
  /** @default 42 */
  seed?: number;
  /** Number of features d (>= 2). @default 10 (River's default) */
  nFeatures?: number;
  /** How many weights drift (the first ones), 0..nFeatures. @default 2 (River's default) */
  nDriftFeatures?: number;
  /**
   * Change of each drifting weight per sample (River's `mag_change`). River defaults to 0 (no
   * drift); this package exists for drift, so it defaults to the value common in the literature.
   * @default 0.001
   */
  magChange?: number;
  /** Probability per sample and drifting weight that its direction reverses. @default 0.1 */
  sigma?: number;
  /** Probability that a label is flipped (River's `noise_percentage`). @default 0.05 */
  noise?: number;
  /**
   * Where the weights move. Every sample whose index lies in some window [start, end) is labelled
   * by weights one step away from the previous sample's; elsewhere the weights stay frozen, so
   * sample `end` is the first of the new stable rule. Windows must be in increasing order with a
   * gap between them, and within the stream (`end: Infinity` drifts until the end).
   * Omitted: one window [0, Infinity), i.e. drift from the first sample on, forever (River's
   * behaviour), reported as a single `gradual-start` drift point at 0.
   */
  driftWindows?: readonly DriftWindow[];
  /** Number of samples; omit (or `Infinity`) for an unbounded stream. */
  length?: number;
}

/** A hyperplane stream can also tell which weights labelled a given sample. */
export interface HyperplaneStream extends SyntheticStream {
  /** The weights that labelled sample `index` (replays the drift from 0: O(index · nDriftFeatures)). */
  weightsAt(index: number): number[];
}

/** The hyperplane labelling rule: 1 when Σ wᵢxᵢ >= ½ Σ wᵢ, else 0. */
export function hyperplaneLabel(features: readonly number[], weights: readonly number[]): number {
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    weighted += weights[i]! * features[i]!;
    total += weights[i]!;
  }
  return weighted >= 0.5 * total ? 1 : 0;
}

const HYPERPLANE_OPTION_NAMES = [
  'seed',
  'nFeatures',
  'nDriftFeatures',
  'magChange',
  'sigma',
  'noise',
  'driftWindows',
  'length',
] as const;

/**
 * The weight trajectory: initial weights, then one `advance()` per sample. Drawn from its own
 * random sequence so `weightsAt` can replay it without regenerating features.
 */
function createWeightProcess(
  seed: number,
  nFeatures: number,
  nDriftFeatures: number,
  magChange: number,
  sigma: number,
  isDrifting: (index: number) => boolean,
) {
  const rng = createRng(seed, SEQUENCE.weights);
  const weights = Array.from({ length: nFeatures }, () => rng.next());
  const directions = new Array<number>(nDriftFeatures).fill(1);
  return {
    weights,
    /** Moves the weights that will label sample `index`, if that sample lies in a drift window. */
    advance(index: number): void {
      if (!isDrifting(index)) return;
      for (let i = 0; i < nDriftFeatures; i++) {
        weights[i] = weights[i]! + directions[i]! * magChange;
        if (rng.next() < sigma) directions[i] = -directions[i]!;
      }
    },
  };
}

export function rotatingHyperplane(options: HyperplaneOptions = {}): HyperplaneStream {
  const generator = 'rotatingHyperplane';
  rejectUnknownOptions(generator, options, HYPERPLANE_OPTION_NAMES);
  const seed = validateSeed(generator, options.seed ?? 42);
  const length = validateLength(generator, options.length);
  const nFeatures = validateInteger(generator, 'nFeatures', options.nFeatures ?? 10, 2);
  const nDriftFeatures = validateInteger(
    generator,
    'nDriftFeatures',
    options.nDriftFeatures ?? 2,
    0,
    nFeatures,
  );
  const magChange = validateFinite(generator, 'magChange', options.magChange ?? 0.001);
  if (magChange < 0) {
    throw new StreamOptionsError(
      `${generator}: magChange must be >= 0 (the direction of change is random already), got ${magChange}.`,
    );
  }
  const sigma = validateProbability(generator, 'sigma', options.sigma ?? 0.1);
  const noise = validateProbability(generator, 'noise', options.noise ?? 0.05);

  const windows: DriftWindow[] = options.driftWindows
    ? options.driftWindows.map((window) => ({ ...window }))
    : [{ start: 0, end: Number.POSITIVE_INFINITY }];
  if (options.driftWindows) {
    windows.forEach((window, i) => {
      if (!Number.isSafeInteger(window.start) || window.start < 0) {
        throw new StreamOptionsError(
          `${generator}: driftWindows[${i}].start must be a non-negative integer, got ${String(window.start)}.`,
        );
      }
      const endIsValid = Number.isSafeInteger(window.end) || window.end === Number.POSITIVE_INFINITY;
      if (!endIsValid || window.end <= window.start) {
        throw new StreamOptionsError(
          `${generator}: driftWindows[${i}].end must be an integer greater than start (${window.start}), or Infinity, got ${String(window.end)}.`,
        );
      }
      const previous = windows[i - 1];
      if (previous && window.start <= previous.end) {
        throw new StreamOptionsError(
          `${generator}: driftWindows must be in order with a gap between them, but driftWindows[${i}] starts at ${window.start}, not after driftWindows[${i - 1}] ends at ${previous.end}. Merge touching windows into one.`,
        );
      }
      if (window.start >= length || (window.end !== Number.POSITIVE_INFINITY && window.end >= length)) {
        throw new StreamOptionsError(
          `${generator}: driftWindows[${i}] = [${window.start}, ${window.end}) does not fit the stream (length ${length}): start and end must be < length. Use end: Infinity to drift until the end.`,
        );
      }
    });
  }

  const moves = magChange > 0 && nDriftFeatures > 0;
  const driftingNames = nDriftFeatures === 1 ? 'x0' : `x0..x${nDriftFeatures - 1}`;
  const driftPoints: DriftPoint[] = [];
  if (moves) {
    for (const window of windows) {
      driftPoints.push({
        position: window.start,
        kind: 'gradual-start',
        description: `hyperplane weights of ${driftingNames} start rotating (±${magChange} per sample; each direction reverses with probability ${sigma} per sample)`,
      });
      if (window.end !== Number.POSITIVE_INFINITY) {
        driftPoints.push({
          position: window.end,
          kind: 'gradual-end',
          description: `hyperplane weights stop rotating after ${window.end - window.start} samples of drift; the rule is stable from here on`,
        });
      }
    }
  }

  const isDrifting = (index: number): boolean => {
    for (const window of windows) {
      if (index < window.start) return false;
      if (index < window.end) return true;
    }
    return false;
  };

  const stream = defineStream({
    name: 'hyperplane',
    seed,
    nFeatures,
    nClasses: 2,
    featureNames: indexedNames('x', nFeatures),
    length,
    driftPoints,
    start() {
      const featureRng = createRng(seed, SEQUENCE.features);
      const noiseRng = createRng(seed, SEQUENCE.noise);
      const process = createWeightProcess(seed, nFeatures, nDriftFeatures, magChange, sigma, isDrifting);
      return (index) => {
        process.advance(index);
        const features = Array.from({ length: nFeatures }, () => featureRng.next());
        let label = hyperplaneLabel(features, process.weights);
        if (noiseRng.next() < noise) label = 1 - label;
        return { features, label, index };
      };
    },
  });

  return {
    ...stream,
    [Symbol.iterator]: stream[Symbol.iterator],
    weightsAt(index: number): number[] {
      if (!Number.isSafeInteger(index) || index < 0 || index >= length) {
        throw new StreamOptionsError(
          `${generator}.weightsAt: index must be an integer in [0, ${length}), got ${String(index)}.`,
        );
      }
      const process = createWeightProcess(seed, nFeatures, nDriftFeatures, magChange, sigma, isDrifting);
      for (let i = 0; i <= index; i++) process.advance(i);
      return [...process.weights];
    },
  };
}
