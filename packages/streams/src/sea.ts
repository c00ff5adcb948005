/**
 * SEA concepts (Street & Kim, "A streaming ensemble algorithm (SEA) for large-scale
 * classification", KDD 2001), the standard abrupt-concept-drift benchmark also found in MOA
 * (`SEAGenerator`) and River (`river.datasets.synth.SEA`).
 *
 * Three features uniform on [0, 10]; only x0 and x1 matter. Label 1 when x0 + x1 <= θ, else 0,
 * with θ = 8, 9, 7, 9.5 for variants 0..3. Concept drift = switching variant at known positions.
 *
 * Label polarity: River and MOA label the complement (positive when x0 + x1 > θ). The drift
 * positions, difficulty and class balance are the same; only 0 and 1 are swapped.
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
const SEQUENCE = { features: 10, noise: 11 } as const;

/** θ of SEA variants 0, 1, 2, 3, in Street & Kim's order. */
export const SEA_THRESHOLDS: readonly number[] = Object.freeze([8, 9, 7, 9.5]);

export type SeaVariant = 0 | 1 | 2 | 3;

/** The SEA labelling rule: 1 when x0 + x1 <= θ(variant), else 0. */
export function seaLabel(features: readonly number[], variant: SeaVariant): number {
  return features[0]! + features[1]! <= SEA_THRESHOLDS[variant]! ? 1 : 0;
}

export interface SeaOptions {
  /** @default 42 */
  seed?: number;
  /**
   * Variants in order of activation: `concepts[k]` is in force between the k-th and (k+1)-th
   * drift. Repeats are allowed (recurring concepts, e.g. `[0, 2, 0]`); the last one stays in force
   * for the rest of the stream.
   * @default [0, 1, 2, 3] (θ = 8 → 9 → 7 → 9.5, Street & Kim's sequence)
   */
  concepts?: readonly number[];
  /**
   * Samples per concept: drift k (1-based) happens at index k × driftEvery. In a bounded stream,
   * drifts at or past `length` are left out (they would never happen). Not allowed together with
   * `driftPositions`.
   * @default 5000
   */
  driftEvery?: number;
  /**
   * Explicit drift positions, strictly increasing, exactly `concepts.length - 1` of them, each
   * in [1, length); position p is the index of the first sample labelled by the next concept.
   */
  driftPositions?: readonly number[];
  /**
   * Probability that a label is flipped. Street & Kim used 10% class noise; River's default is 0.
   * Noise is drawn from its own random sequence, so the features do not depend on it.
   * @default 0.1
   */
  noise?: number;
  /**
   * Makes each concept change ALSO a feature-distribution change, for detectors that look only at
   * features: after the k-th drift, the irrelevant feature x2 is uniform on [k·c, 10 + k·c] instead
   * of [0, 10] (its mean moves by +c at every drift). x0 and x1 are untouched, so the labelling
   * rule and the class balance stay exactly those of SEA. 0 keeps pure concept drift, as in SEA.
   * @default 0
   */
  covariateShift?: number;
  /** Number of samples; omit (or `Infinity`) for an unbounded stream. */
  length?: number;
}

const SEA_OPTION_NAMES = [
  'seed',
  'concepts',
  'driftEvery',
  'driftPositions',
  'noise',
  'covariateShift',
  'length',
] as const;

const FEATURE_RANGE = 10;

export function seaConcepts(options: SeaOptions = {}): SyntheticStream {
  const generator = 'seaConcepts';
  rejectUnknownOptions(generator, options, SEA_OPTION_NAMES);
  const seed = validateSeed(generator, options.seed ?? 42);
  const length = validateLength(generator, options.length);
  const noise = validateProbability(generator, 'noise', options.noise ?? 0.1);
  const shift = validateFinite(generator, 'covariateShift', options.covariateShift ?? 0);

  const conceptList = options.concepts ?? [0, 1, 2, 3];
  if (!Array.isArray(conceptList) || conceptList.length === 0) {
    throw new StreamOptionsError(
      `${generator}: concepts must be a non-empty array of SEA variants (0, 1, 2, 3).`,
    );
  }
  const concepts = conceptList.map((variant, i): SeaVariant => {
    if (variant !== 0 && variant !== 1 && variant !== 2 && variant !== 3) {
      throw new StreamOptionsError(
        `${generator}: unknown SEA variant ${String(variant)} at concepts[${i}]; valid variants are 0, 1, 2, 3 (θ = 8, 9, 7, 9.5).`,
      );
    }
    return variant;
  });

  let positions: number[];
  if (options.driftPositions !== undefined) {
    if (options.driftEvery !== undefined) {
      throw new StreamOptionsError(`${generator}: give either driftEvery or driftPositions, not both.`);
    }
    positions = [...options.driftPositions];
    if (positions.length !== concepts.length - 1) {
      throw new StreamOptionsError(
        `${generator}: ${concepts.length} concepts need exactly ${concepts.length - 1} driftPositions, got ${positions.length}.`,
      );
    }
  } else {
    const every = validateInteger(generator, 'driftEvery', options.driftEvery ?? 5000, 1);
    // A bounded stream simply ends before the drifts it has no room for.
    positions = concepts
      .slice(1)
      .map((_, k) => (k + 1) * every)
      .filter((position) => position < length);
  }
  validatePositions(generator, 'driftPositions', positions, length);

  const driftPoints: DriftPoint[] = positions.map((position, k) => {
    const from = concepts[k]!;
    const to = concepts[k + 1]!;
    const featureChange =
      shift === 0
        ? ''
        : `; x2 range shifts by ${shift} to [${(k + 1) * shift}, ${FEATURE_RANGE + (k + 1) * shift}]`;
    return {
      position,
      kind: 'abrupt',
      description: `SEA concept ${from} → ${to} (θ ${SEA_THRESHOLDS[from]} → ${SEA_THRESHOLDS[to]})${featureChange}`,
    };
  });

  return defineStream({
    name: 'sea',
    seed,
    nFeatures: 3,
    nClasses: 2,
    featureNames: indexedNames('x', 3),
    length,
    driftPoints,
    start() {
      const featureRng = createRng(seed, SEQUENCE.features);
      const noiseRng = createRng(seed, SEQUENCE.noise);
      let segment = 0;
      return (index) => {
        while (segment < positions.length && index >= positions[segment]!) segment++;
        const variant = concepts[segment]!;
        const features = [
          featureRng.next() * FEATURE_RANGE,
          featureRng.next() * FEATURE_RANGE,
          featureRng.next() * FEATURE_RANGE + segment * shift,
        ];
        let label = seaLabel(features, variant);
        // One draw per sample, whatever the noise level: sample i is flipped iff its draw is below
        // `noise`, so raising the noise only adds flips and the noise-free labels stay recoverable.
        if (noiseRng.next() < noise) label = 1 - label;
        return { features, label, index, concept: variant };
      };
    },
  });
}
