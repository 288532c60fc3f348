import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { appendExactDenoiser, type DemoPredictionType } from './denoiser-graph.js';
import { SUMMARY_FEATURES } from './features.js';
import { DEMO_SCALING_FACTOR } from './noise-schedule.js';
import { appendShapeMasks } from './shape-masks-graph.js';
import { DEMO_SHAPES } from './vocabulary.js';

export const UNET_IO = {
  sample: 'sample',
  timestep: 'timestep',
  encoderHiddenStates: 'encoder_hidden_states',
  output: 'out_sample',
} as const;

/**
 * The demo UNet: an exact denoiser for the picture the conditioning describes.
 *
 * From the mean of encoder_hidden_states over the sequence (the text encoder writes the same
 * summary into every position) it rebuilds the target at latent resolution: background colour
 * everywhere, shape colour inside the union of the requested shape masks, x0 = scaling · (2·rgb − 1)
 * on channels 0..2 and 0 on channel 3.
 *
 * Why colours use only channel values 0, 0.5 and 1: an empty or colourless prompt predicts the
 * neutral gray target, latent 0, so classifier-free guidance x0_u + g·(x0_c − x0_u) = g·x0_c.
 * In pixel space that is g·(2c − 1), which after the pipeline's x/2 + 0.5 and clamp to [0, 1]
 * gives back exactly c for c ∈ {0, 0.5, 1} and any g ≥ 1. So the demo picture does not depend on
 * the guidance scale (except for sharper anti-aliasing in the 8-pixel bands at shape edges,
 * which renderDemoTarget reproduces when given the guidance scale).
 */
export function buildDemoUnetGraph(options: { readonly predictionType: DemoPredictionType; readonly hiddenSize: number }): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_unet', docString: 'Atelier demo UNet: exact denoiser for the prompt-described picture.' });
  const ops = new Ops(g);
  const sample = g.input(UNET_IO.sample, 'float32', ['batch_size', 4, 'height', 'width']);
  const timestep = g.input(UNET_IO.timestep, 'float32', []);
  const hidden = g.input(UNET_IO.encoderHiddenStates, 'float32', ['batch_size', 'sequence_length', options.hiddenSize]);

  const summary = ops.reduceMean(hidden, [1], false);
  const x0 = appendLatentFromSignedRgb(ops, sample, appendSignedTargetRgb(ops, sample, summary), DEMO_SCALING_FACTOR);

  const out = appendExactDenoiser(ops, { sample, timestep, x0 }, options.predictionType);
  g.output(UNET_IO.output, 'float32', ['batch_size', 4, 'height', 'width'], out);
  return g;
}

/**
 * 2·rgb − 1 of the picture a summary ([batch, ≥ SUMMARY_FEATURES.size]) describes, [batch, 3, h, w]
 * on the latent grid of `sample` (only its batch and spatial sizes are read).
 */
export function appendSignedTargetRgb(ops: Ops, sample: string, summary: string): string {
  const perImage = (offset: number, size: number): string => ops.unsqueeze(ops.slice(summary, [offset], [offset + size], [1]), [2, 3]);
  const shapeColour = perImage(SUMMARY_FEATURES.shapeColour, 3);
  const presence = perImage(SUMMARY_FEATURES.shapes, DEMO_SHAPES.length);
  const backgroundColour = perImage(SUMMARY_FEATURES.backgroundColour, 3);

  const masks = appendShapeMasks(ops, sample);
  const coverage = ops.reduceMax(ops.mul(presence, masks), [1], true);
  return ops.where(ops.greater(coverage, ops.scalar(0.5)), shapeColour, backgroundColour);
}

/** The 4-channel latent x0 = scaling · signedRgb on channels 0..2 and 0 on channel 3. */
export function appendLatentFromSignedRgb(ops: Ops, sample: string, signedRgb: string, scalingFactor: number): string {
  const x0Rgb = ops.mul(signedRgb, ops.scalar(scalingFactor));
  const sampleShape = ops.shape(sample);
  const oneChannelShape = ops.concat([ops.slice(sampleShape, [0], [1], [0]), ops.int64s([1]), ops.slice(sampleShape, [2], [4], [0])], 0);
  return ops.concat([x0Rgb, ops.constantOfShape(oneChannelShape, 0)], 1);
}
