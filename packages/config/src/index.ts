export type { Config, Environment } from './environment.ts';
export { adminKeyProblem, ConfigError, loadConfig, readConfigOrExit } from './environment.ts';
export {
  applyPipelineSettings,
  PIPELINE_SETTINGS,
  type PipelineSettingName,
  type PipelineSettings,
  parsePipelineSettings,
} from './pipeline-settings.ts';
export {
  type PolicySettings,
  policySettingProblems,
  type SettingProblem,
  validatePolicySettings,
} from './policy-settings.ts';
