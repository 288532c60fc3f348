export { GenerationLifecycle, type GenerationTransitions } from './generation-lifecycle.js';
export { TrainingLifecycle, type TrainingTransitions } from './training-lifecycle.js';
export { faultPoint } from './fault-point.js';
export { ImageTaskLifecycle, type ImageTaskOutcome, type ImageTaskRef, type ImageTaskTransitions } from './image-task-lifecycle.js';
