export { LORA_ID_PREFIX, loraName, PIPELINE_ID_PREFIX, pipelineId } from './adapter-ids.js';
export { extractLoraTags, LoraTagError, type LoraTag, type PromptWithLoras } from './lora-tags.js';
export { applyStyle, findStyle, listStyles, normalizeStyleId, UnknownStyleError, type StyledPrompt, type StylePreset } from './styles.js';
export { resolvePromptText, type PromptPair, type ResolvedPromptText } from './prompt-text.js';
