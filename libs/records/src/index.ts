export { GenerationStore, newEventId, refOf, type GenerationRef, type NewGeneration, type TransitionResult } from './generation-store.js';
export { BatchStore, batchFromFields, type BatchRecord } from './batch-store.js';
export { toGenerationView } from './generation-view.js';
export { toBatchView, type BatchView } from './batch-view.js';
export { TrainingStore, trainingFromFields } from './training-store.js';
export { toTrainingView, type TrainingView } from './training-view.js';
export { ImageTaskStore, imageTaskFromFields, type ImageTaskMove, type ImageTaskRef, type NewImageTask } from './image-task-store.js';
export { toImageTaskView, type ImageTaskView } from './image-task-view.js';
