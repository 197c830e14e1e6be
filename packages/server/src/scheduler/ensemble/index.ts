export { EnsembleScheduler } from './ensemble-scheduler.js';
export { buildPlan, type EnsemblePlan, type PlanStep, type TensorLink } from './plan.js';
