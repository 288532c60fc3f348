import { LORA_ID_PREFIX } from './adapter-ids.js';

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

/**
 * `name[:weight]`, where the name may also be a registry id `lora:<name>` (`<lora:lora:x:0.8>`).
 * The id form is taken only where it cannot be read otherwise: three fields, or two whose second
 * is not a weight (`<lora:lora:0.5>` stays the LoRA named "lora" at 0.5).
 */
function splitNameAndWeight(body: string): { name: string; weight?: string; extra: boolean } {
  const fields = body.split(':');
  const first = fields[0].trim();
  const isIdPrefix = `${first}:` === LORA_ID_PREFIX && fields.length >= 2;
  if (isIdPrefix && (fields.length === 3 || (fields.length === 2 && !DECIMAL.test(fields[1].trim())))) {
    return { name: fields[1].trim(), weight: fields[2], extra: false };
  }
  return { name: first, weight: fields[1], extra: fields.length > 2 };
}

function parseTag(tag: string, body: string): LoraTag {
  const { name, weight, extra } = splitNameAndWeight(body);
  if (name === '') throw new LoraTagError(tag, 'the LoRA name is empty');
  if (extra) {
    throw new LoraTagError(tag, 'expected <lora:name> or <lora:name:weight>; separate text-encoder/UNet weights are not supported');
  }
  return { name, weight: weight === undefined ? 1 : parseWeight(tag, weight) };
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
