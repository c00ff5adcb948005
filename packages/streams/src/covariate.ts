/**
 * Covariate shift: the feature distribution moves, the labelling rule does not.
 *
 * d Gaussian features xⱼ ~ N(μⱼ, 1), all μⱼ = 0 at the start. At each configured shift, the means
 * of the listed features jump by `magnitude` (cumulatively, in units of the features' standard
 * deviation, which is 1). The label depends on x0 and x1 only, through
 *
 *     s = sin(x0) + sin(x1)
 *
 * - 2 classes: label 1 when s > 0, else 0 (balanced at the start);
 * - 3 classes: 0 when s < -0.4, 2 when s > 0.4, else 1 (each about 1/3 at the start).
 *
 * Why a periodic rule: a model trained before the shift has only seen x0 and x1 near 0, where
 * sin is increasing; around 3 (≈ π) it decreases, so the boundary bends the other way. A random
 * forest, which extrapolates flat beyond its training range, really does lose accuracy after the
 * default shift and recovers only by retraining on post-shift data: the loop this stream exists
 * to exercise. (Measured with scikit-learn's RandomForestClassifier, 100 trees, trained on 4000
 * samples, seed 1: 0.98 accuracy before the default shift, 0.63 after it, 0.98 once retrained.)
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
  validatePositions,
  validateProbability,
  validateSeed,
} from './stream.ts';

/** Random sub-sequences (see createRng's `stream`); distinct per generator, so equal seeds do not
 * give different generators correlated features. */
const SEQUENCE = { features: 30, noise: 31 } as const;

/** One abrupt move of feature means. */
export interface MeanShift {
  /** Index of the first sample drawn with the new means. */
  position: number;
  /** Indices of the features whose mean moves. */
  features: readonly number[];
  /** Added to each listed feature's mean, in standard deviations (the features have sd 1). */
  magnitude: number;
}

export interface CovariateShiftOptions {
  /** @default 42 */
  seed?: number;
  /** Number of Gaussian features (>= 2; only x0 and x1 carry the label). @default 4 */
  nFeatures?: number;
  /** 2 or 3. @default 2 */
  nClasses?: number;
  /**
   * Probability that a label is replaced by a different class chosen uniformly at random.
   * @default 0
   */
  noise?: number;
  /**
   * The shifts, in strictly increasing position. Each adds to the means in force, so two shifts
   * of +2 on x0 leave its mean at 4.
   * @default [{ position: 5000, features: [0, 1], magnitude: 3 }] (left out when `length` <= 5000)
   */
  shifts?: readonly MeanShift[];
  /** Number of samples; omit (or `Infinity`) for an unbounded stream. */
  length?: number;
}

/** Half-width of the middle class's band for 3 classes: balances the classes when x ~ N(0, I). */
export const COVARIATE_MIDDLE_BAND = 0.4;

/** The fixed labelling rule (see the module comment). */
export function covariateShiftLabel(features: readonly number[], nClasses: 2 | 3): number {
  const score = Math.sin(features[0]!) + Math.sin(features[1]!);
  if (nClasses === 2) return score > 0 ? 1 : 0;
  if (score < -COVARIATE_MIDDLE_BAND) return 0;
  return score > COVARIATE_MIDDLE_BAND ? 2 : 1;
}

const DEFAULT_SHIFTS: readonly MeanShift[] = [{ position: 5000, features: [0, 1], magnitude: 3 }];

const COVARIATE_OPTION_NAMES = ['seed', 'nFeatures', 'nClasses', 'noise', 'shifts', 'length'] as const;

export function covariateShift(options: CovariateShiftOptions = {}): SyntheticStream {
  const generator = 'covariateShift';
  rejectUnknownOptions(generator, options, COVARIATE_OPTION_NAMES);
  const seed = validateSeed(generator, options.seed ?? 42);
  const length = validateLength(generator, options.length);
  const nFeatures = validateInteger(generator, 'nFeatures', options.nFeatures ?? 4, 2);
  const nClassesOption = options.nClasses ?? 2;
  if (nClassesOption !== 2 && nClassesOption !== 3) {
    throw new StreamOptionsError(`${generator}: nClasses must be 2 or 3, got ${String(nClassesOption)}.`);
  }
  const nClasses: 2 | 3 = nClassesOption;
  const noise = validateProbability(generator, 'noise', options.noise ?? 0);

  // The default shift is left out of bounded streams too short to reach it; explicit shifts that
  // cannot happen are an error (see validatePositions below).
  const requestedShifts = options.shifts ?? DEFAULT_SHIFTS.filter((shift) => shift.position < length);
  const shifts = requestedShifts.map((shift, i) => {
    if (!Array.isArray(shift.features) || shift.features.length === 0) {
      throw new StreamOptionsError(
        `${generator}: shifts[${i}].features must be a non-empty array of feature indices.`,
      );
    }
    shift.features.forEach((feature, j) => {
      if (!Number.isSafeInteger(feature) || feature < 0 || feature >= nFeatures) {
        throw new StreamOptionsError(
          `${generator}: shifts[${i}].features[${j}] = ${String(feature)} is not a feature index; use 0..${nFeatures - 1} (nFeatures is ${nFeatures}).`,
        );
      }
    });
    if (new Set(shift.features).size !== shift.features.length) {
      throw new StreamOptionsError(`${generator}: shifts[${i}].features lists a feature twice.`);
    }
    validateFinite(generator, `shifts[${i}].magnitude`, shift.magnitude);
    return { position: shift.position, features: [...shift.features], magnitude: shift.magnitude };
  });
  validatePositions(
    generator,
    'shift positions',
    shifts.map((shift) => shift.position),
    length,
    (i) => `shifts[${i}].position`,
  );

  // meansBySegment[k] = the means in force after the k-th shift (segment 0 = before any shift).
  const meansBySegment: number[][] = [new Array<number>(nFeatures).fill(0)];
  const driftPoints: DriftPoint[] = shifts.map((shift) => {
    const before = meansBySegment[meansBySegment.length - 1]!;
    const after = [...before];
    for (const feature of shift.features) after[feature] = after[feature]! + shift.magnitude;
    meansBySegment.push(after);
    const moved = shift.features
      .map((feature) => `x${feature} ${before[feature]} → ${after[feature]}`)
      .join(', ');
    return {
      position: shift.position,
      kind: 'covariate',
      description: `feature means shift by ${shift.magnitude} sd (${moved}); labelling rule unchanged`,
    };
  });

  return defineStream({
    name: 'covariate',
    seed,
    nFeatures,
    nClasses,
    featureNames: indexedNames('x', nFeatures),
    length,
    driftPoints,
    start() {
      const featureRng = createRng(seed, SEQUENCE.features);
      const noiseRng = createRng(seed, SEQUENCE.noise);
      let segment = 0;
      return (index) => {
        while (segment < shifts.length && index >= shifts[segment]!.position) segment++;
        const means = meansBySegment[segment]!;
        const features = means.map((mean) => mean + featureRng.normal());
        let label = covariateShiftLabel(features, nClasses);
        // Two draws per sample whatever the noise level, so the sequences stay aligned by index.
        const flip = noiseRng.next() < noise;
        const offset = 1 + noiseRng.int(nClasses - 1);
        if (flip) label = (label + offset) % nClasses;
        return { features, label, index };
      };
    },
  });
}
