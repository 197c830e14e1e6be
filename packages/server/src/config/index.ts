/**
 * Model configuration (config.pbtxt / ModelConfig): types, pbtxt parse and print, JSON parse and
 * Triton's /config rendering, core auto-complete, normalization, validation, version selection and the
 * ModelSpec core validates against. Pure functions: no file system access.
 */
export * from './types.js';
export { ConfigError } from './errors.js';
export { parseModelConfigText } from './text-parse.js';
export { printModelConfigText } from './text-print.js';
export { parseModelConfigJson } from './json-parse.js';
export { renderConfigJson } from './json-render.js';
export { completePlatform, platformForBackend, platformInfo, type PlatformInfo } from './platform.js';
export { normalizeConfig, type NormalizeOptions } from './normalize.js';
export { validateConfig } from './validate.js';
export { selectVersions } from './versions.js';
export { toModelSpec } from './model-spec.js';
export { parseBackendConfig, type BackendConfigLookup } from './backend-config.js';
