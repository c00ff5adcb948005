/**
 * The retraining policy as pure functions (see docs/policy.md): `decide` turns a check's evidence
 * into actions, `promotionGate` judges a challenger, the transitions update the state when a job
 * ends or a person acts. No database, no queue, no clock, no logging.
 */
export {
  DEFAULT_POLICY_CONFIG,
  type PolicyConfig,
  type PolicySettings,
  policyConfigFrom,
  type SettingProblem,
  validatePolicySettings,
} from './config.ts';
export { shouldGrowReference } from './data-drift.ts';
export { decide } from './decide.ts';
export {
  type ArchivedCheckInput,
  type GateDecision,
  type GateInput,
  promotionGate,
  repromoteWithoutTraining,
  type ScoredModel,
} from './gate.ts';
export { growthDue, growthFactorOf, servingBarelyErrs } from './jobs.ts';
export { levelTestsFor, promisedError } from './level.ts';
export { firstServedAtOrAfter, labelledSince, lineageErrorBefore, locateRise } from './lineage.ts';
export {
  applyManualPromotion,
  applyRepromotion,
  applyTrainingFailure,
  applyTrainingResult,
  backoffKind,
  initialPolicyState,
  requestRetrain,
  startServing,
} from './transitions.ts';
export type * from './types.ts';
