// Adapters for Stable Diffusion ONNX exports: LoRA merges, textual-inversion tokens and
// checkpoint refits, applied to diffusers / Optimum exports without touching the base files.
export { adaptComponent, adaptedComponentKey, type AdaptComponentRequest, type AdaptedComponent } from './adapt-component.js';
export { adapterSetKey, canonicalAdapters, fileIdentity, type AdapterRef } from './adapter-set-key.js';
export { argmaxGuard } from './argmax-guard.js';
export type { InitializerUpdate, InitializerUpdates } from './initializer-update.js';
export { COMPONENTS, type CheckpointTarget, type ComponentName, type LoraComponent } from './key-mapping/components.js';
export { mapCheckpointKey, type CheckpointKeyMapping, type CheckpointMappingOptions } from './key-mapping/ldm-checkpoint.js';
export { ldmUnetToDiffusers } from './key-mapping/ldm-unet.js';
export { ldmVaeToDiffusers } from './key-mapping/ldm-vae.js';
export { parseLoraKey, type LoraKey, type LoraPart } from './key-mapping/lora-keys.js';
export { LoraModuleResolver } from './key-mapping/module-resolver.js';
export { planLoraMerge, type LoraMergeOptions, type LoraMergePlan, type LoraReport, type LoraSource, type LoraTarget } from './lora.js';
export {
  createMergedModel,
  mergeSessionOptions,
  type GraphPatch,
  type InMemoryExternalFile,
  type MergedModel,
  type MergeLayout,
  type MergeOptions,
} from './merged-model.js';
export { materializeMergedModel, type CachedModel } from './model-cache.js';
export { ModelGraph, modulePathOf, type ParameterTarget, type WeightLayout, type WeightSlot } from './model-graph.js';
export { OnnxModel, type InitializerInfo, type InitializerStorage } from './onnx-model.js';
export { planRefit, type RefitAssignment, type RefitPlan } from './refit-plan.js';
export { refitModelFolder, RefitError, type ComponentRefit, type RefitOptions, type RefitReport } from './refit.js';
export { fileSessionSource, mergedSessionSource, type SessionSource } from './session-source.js';
export {
  embeddingVectors,
  planTextualInversion,
  type EmbeddingSource,
  type TextEncoderName,
  type TextualInversionOptions,
  type TextualInversionPlan,
  type TokenEmbedding,
} from './textual-inversion.js';
export { findTokenEmbedding, type TokenEmbeddingTable } from './token-embedding.js';
export { writeModel, type WriteModelOptions, type WrittenModel } from './write-model.js';
