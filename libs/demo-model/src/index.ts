export {
  buildDemoModel,
  resolveDemoModelOptions,
  type DemoModelInfo,
  type DemoModelOptions,
  type DemoModelPaths,
  type ResolvedDemoModelOptions,
} from './build-demo-model.js';
export {
  NEUTRAL_CONDITIONING,
  conditioningFromSummary,
  parseDemoPrompt,
  summaryFromConditioning,
  type DemoConditioning,
} from './conditioning.js';
export type { DemoPredictionType } from './denoiser-graph.js';
export {
  DEMO_BUILDER_VERSION,
  DEMO_MARKER_FILE,
  DEMO_MODEL_DIRNAME,
  ensureDemoModel,
  ensureDemoModels,
  hashDemoModelDir,
} from './ensure-demo-model.js';
export {
  buildExactDenoiserUnet,
  buildExactDenoiserUnetGraph,
  type ExactDenoiserUnetOptions,
} from './exact-denoiser-unet.js';
export { SUMMARY_FEATURES } from './features.js';
export { DEMO_SCALING_FACTOR, SD15_SCHEDULE, demoLogSigmas, demoSigmaAt } from './noise-schedule.js';
export {
  demoImageToRgb8,
  demoSignedTarget,
  demoTargetLatent,
  renderDemoTarget,
  upsampleBilinear,
  type DemoImage,
  type RenderDemoTargetOptions,
} from './render-demo-target.js';
export {
  BACKGROUND_WORDS,
  COLOUR_WORDS,
  DEMO_SHAPES,
  DEMO_VOCABULARY,
  SHAPE_WORDS,
  type DemoShape,
  type DemoVocabulary,
  type Rgb,
} from './vocabulary.js';
export {
  DEMO_VARIANTS,
  buildDemoVariant,
  isDemoVariant,
  type DemoVariant,
  type DemoVariantInfo,
  type DemoVariantOptions,
  type DemoVariantPaths,
} from './variants/build-demo-variant.js';
export { LCM_TIME_COND_DIM, guidanceScaleEmbedding } from './variants/guidance-embedding.js';
export { INPAINT_CHANNELS } from './variants/inpaint-unet.js';
export { renderDemoInpaint, type DemoMask, type RenderDemoInpaintOptions } from './variants/render-demo-inpaint.js';
export {
  AESTHETIC_SCORE,
  NEGATIVE_AESTHETIC_SCORE,
  SDXL_SCALING_FACTOR,
  sdxlRefinerTimeIds,
  sdxlTimeIds,
} from './variants/sdxl-time-ids.js';
export { HIDDEN_STATE_STEP } from './variants/text-encoder-variants.js';
export {
  DEFAULT_PROMPT_EMBEDDING_SIZE,
  DEFAULT_RESIDUAL_SIDE,
  NotTrainableModelError,
  PROMPT_EMBEDDING_OFFSET,
  TRAINABLE_LAYER,
  TRAINABLE_MANIFEST_FILE,
  buildTrainableDemoModel,
  promptEmbeddingOf,
  promptEmbeddingOfIds,
  readTrainableContract,
  residualOf,
  residualWeightShape,
  resizeResidual,
  resizeResidualAdjoint,
  specialTokenIds,
  TRAINABLE_TOKEN_TABLE,
  PRETRAINED_PATTERNS,
  PRETRAINED_PATTERN_SCALE,
  pretrainedResidualWeight,
  trainableTokenRowLayout,
  trainableTokenTable,
  tokenEmbedding,
  tokenEmbeddingTable,
  trainableCleanLatent,
  type CleanLatentContract,
  type GridSize,
  type TrainableDemoContract,
  type TrainableDemoModelInfo,
  type TrainableDemoModelOptions,
} from './trainable/index.js';
export { appendExactDenoiser } from './denoiser-graph.js';
export { UNET_IO } from './unet-graph.js';
