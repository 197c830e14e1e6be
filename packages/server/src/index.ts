export * from './core/index.js';
export type * from './backends/contract.js';
export type { ModelConfig } from './config/types.js';
