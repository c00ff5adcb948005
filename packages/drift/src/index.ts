/**
 * @automl-stream/drift — drift statistics that match scipy and streaming detectors that match River.
 * Pure functions and small classes: no I/O, no clock, no logging.
 */

export { balancedAccuracy, classCounts, minorityShare, perClassRecall } from './balanced-accuracy.ts';
export {
  type CalibratedThresholds,
  type CalibrationOptions,
  calibrateThresholds,
  type FeatureThresholds,
  type MetricThreshold,
} from './calibration.ts';
export {
  alignCategoryCounts,
  type CategoryCounts,
  type ChiSquareOptions,
  type ChiSquareResult,
  chiSquareTest,
  countCategories,
} from './categorical.ts';
export { type ConceptDriftResult, detectConceptDrift, errorRise, strongestRise } from './change-point.ts';
export {
  type ChunkReference,
  type ChunkTest,
  chunkIsDue,
  countOnce,
  type DriftSource,
  type FeatureChunkTest,
  type FeatureKind,
  MAX_CATEGORIES,
  minLookRows,
  prepareChunkReference,
  resolveDriftSource,
  simesPValue,
  testChunk,
  trailingRunBelow,
  votingFeatures,
} from './chunk.ts';
export {
  type Clumping,
  type ClumpingState,
  clumpingOf,
  DEFAULT_CLUMP_BLOCK,
  initialClumping,
  type LabelRuns,
  labelRuns,
  labelShares,
  MIN_BURST_FACTOR,
  updateClumping,
} from './clumping.ts';
export {
  type BernoulliCusumState,
  type CusumThreshold,
  cusumThreshold,
  initialCusumState,
  updateBernoulliCusum,
} from './cusum.ts';
export {
  type BernoulliCusumDesign,
  bernoulliCusumArl,
  bernoulliCusumDesign,
  bernoulliCusumThreshold,
  levelShiftTarget,
} from './cusum-arl.ts';
export { Adwin, type AdwinOptions } from './detectors/adwin.ts';
export { Ddm, type DdmOptions } from './detectors/ddm.ts';
export { PageHinkley, type PageHinkleyMode, type PageHinkleyOptions } from './detectors/page-hinkley.ts';
export type { DetectorUpdate, StreamingDriftDetector } from './detectors/types.ts';
export { type JensenShannonOptions, jensenShannon } from './divergence.ts';
export { DriftInputError } from './errors.ts';
export { type FeatureType, MIN_EXPECTED_COUNT } from './feature-types.ts';
export { type FeatureHistogram, type HistogramOptions, histogram, histogramSorted } from './histogram.ts';
export {
  KS_EXACT_AUTO_MAX_N,
  type KsMethod,
  type KsStatistic,
  type KsTestOptions,
  type KsTestResult,
  ksStatisticSorted,
  ksTest,
  ksTestSorted,
} from './ks.ts';
export { benjaminiHochberg, bonferroni } from './multiple-testing.ts';
export {
  mcnemarFromCounts,
  mcnemarTest,
  type PairedComparison,
  pairedBalancedDifference,
} from './paired.ts';
export {
  type Alternative,
  betaQuantile,
  binomialAtLeast,
  binomialCdf,
  clopperPearsonInterval,
  fisherExactTest,
  normalQuantile,
  type ProportionInterval,
  wilsonInterval,
} from './proportions.ts';
export {
  type BinClosedSide,
  PSI_EPSILON,
  type PsiBins,
  type PsiOptions,
  populationStabilityIndex,
  psiBins,
  psiFromCounts,
  quantileBinEdges,
} from './psi.ts';
export { mulberry32 } from './random.ts';
export {
  type FeatureRows,
  type PreparedReference,
  type PrepareOptions,
  prepareReference,
} from './reference.ts';
export {
  type CompareOptions,
  compareDistributions,
  type DriftReport,
  type DriftVerdict,
  type FeatureDrift,
  type PValueCorrection,
} from './report.ts';
export type { Sample } from './sample.ts';
export {
  chiSquareCdf,
  chiSquareSf,
  erf,
  erfc,
  gammaP,
  gammaQ,
  kolmogorovCdf,
  kolmogorovSf,
  kstwoCdf,
  kstwoSf,
  logGamma,
  normalCdf,
  normalSf,
  regularizedBeta,
  smirnovSf,
  studentTCdf,
  studentTSf,
} from './special.ts';
export { wasserstein } from './wasserstein.ts';
