export type { Config } from './config.js';
export { loadConfig, ConfigError } from './load-config.js';
