/**
 * The operation names of the SDK's committed documents (packages/sdk/src/documents/*.graphql), in
 * order. A test fails when this list and the documents differ: copy the list it prints.
 *
 * Operation names are metric labels. A client chooses its operation names, and every distinct
 * label value is a time series held for the life of the process and written into every scrape,
 * so only these names are labels; any other name is counted as `other`.
 */
export const KNOWN_OPERATION_NAMES: readonly string[] = [
  'AccuracySeries',
  'ActiveModel',
  'ArchivePipeline',
  'CheckDrift',
  'Config',
  'ConfigurePipeline',
  'CreatePipeline',
  'DashboardDriftChecks',
  'DashboardDriftEvent',
  'DashboardDriftHistogram',
  'DashboardFleet',
  'DashboardFleetEvents',
  'DashboardLiveSeries',
  'DashboardModels',
  'DashboardOpenTraining',
  'DashboardOverview',
  'DashboardPipelineNames',
  'DashboardPlatformEvents',
  'DashboardPromoteModel',
  'DashboardRollbackModel',
  'DashboardStatsUpdated',
  'DashboardTrainingEvents',
  'DataSchema',
  'DefineSchema',
  'DriftChecked',
  'DriftDetected',
  'DriftEvent',
  'DriftEventHistogram',
  'DriftEvents',
  'Events',
  'FleetEvents',
  'Ingest',
  'LatestDriftCheck',
  'Model',
  'ModelHistory',
  'ModelPromoted',
  'Models',
  'Pipeline',
  'Pipelines',
  'PlatformEvents',
  'Predict',
  'PredictionDistribution',
  'PromoteModel',
  'Retrain',
  'RollbackModel',
  'Stats',
  'StatsUpdated',
  'SubmitFeedback',
  'TrainingEvents',
  'TrainingJob',
  'TrainingJobs',
];

const known = new Set(KNOWN_OPERATION_NAMES);

/** The metric label of an operation: its name when the SDK knows it, `anonymous` or `other` otherwise. */
export function operationLabel(name: string | undefined): string {
  if (!name) return 'anonymous';
  return known.has(name) ? name : 'other';
}
