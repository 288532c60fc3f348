export { GenerationLifecycle } from './generation-lifecycle.js';
export { TrainingLifecycle } from './training-lifecycle.js';
export { faultPoint } from './fault-point.js';
