import type * as ort from 'onnxruntime-node';
import { floatInput, readFloat32 } from '../pipeline/tensors.js';
import { CLIP_IMAGE_SIZE } from './clip-image.js';
import { IpAdapterError } from './errors.js';

/** Image tokens of every image prompt, concatenated in order (diffusers' several images for one adapter). */
export interface ImageTokens {
  /** [images · tokensPerImage, width] for the conditional rows. */
  readonly positive: Float32Array;
  /** The same for the unconditional rows: the projection of a zero image's encoding (diffusers). */
  readonly negative: Float32Array;
  readonly count: number;
  readonly width: number;
}

/** Encoder outputs that hold the penultimate layer's hidden states ("plus" adapters). */
const HIDDEN_STATE_OUTPUTS = ['hidden_states', 'penultimate_hidden_states', 'image_enc_hidden_states'];

/** Which encoder output the adapter reads: `image_embeds`, or hidden states for "plus" adapters. */
export function encoderOutput(encoder: ort.InferenceSession, plus: boolean | undefined, field: string): { name: string; plus: boolean } {
  const hidden = HIDDEN_STATE_OUTPUTS.find((name) => encoder.outputNames.includes(name));
  const wantsPlus = plus ?? !encoder.outputNames.includes('image_embeds');
  if (wantsPlus) {
    if (hidden) return { name: hidden, plus: true };
    // last_hidden_state is the last layer; diffusers reads hidden_states[-2], the one before it.
    throw new IpAdapterError('ip_adapter_model_invalid', field, `a plus adapter needs the image encoder's penultimate hidden states as an output named ${HIDDEN_STATE_OUTPUTS.join(' or ')}; it has ${encoder.outputNames.join(', ')}`);
  }
  if (!encoder.outputNames.includes('image_embeds')) throw new IpAdapterError('ip_adapter_model_invalid', field, `the image encoder has no image_embeds output (it has ${encoder.outputNames.join(', ')})`);
  return { name: 'image_embeds', plus: false };
}

async function runOne(session: ort.InferenceSession, input: string, output: string, data: Float32Array, dims: readonly number[], field: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const outputs = await session.run({ [input]: floatInput(session, input, data, dims) }, [output]).catch((error: Error) => {
    throw new IpAdapterError('ip_adapter_model_invalid', field, `${output} could not be computed (${error.message})`);
  });
  const tensor = outputs[output];
  const values = readFloat32(tensor).slice();
  const result = { data: values, dims: [...tensor.dims] };
  tensor.dispose();
  return result;
}

/**
 * diffusers' `encode_image` + the adapter's image projection, one image at a time (exports with a
 * static batch of 1 work too): CLIP `image_embeds` (negative: zeros of that shape) or, for plus
 * adapters, the penultimate hidden states (negative: the encoding of an all-zero `pixel_values`),
 * each projected to [T, C] tokens and concatenated image after image.
 */
export async function encodeImageTokens(
  encoder: ort.InferenceSession,
  projection: ort.InferenceSession,
  pixelValues: readonly Float32Array[],
  plusHint: boolean | undefined,
  field: string,
): Promise<ImageTokens> {
  const pixelInput = encoder.inputNames.includes('pixel_values') ? 'pixel_values' : encoder.inputNames[0];
  const projectionInput = projection.inputNames.includes('image_embeds') ? 'image_embeds' : projection.inputNames[0];
  const projectionOutput = projection.outputNames[0];
  const { name: encoded, plus } = encoderOutput(encoder, plusHint, field);
  const pixelDims = [1, 3, CLIP_IMAGE_SIZE, CLIP_IMAGE_SIZE];
  const project = async (embeds: { data: Float32Array; dims: readonly number[] }): Promise<{ data: Float32Array; dims: readonly number[] }> => {
    const tokens = await runOne(projection, projectionInput, projectionOutput, embeds.data, embeds.dims, field);
    if (tokens.dims.length !== 3 || tokens.dims[0] !== 1) throw new IpAdapterError('ip_adapter_model_invalid', field, `the projection returned ${tokens.dims.join('×')}, expected [1, tokens, width]`);
    return tokens;
  };
  const positive: Float32Array[] = [];
  let tokenDims: readonly number[] | undefined;
  let zeroEmbeds: { data: Float32Array; dims: readonly number[] } | undefined;
  for (const pixels of pixelValues) {
    const embeds = await runOne(encoder, pixelInput, encoded, pixels, pixelDims, field);
    const tokens = await project(embeds);
    tokenDims = tokens.dims;
    positive.push(tokens.data);
    zeroEmbeds ??= plus ? await runOne(encoder, pixelInput, encoded, new Float32Array(pixels.length), pixelDims, field) : { data: new Float32Array(embeds.data.length), dims: embeds.dims };
  }
  if (!tokenDims || !zeroEmbeds) throw new IpAdapterError('ip_adapter_image_invalid', `${field.replace(/\.model$/, '')}.images`, 'at least one image is needed');
  // Every image's negative is the same zero-image encoding, projected once.
  const negativeOne = (await project(zeroEmbeds)).data;
  const [, count, width] = tokenDims;
  const concat = (parts: readonly Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.length * count * width);
    parts.forEach((part, index) => out.set(part, index * count * width));
    return out;
  };
  return { positive: concat(positive), negative: concat(pixelValues.map(() => negativeOne)), count: count * pixelValues.length, width };
}

/**
 * `encoder_hidden_states` for the UNet: every row's text tokens followed by the image tokens,
 * the unconditional rows (the first half with classifier-free guidance) taking the negative ones.
 */
export function appendImageTokens(text: Float32Array, textDims: readonly number[], tokens: ImageTokens, useGuidance: boolean): { data: Float32Array; dims: number[] } {
  const [rows, sequence, width] = textDims;
  if (width !== tokens.width) throw new RangeError(`text is ${width} wide, image tokens ${tokens.width}`);
  const total = sequence + tokens.count;
  const out = new Float32Array(rows * total * width);
  const textRow = sequence * width;
  for (let row = 0; row < rows; row++) {
    const base = row * total * width;
    out.set(text.subarray(row * textRow, (row + 1) * textRow), base);
    out.set(useGuidance && row < rows / 2 ? tokens.negative : tokens.positive, base + textRow);
  }
  return { data: out, dims: [rows, total, width] };
}
