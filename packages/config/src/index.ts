export type { Config, Environment } from './environment.ts';
export { adminKeyProblem, ConfigError, loadConfig, readConfigOrExit } from './environment.ts';
