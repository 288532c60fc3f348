import { padChunkCount, tokenizeWeightedPrompt } from '../../text/prompt-chunks.js';
import { UnsupportedRequestError } from '../errors.js';
import { floatInput } from '../tensors.js';
import { encodeChunks } from '../text-encoder.js';
import { batchRows } from './batch-rows.js';
import type { ConditioningRequest, UnetConditioning } from './types.js';

/** SD 1.x / 2.x: one CLIP encoder's last hidden state; prompt and negative padded to equal chunks. */
export async function sdConditioning(request: ConditioningRequest): Promise<UnetConditioning> {
  const { model, tokenizer } = request;
  const encoder = request.textEncoder;
  if (!encoder) throw new UnsupportedRequestError('model', `${model.id} has no text_encoder`);
  const positive = tokenizeWeightedPrompt(tokenizer, request.prompt).chunks;
  const negative = tokenizeWeightedPrompt(tokenizer, request.negativePrompt).chunks;
  // Without guidance the negative prompt is never encoded, so it must not lengthen the positive one.
  const count = request.useGuidance ? Math.max(positive.length, negative.length) : positive.length;
  const cond = await encodeChunks(encoder, padChunkCount(positive, count, tokenizer));
  const uncond = request.useGuidance ? await encodeChunks(encoder, padChunkCount(negative, count, tokenizer)) : undefined;
  const rows = (request.useGuidance ? 2 : 1) * request.batch;
  return {
    encoderHiddenStates: floatInput(request.unet, 'encoder_hidden_states', batchRows(cond.hidden, uncond?.hidden, request.batch), [rows, cond.sequence, cond.channels]),
    extra: {},
  };
}
