import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { appendExactDenoiser } from '../denoiser-graph.js';
import { SUMMARY_FEATURES } from '../features.js';
import { appendLatentFromSignedRgb, appendSignedTargetRgb } from '../unet-graph.js';
import { VAE_DOWNSCALE } from '../vae-graphs.js';
import { appendAbsoluteDifference, appendPenaltyPattern } from './penalty-pattern.js';
import { AESTHETIC_SCORE, NEGATIVE_AESTHETIC_SCORE, SDXL_SCALING_FACTOR } from './sdxl-time-ids.js';

/** Hidden widths of SDXL's CLIP ViT-L (text_encoder) and OpenCLIP bigG (text_encoder_2). */
export const SDXL_TEXT_WIDTH = 768;
export const SDXL_TEXT_2_WIDTH = 1280;

export type SdxlUnetKind = 'base' | 'refiner';

/**
 * The SDXL demo UNet (base: encoder_hidden_states [b, s, 768 + 1280], time_ids [b, 6]; refiner:
 * [b, s, 1280], time_ids [b, 5]). The target comes from the summary S in the first features of
 * the sequence mean of encoder_hidden_states, as in the SD 1.5 demo. It is an exact epsilon
 * denoiser of that target (latent scaling 0.13025) only when the extra inputs agree with it;
 * otherwise a checkerboard of amplitude min(penalty, 1) is added to the target, where penalty sums:
 * - base: |S(encoder 2 half, features 768..) − S| (both encoders, penultimate layers, in order);
 * - |text_embeds[:, :S] − S| (the pooled, projected output of text_encoder_2, same prompt);
 * - base: |time_ids − (H, W, 0, 0, H, W)|, H × W the image size (8 × the latent size);
 * - refiner: |time_ids[:4] − (H, W, 0, 0)| + the distance of time_ids[4] to 6.0 or 2.5.
 */
export function buildSdxlUnetGraph(kind: SdxlUnetKind): GraphBuilder {
  const refiner = kind === 'refiner';
  const g = new GraphBuilder({ name: `demo_sdxl_${kind}_unet`, docString: `Atelier demo SDXL ${kind} UNet: exact denoiser for the prompt-described picture.` });
  const ops = new Ops(g);
  const width = refiner ? SDXL_TEXT_2_WIDTH : SDXL_TEXT_WIDTH + SDXL_TEXT_2_WIDTH;
  const sample = g.input('sample', 'float32', ['batch_size', 4, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', ['steps']);
  const hidden = g.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', width]);
  const textEmbeds = g.input('text_embeds', 'float32', ['batch_size', SDXL_TEXT_2_WIDTH]);
  const timeIds = g.input('time_ids', 'float32', ['batch_size', refiner ? 5 : 6]);

  const mean = ops.reduceMean(hidden, [1], false);
  const summaryAt = (source: string, offset: number): string => ops.slice(source, [offset], [offset + SUMMARY_FEATURES.size], [1]);
  const summary = summaryAt(mean, 0);
  const penalties = [appendAbsoluteDifference(ops, summaryAt(textEmbeds, 0), summary)];
  if (!refiner) penalties.push(appendAbsoluteDifference(ops, summaryAt(mean, SDXL_TEXT_WIDTH), summary));

  const imageSize = ops.mul(ops.cast(ops.shape(sample, 2, 4), 'float32'), ops.scalar(VAE_DOWNSCALE));
  const noCrop = ops.floats([0, 0]);
  if (refiner) {
    const sizeAndCrop = ops.slice(timeIds, [0], [4], [1]);
    penalties.push(appendAbsoluteDifference(ops, sizeAndCrop, ops.concat([imageSize, noCrop], 0)));
    const score = ops.slice(timeIds, [4], [5], [1]);
    const distanceTo = (value: number): string => ops.abs(ops.sub(score, ops.scalar(value)));
    penalties.push(ops.min(distanceTo(AESTHETIC_SCORE), distanceTo(NEGATIVE_AESTHETIC_SCORE)));
  } else {
    penalties.push(appendAbsoluteDifference(ops, timeIds, ops.concat([imageSize, noCrop, imageSize], 0)));
  }
  const penalty = penalties.reduce((total, term) => ops.add(total, term));

  const signedRgb = appendPenaltyPattern(ops, sample, appendSignedTargetRgb(ops, sample, summary), penalty);
  const x0 = appendLatentFromSignedRgb(ops, sample, signedRgb, SDXL_SCALING_FACTOR);
  const perRowTimestep = ops.reshape(timestep, [-1, 1, 1, 1]);
  const out = appendExactDenoiser(ops, { sample, timestep: perRowTimestep, x0 }, 'epsilon');
  g.output('out_sample', 'float32', ['batch_size', 4, 'height', 'width'], out);
  return g;
}
