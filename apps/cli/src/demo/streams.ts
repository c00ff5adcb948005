import {
  covariateShift,
  isStreamName,
  rotatingHyperplane,
  type StreamName,
  type SyntheticStream,
  seaConcepts,
  streamNames,
} from '@automl-stream/streams';
import { UsageError } from '../errors.ts';

/**
 * The demo's streams: the same generators as the tests and benchmarks, tuned so that one drift
 * is plain to see in a few minutes. Each has a single change at `driftAt`.
 */
export const demoStreams: Record<
  StreamName,
  { description: string; create(seed: number, driftAt: number): SyntheticStream }
> = {
  sea: {
    description:
      'SEA concepts, abrupt concept drift: the labelling threshold on x0 + x1 jumps from 9.5 to 7 (a fifth of the labels change), and x2 shifts by +3 so the feature tests see it too',
    // Variant 3 → 2 (θ 9.5 → 7) changes the most labels of any pair; 5% label noise.
    create: (seed, driftAt) =>
      seaConcepts({ seed, concepts: [3, 2], driftPositions: [driftAt], noise: 0.05, covariateShift: 3 }),
  },
  hyperplane: {
    description:
      'rotating hyperplane, gradual concept drift: the class boundary turns for 2000 rows, features unchanged',
    create: (seed, driftAt) =>
      rotatingHyperplane({
        seed,
        nFeatures: 4,
        nDriftFeatures: 2,
        magChange: 0.01,
        sigma: 0.05,
        noise: 0.05,
        driftWindows: [{ start: driftAt, end: driftAt + 2000 }],
      }),
  },
  covariate: {
    description:
      'covariate shift: the means of x0 and x1 move by 3 standard deviations, the labelling rule stays',
    create: (seed, driftAt) =>
      covariateShift({ seed, shifts: [{ position: driftAt, features: [0, 1], magnitude: 3 }] }),
  },
};

export function demoStream(name: string, seed: number, driftAt: number): SyntheticStream {
  if (!isStreamName(name))
    throw new UsageError(`--stream must be one of ${streamNames.join(', ')} (got ${JSON.stringify(name)})`);
  return demoStreams[name].create(seed, driftAt);
}
