import type * as ort from 'onnxruntime-node';
import { padChunkCount, tokenizeWeightedPrompt, type ChunkingTokenizer, type PromptChunk } from '../../text/prompt-chunks.js';
import { UnsupportedRequestError } from '../errors.js';
import { floatInput } from '../tensors.js';
import { encodeChunks, type PromptEmbeddings } from '../text-encoder.js';
import { batchRows } from './batch-rows.js';
import type { ConditioningRequest, UnetConditioning } from './types.js';

/** diffusers' defaults for the refiner's aesthetic-score conditioning. */
export const AESTHETIC_SCORE = 6;
export const NEGATIVE_AESTHETIC_SCORE = 2.5;
const PENULTIMATE = -2;

export interface EncodedPrompt {
  readonly hidden: Float32Array;
  readonly sequence: number;
  readonly channels: number;
  readonly pooled: Float32Array;
}

/** Concatenates the encoders' token features on the last axis (SDXL: 768 + 1280 = 2048). */
function concatFeatures(parts: readonly PromptEmbeddings[]): { hidden: Float32Array; channels: number; sequence: number } {
  const sequence = parts[0].sequence;
  const channels = parts.reduce((sum, part) => sum + part.channels, 0);
  const hidden = new Float32Array(sequence * channels);
  for (let token = 0; token < sequence; token++) {
    let offset = token * channels;
    for (const part of parts) {
      hidden.set(part.hidden.subarray(token * part.channels, (token + 1) * part.channels), offset);
      offset += part.channels;
    }
  }
  return { hidden, channels, sequence };
}

/**
 * SDXL base and refiner, as diffusers' StableDiffusionXL pipelines: the penultimate hidden states
 * of each text encoder concatenated, the pooled projection of the last encoder as `text_embeds`,
 * and `time_ids` from the original size, crop (0, 0) and target size — or, for the refiner, the
 * aesthetic score. An empty negative prompt is zeros when the model asks for it.
 */
export async function sdxlConditioning(request: ConditioningRequest): Promise<UnetConditioning> {
  const { model } = request;
  const encoders: Array<{ session: ort.InferenceSession | undefined; tokenizer: ChunkingTokenizer; name: string }> = [];
  if (model.family === 'sdxl') encoders.push({ session: request.textEncoder, tokenizer: request.tokenizer, name: 'text_encoder' });
  if (!request.tokenizer2) throw new UnsupportedRequestError('model', `${model.id} has no tokenizer_2`);
  encoders.push({ session: request.textEncoder2, tokenizer: request.tokenizer2, name: 'text_encoder_2' });

  const chunked = encoders.map((encoder) => ({
    positive: tokenizeWeightedPrompt(encoder.tokenizer, request.prompt).chunks,
    negative: tokenizeWeightedPrompt(encoder.tokenizer, request.negativePrompt).chunks,
  }));
  const count = Math.max(...chunked.flatMap((chunks) => (request.useGuidance ? [chunks.positive.length, chunks.negative.length] : [chunks.positive.length])));
  const encode = async (select: (index: number) => PromptChunk[]): Promise<EncodedPrompt> => {
    const parts: PromptEmbeddings[] = [];
    for (const [index, encoder] of encoders.entries()) {
      const session = encoder.session;
      if (!session) throw new UnsupportedRequestError('model', `${model.id} has no ${encoder.name}`);
      parts.push(await encodeChunks(session, padChunkCount(select(index), count, encoder.tokenizer), { hiddenStateIndex: PENULTIMATE }));
    }
    const pooled = parts.at(-1)?.pooled;
    if (!pooled) throw new UnsupportedRequestError('model', `${model.id}: ${encoders.at(-1)?.name} has no text_embeds output`);
    return { ...concatFeatures(parts), pooled };
  };

  const positive = await encode((index) => chunked[index].positive);
  let negative: EncodedPrompt | undefined;
  if (request.useGuidance) {
    negative =
      model.folder.forceZerosForEmptyPrompt && request.negativePrompt.trim() === ''
        ? { ...positive, hidden: new Float32Array(positive.hidden.length), pooled: new Float32Array(positive.pooled.length) }
        : await encode((index) => chunked[index].negative);
  }
  return sdxlUnetInputs(request, positive, negative);
}

/** The SDXL UNet's text inputs from encoded prompts: hidden states, pooled `text_embeds`, `time_ids`. */
export function sdxlUnetInputs(
  request: Pick<ConditioningRequest, 'model' | 'unet' | 'batch' | 'useGuidance' | 'width' | 'height'>,
  positive: EncodedPrompt,
  negative: EncodedPrompt | undefined,
): UnetConditioning {
  const { model } = request;
  const rows = (request.useGuidance ? 2 : 1) * request.batch;
  const { width, height } = request;
  const timeIds = model.folder.requiresAestheticsScore
    ? { positive: [height, width, 0, 0, AESTHETIC_SCORE], negative: [height, width, 0, 0, NEGATIVE_AESTHETIC_SCORE] }
    : { positive: [height, width, 0, 0, height, width], negative: [height, width, 0, 0, height, width] };
  return {
    encoderHiddenStates: floatInput(request.unet, 'encoder_hidden_states', batchRows(positive.hidden, negative?.hidden, request.batch), [
      rows,
      positive.sequence,
      positive.channels,
    ]),
    extra: {
      text_embeds: floatInput(request.unet, 'text_embeds', batchRows(positive.pooled, negative?.pooled, request.batch), [rows, positive.pooled.length]),
      time_ids: floatInput(
        request.unet,
        'time_ids',
        batchRows(Float32Array.from(timeIds.positive), negative ? Float32Array.from(timeIds.negative) : undefined, request.batch),
        [rows, timeIds.positive.length],
      ),
    },
  };
}
