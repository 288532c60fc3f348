export { GenerationStore, refOf, type GenerationRef, type TransitionResult } from './generation-store.js';
export { BatchStore, type BatchRecord } from './batch-store.js';
export { toGenerationView } from './generation-view.js';
export { toBatchView, type BatchView } from './batch-view.js';
export { TrainingStore } from './training-store.js';
export { toTrainingView, type TrainingView } from './training-view.js';
