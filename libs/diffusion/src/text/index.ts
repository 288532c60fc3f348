export { ClipTokenizer } from './clip-tokenizer.js';
export { TokenizerFilesError, type ClipTokenizerFiles, type TokenSpelling } from './tokenizer-files.js';
export { bundledClipTokenizerDir, loadBundledClipTokenizer } from './bundled-tokenizer.js';
export { parsePromptAttention, type AttentionFragment } from './prompt-attention.js';
export {
  emptyChunk,
  padChunkCount,
  tokenizeWeightedPrompt,
  type ChunkingOptions,
  type ChunkingTokenizer,
  type PromptChunk,
  type WeightedPrompt,
} from './prompt-chunks.js';
export { applyTokenWeights, type HiddenStateDims } from './token-weights.js';
