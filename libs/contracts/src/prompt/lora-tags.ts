/** A LoRA the prompt asked for with `<lora:name>` or `<lora:name:weight>`. */
export interface LoraTag {
  readonly name: string;
  readonly weight: number;
}

export interface PromptWithLoras {
  /** The prompt with every LoRA tag removed (and the ends trimmed). */
  readonly prompt: string;
  /** In the order written; a LoRA named twice appears twice. */
  readonly loras: LoraTag[];
}

/** A `<lora:...>` tag that cannot be used: a bad weight, an empty name or extra fields. */
export class LoraTagError extends Error {
  override readonly name = 'LoraTagError';

  constructor(readonly tag: string, reason: string) {
    super(`Invalid LoRA tag ${tag}: ${reason}`);
  }
}

// A1111's extra-network tag shape, restricted to the "lora" network.
const LORA_TAG = /<lora:([^>]*)>/gi;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

function parseWeight(tag: string, text: string): number {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) {
    throw new LoraTagError(tag, `weight ${JSON.stringify(text)} is not a decimal number (write e.g. <lora:name:0.8>)`);
  }
  return Number(trimmed);
}

function parseTag(tag: string, body: string): LoraTag {
  const fields = body.split(':');
  const name = fields[0].trim();
  if (name === '') throw new LoraTagError(tag, 'the LoRA name is empty');
  if (fields.length > 2) {
    throw new LoraTagError(tag, 'expected <lora:name> or <lora:name:weight>; separate text-encoder/UNet weights are not supported');
  }
  return { name, weight: fields.length === 2 ? parseWeight(tag, fields[1]) : 1 };
}

/**
 * Takes `<lora:name:weight>` tags (weight optional, default 1) out of a prompt. Other
 * extra-network tags such as `<hypernet:...>` are left in the text untouched.
 */
export function extractLoraTags(text: string): PromptWithLoras {
  const loras: LoraTag[] = [];
  const prompt = text.replace(LORA_TAG, (tag: string, body: string) => {
    loras.push(parseTag(tag, body));
    return '';
  });
  return { prompt: prompt.trim(), loras };
}
