/**
 * @automl-stream/ml — a random forest classifier as fast as scikit-learn's, in TypeScript:
 * parallel histogram-based training with native missing values (NaN) and categorical features,
 * compiled flat-array inference, a versioned binary
 * artifact, impurity feature importances and the classification metrics the platform reports.
 * Pure: no I/O, no clock, no logging; worker threads are used only to train in parallel and for
 * predictProbaParallel.
 */
export {
  ARTIFACT_FORMAT_VERSION,
  ARTIFACT_MAGIC,
  type ArtifactShape,
  readArtifactShape,
} from './artifact.ts';
export {
  type CandidateParams,
  DEFAULT_SEARCH_SPACE,
  IMBALANCE_RATIO,
  type ResolvedWindow,
  type SearchSpace,
  type SkippedWindow,
  type TrainingWindow,
} from './automl/candidates.ts';
export type { HalvingSchedule, Rung } from './automl/halving.ts';
export {
  AUTOML_BUDGET_SECONDS,
  type LeaderboardEntry,
  type SearchForestData,
  type SearchForestOptions,
  type SearchMetric,
  type SearchProgress,
  type SearchResult,
  searchForest,
} from './automl/search.ts';
export { ForestArtifactError, ForestInputError } from './errors.ts';
export { type DecisionTreeNode, Forest, walkTree } from './forest.ts';
export { loadForest } from './load.ts';
export type { FeatureRows } from './matrix.ts';
export { forestMemoryBytes } from './memory.ts';
export { accuracy, balancedAccuracy, confusionMatrix, f1, f1Macro, logLoss } from './metrics.ts';
export type { ForestModel } from './model.ts';
export type { FeatureType, ForestParams, MaxFeatures, TrainForestOptions } from './options.ts';
export { trainForest } from './train.ts';
