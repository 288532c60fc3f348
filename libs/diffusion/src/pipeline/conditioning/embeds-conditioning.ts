import { UnsupportedRequestError } from '../errors.js';
import { floatInput } from '../tensors.js';
import { batchRows } from './batch-rows.js';
import { sdxlUnetInputs } from './sdxl-conditioning.js';
import type { ConditioningRequest, UnetConditioning } from './types.js';

/**
 * Prompt embeddings given by the caller instead of prompts (diffusers' `prompt_embeds`,
 * `negative_prompt_embeds`, and for SDXL `pooled_prompt_embeds` / `negative_pooled_prompt_embeds`),
 * each for one prompt: `sequence × channels` and `channels`.
 */
export interface PromptEmbeds {
  readonly sequence: number;
  readonly prompt: Float32Array;
  readonly negative?: Float32Array;
  readonly pooled?: Float32Array;
  readonly negativePooled?: Float32Array;
}

/** The UNet's text inputs from given embeddings, laid out as the encoder path lays out its own. */
export function embedsConditioning(request: ConditioningRequest, embeds: PromptEmbeds): UnetConditioning {
  const field = 'prompt_embeds';
  const { sequence, prompt } = embeds;
  const channels = prompt.length / sequence;
  if (!Number.isInteger(channels)) throw new UnsupportedRequestError(field, `${prompt.length} values are not ${sequence} tokens`);
  const negative = request.useGuidance ? (embeds.negative ?? new Float32Array(prompt.length)) : undefined;
  if (negative && negative.length !== prompt.length) throw new UnsupportedRequestError(field, 'negative embeddings must have the shape of the prompt embeddings');
  const sdxl = request.model.family === 'sdxl' || request.model.family === 'sdxl-refiner';
  if (!sdxl) {
    const rows = (request.useGuidance ? 2 : 1) * request.batch;
    return { encoderHiddenStates: floatInput(request.unet, 'encoder_hidden_states', batchRows(prompt, negative, request.batch), [rows, sequence, channels]), extra: {} };
  }
  if (!embeds.pooled) throw new UnsupportedRequestError(field, 'SDXL needs pooled prompt embeddings');
  const pooledNegative = request.useGuidance ? (embeds.negativePooled ?? new Float32Array(embeds.pooled.length)) : undefined;
  return sdxlUnetInputs(
    request,
    { hidden: prompt, sequence, channels, pooled: embeds.pooled },
    negative && pooledNegative ? { hidden: negative, sequence, channels, pooled: pooledNegative } : undefined,
  );
}
