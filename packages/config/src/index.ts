export type { Config, Environment } from './environment.ts';
export { ConfigError, loadConfig, readConfigOrExit } from './environment.ts';
