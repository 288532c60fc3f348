export { ModelCatalog, type CatalogProblem } from './models/model-catalog.js';
export { LoadedModel, type ModelSummaryData } from './models/loaded-model.js';
export { detectVariant, transformerLayout, KNOWN_LAYOUTS, type ModelVariant, type RecommendedSettings, type VariantDetection } from './models/model-variant.js';
export { readModelFolder, detectFamily, InvalidModelError, type ModelFolder, type ModelFamily } from './models/model-folder.js';
export { SessionPool, type SessionPoolObserver, type SessionLease, type LoadedBytes } from './runtime/session-pool.js';
export { preloadModel, type PreloadReport } from './runtime/preload-model.js';
export { sessionOptionsFor, ExecutionProviderUnavailableError, type ExecutionProviderName } from './runtime/execution-providers.js';
export {
  StableDiffusionPipeline,
  type GenerationParams,
  type GenerationHooks,
  type GeneratedImage,
  type GenerationResult,
  type GenerationStats,
} from './pipeline/stable-diffusion.js';
export type { BatchRequest } from './pipeline/batch-members.js';
export { GenerationCanceledError, UnsupportedRequestError } from './pipeline/errors.js';
export type { RgbImage, MaskImage } from './pipeline/images.js';
export { encodePng, toRgb8 } from './image/png-encoder.js';
export { formatInfotext, parseInfotextSettings, type InfotextFields } from './image/a1111-parameters.js';
export { decodeRgb, decodeMask, InvalidImageError } from './image/decode-image.js';
export { encodeOutput, type EncodedImage, type OutputFormat } from './image/encode-output.js';
export { extendCanvas, type CanvasExtension } from './image/outpaint.js';
export { blurMask } from './image/mask-blur.js';
export { syncRemoteModels, parseChecksums, type RemoteModelLog } from './models/remote-models.js';
export { DirectoryAdapterLibrary, type AdapterLibrary, type AdapterFile } from './adapters/adapter-library.js';
export { TokenInjectingTokenizer } from './adapters/token-injecting-tokenizer.js';
export type { AppliedAdapters } from './pipeline/stable-diffusion.js';
export { generateWithHiresFix, resizeLatents, type HiresFix, type HiresUpscaler } from './pipeline/hires-fix.js';
export { RemoteWeights } from './models/remote-weights.js';
export { BatchedNoise } from './pipeline/batched-noise.js';
export { DenoisingBuffers } from './pipeline/denoising-buffers.js';
export { encodeChunks } from './pipeline/text-encoder.js';
export { randomSeed, setNoiseThreadEnabled, stopNoiseThread, type PrefetchStats } from './random/index.js';
export { listSchedulers, parseSchedulerConfig, resolveScheduler, SCHEDULERS, UnknownSchedulerError } from './schedulers/index.js';
export { ClipTokenizer, tokenizeWeightedPrompt } from './text/index.js';
export { findRepoRoot } from './text/repo-root.js';
export { openControlNet, type ControlNetModel, type ControlNetBase } from './controlnet/controlnet-model.js';
export { ControlNetError, CONTROLNET_ERROR_CODES, type ControlNetErrorCode } from './controlnet/errors.js';
export type { ControlNetParams } from './controlnet/controlnet-request.js';
export type { ControlImageInput } from './controlnet/control-image.js';
export type { ConditioningSource, DenoisingStep } from './pipeline/conditioning/conditioning-source.js';
export type { PromptEmbeds } from './pipeline/conditioning/embeds-conditioning.js';
export type { ReadModelFolderOptions } from './models/model-folder.js';
export { openIpAdapter, type IpAdapterModel, type IpAdapterBase } from './ip-adapter/ip-adapter-model.js';
export { ipAdapterConditioning, type IpAdapterParams } from './ip-adapter/ip-adapter-conditioning.js';
export { IpAdapterSource, IP_ADAPTER_SCALE_INPUT } from './ip-adapter/ip-adapter-source.js';
export { IpAdapterError, IP_ADAPTER_ERROR_CODES, type IpAdapterErrorCode } from './ip-adapter/errors.js';
export { clipPixelValues, decodeIpImage, type IpImageInput } from './ip-adapter/clip-image.js';
export type { ConditioningProvider, ConditioningSetup, UnetChoice } from './pipeline/conditioning/conditioning-provider.js';
