export { SegmentationError, type SegmentationErrorCode } from './errors.js';
export { segment, type SegmentationImage, type SegmentationMask, type SegmentationResult } from './segment.js';
export { SegmentationModels, ENCODER_FILES, DECODER_FILES, type SegmentationModelFiles } from './segmentation-models.js';
export {
  segmentationPromptsSchema,
  parsePrompts,
  type SegmentationPrompts,
  type SegmentationPromptsInput,
  type SegmentationPoint,
  type SegmentationBox,
} from './prompts.js';
export { segmentOptionsSchema, parseSegmentOptions, type SegmentOptions, type SegmentOptionsInput } from './segment-options.js';
export { EmbeddingCache, embeddingKey, DEFAULT_EMBEDDING_CACHE_BYTES } from './embedding-cache.js';
export { encodeMaskPng } from './mask-png.js';
export { SamEncoder, type ImageEmbeddings } from './sam-encoder.js';
export { SamDecoder, detectDecoderLayout, officialBest, type DecoderLayout, type MaskCandidates } from './sam-decoder.js';
export { encoderInput, SAM_PIXEL_MEAN, SAM_PIXEL_STD } from './encoder-input.js';
export { preprocessSize, toModelFrame, SAM_IMAGE_SIZE, SAM_LOW_RES_SIZE, type Size } from './sam-transform.js';
export { bilinearResize, upscaleMaskLogits, binarize, type Plane } from './mask-postprocess.js';
export { officialPoints, transformersPoints, type EncodedPoints } from './prompt-encoding.js';
