// LoRA and textual-inversion training: the TrainerEngine contract, the built-in engine (trains the trainable demo model
// in TypeScript), the Kohya engine (sd-scripts' train_network.py on a GPU image), dataset
// validation and the kohya-format LoRA files both produce.
export {
  TrainingCanceledError,
  TrainingFailedError,
  type PreparedTraining,
  type RunOptions,
  type TrainerEngine,
  type TrainingCheckpoint,
  type TrainingEvent,
  type TrainingResult,
} from './engine/trainer-engine.js';
export {
  InvalidTrainingJobError,
  createTrainingJob,
  parseTrainingParams,
  trainingParamsSchema,
  type TrainingJob,
  type TrainingParams,
  type TrainingParamsInput,
} from './engine/training-job.js';
export { learningRateAt } from './engine/learning-rate.js';
export { BuiltInLoraEngine, type BuiltInLoraEngineOptions } from './builtin/builtin-lora-engine.js';
export { BuiltInDreamBoothEngine } from './builtin/builtin-dreambooth-engine.js';
export { UnetWeightDenoiser, type UnetWeightExample } from './builtin/unet-weight-denoiser.js';
export { DEMO_UNET_CHECKPOINT_KEY, parseUnetCheckpoint, serializeUnetCheckpoint, type UnetWeight } from './dreambooth/unet-checkpoint.js';
export { writeFineTunedExport } from './dreambooth/fine-tuned-export.js';
export { BuiltInTextualInversionEngine, type BuiltInTextualInversionEngineOptions } from './builtin/builtin-textual-inversion-engine.js';
export { EmbeddingDenoiser, type EmbeddingExample } from './builtin/embedding-denoiser.js';
export { openTextualInversionBase, type PromptTerms, type TextualInversionBase, type TextualInversionToken } from './builtin/textual-inversion-base.js';
export { A1111_EMBEDDING_TENSOR, EmbeddingFileError, parseEmbedding, serializeEmbedding, type EmbeddingRows } from './textual-inversion/embedding-file.js';
export { textualInversionMetadata } from './textual-inversion/embedding-metadata.js';
export { CheckpointMismatchError } from './builtin/optimizer-state.js';
export { LoraDenoiser, type DenoisingExample, type LoraGradients, type NoiseDraw } from './builtin/lora-denoiser.js';
export { encodeDemoLatent } from './builtin/latent-encoding.js';
export { decodeDemoLatent } from './builtin/sample-preview.js';
export { KohyaEngine } from './kohya/kohya-engine.js';
export { buildKohyaInvocation, kohyaConfig, kohyaSettingsFromEnv, samplePromptsFile, type KohyaInvocation, type KohyaLayout, type KohyaSettings } from './kohya/kohya-command.js';
export { parseKohyaLine, type KohyaLine } from './kohya/kohya-progress.js';
export { loadDataset, type LoadedDataset } from './dataset/load-dataset.js';
export { DatasetError, type DatasetProblem } from './dataset/dataset-error.js';
export { datasetOptionsSchema, type DatasetOptions, type DatasetOptionsInput } from './dataset/dataset-options.js';
export type { DatasetSource } from './dataset/dataset-entries.js';
export type { TrainingExample, TrainingImage } from './dataset/training-example.js';
export { LoraFileError, validateLoraFile, type LoraFileExpectations, type LoraModuleInfo, type ValidatedLoraFile } from './lora/validate-lora-file.js';
export { loraKeys, parseLora, serializeLora, type LoraWeights } from './lora/lora-weights.js';
export { trainingMetadata } from './lora/training-metadata.js';
