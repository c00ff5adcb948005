export {
  COVARIATE_MIDDLE_BAND,
  type CovariateShiftOptions,
  covariateShift,
  covariateShiftLabel,
  type MeanShift,
} from './covariate.ts';
export {
  type DriftWindow,
  type HyperplaneOptions,
  type HyperplaneStream,
  hyperplaneLabel,
  rotatingHyperplane,
} from './hyperplane.ts';
export {
  createStream,
  isStreamName,
  type StreamEntry,
  type StreamOptionsByName,
  streamNames,
  streams,
} from './registry.ts';
export { createRng, type Rng } from './rng.ts';
export { SEA_THRESHOLDS, type SeaOptions, type SeaVariant, seaConcepts, seaLabel } from './sea.ts';
export {
  type DriftPoint,
  type SampleBatch,
  type StreamName,
  StreamOptionsError,
  type StreamSample,
  type SyntheticStream,
} from './stream.ts';
