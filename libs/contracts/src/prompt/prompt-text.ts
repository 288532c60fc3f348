import { loraName } from './adapter-ids.js';
import { extractLoraTags, type LoraTag } from './lora-tags.js';
import { applyStyle } from './styles.js';

/** A positive and a negative prompt. */
export interface PromptPair {
  readonly prompt: string;
  readonly negative_prompt: string;
}

/** What a worker's text encoders read and which LoRAs it applies, derived once from a request. */
export interface ResolvedPromptText {
  /** The style applied, `<lora:…>` tags kept where written: what the image's parameters record (as A1111 writes them). */
  readonly styled: PromptPair;
  /** The style applied, then every `<lora:…>` tag taken out (and the ends trimmed). */
  readonly conditioning: PromptPair;
  /** The request's `loras`, then the prompt's tags, then the negative prompt's, by LoRA name: a later mention of a name sets its weight. */
  readonly loras: LoraTag[];
}

/**
 * The one derivation of prompt text and LoRA list from what a client wrote. The API's resolver
 * calls it at submission and the record upgrade calls it for requests stored before it existed;
 * workers only read its result. Throws UnknownStyleError or LoraTagError (the resolver checks
 * both first, naming the field).
 */
export function resolvePromptText(input: { style: string; prompt: string; negative_prompt: string; loras: readonly LoraTag[] }): ResolvedPromptText {
  const styled = applyStyle(input.style, input.prompt, input.negative_prompt);
  const positive = extractLoraTags(styled.prompt);
  const negative = extractLoraTags(styled.negative_prompt);
  const loras = new Map<string, number>();
  // `lora:<name>` registry ids (a training's model_id) name the same LoRA as `<name>`.
  for (const lora of [...input.loras, ...positive.loras, ...negative.loras]) loras.set(loraName(lora.name), lora.weight);
  return {
    styled,
    conditioning: { prompt: positive.prompt, negative_prompt: negative.prompt },
    loras: [...loras].map(([name, weight]) => ({ name, weight })),
  };
}
