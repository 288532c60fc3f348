export { createFarmMetrics, type FarmMetrics } from './farm-metrics.js';
export const FARM_METRICS = Symbol('FARM_METRICS');
