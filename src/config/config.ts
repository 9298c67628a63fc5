/** The configuration module's public surface: the only place that reads config files or the environment. */
export { ConfigError, type ConfigIssue } from './config-error.js';
export { parseDuration, formatDuration } from './duration.js';
export { loadConfigFile, parseYamlDocument } from './load-config-file.js';
export { parseConfig, type Config, type Endpoint, type IdentityMode, type LogLevel, type UpstreamConfig } from './parse-config.js';
export { readTlsFiles, type TlsFiles } from './read-tls-files.js';
