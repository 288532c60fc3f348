import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { appendExactDenoiser } from '../denoiser-graph.js';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { appendLatentFromSignedRgb, appendSignedTargetRgb } from '../unet-graph.js';
import { VAE_DOWNSCALE } from '../vae-graphs.js';

// Graphs shaped like diffusers' old scripts/convert_stable_diffusion_checkpoint_to_onnx.py exports:
// dims named batch / channels / height / width / sequence (channels left symbolic), and the
// sampled VAE encoder. The arithmetic is the base demo's.

/** UNet with an int64 timestep of shape [batch]: integer timesteps only, one per row (or one for all). */
export function buildWildUnetGraph(hiddenSize: number): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_wild_unet', docString: 'Atelier demo UNet (int64 [batch] timestep).' });
  const ops = new Ops(g);
  const sample = g.input('sample', 'float32', ['batch', 'channels', 'height', 'width']);
  const timestep = g.input('timestep', 'int64', ['batch']);
  const hidden = g.input('encoder_hidden_states', 'float32', ['batch', 'sequence', hiddenSize]);

  const summary = ops.reduceMean(hidden, [1], false);
  const x0 = appendLatentFromSignedRgb(ops, sample, appendSignedTargetRgb(ops, sample, summary), DEMO_SCALING_FACTOR);
  const perRowTimestep = ops.reshape(ops.cast(timestep, 'float32'), [-1, 1, 1, 1]);
  const out = appendExactDenoiser(ops, { sample, timestep: perRowTimestep, x0 }, 'epsilon');
  g.output('out_sample', 'float32', ['batch', 4, 'height', 'width'], out);
  return g;
}

/** The base demo decoder (bilinear 8× of channels 0..2) under the old script's dim names. */
export function buildWildVaeDecoderGraph(): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_wild_vae_decoder' });
  const ops = new Ops(g);
  const latent = g.input('latent_sample', 'float32', ['batch', 'channels', 'height', 'width']);
  const rgb = ops.slice(latent, [0], [3], [1]);
  const image = ops.resize(rgb, [1, 1, VAE_DOWNSCALE, VAE_DOWNSCALE], { mode: 'linear', coordinateTransformationMode: 'half_pixel' });
  g.output('sample', 'float32', ['batch', 3, 'image_height', 'image_width'], image);
  return g;
}

/**
 * Encoder that returns an already sampled, unscaled latent (`latent_dist.sample()`): the 8×8
 * average of the image channels and 0 on channel 3. The demo posterior's σ is ~3e-7, so its
 * sample is its mean; the pipeline multiplies by the scaling factor itself.
 */
export function buildWildVaeEncoderGraph(): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_wild_vae_encoder' });
  const ops = new Ops(g);
  const image = g.input('sample', 'float32', ['batch', 'channels', 'height', 'width']);
  const mean = ops.averagePool(image, [VAE_DOWNSCALE, VAE_DOWNSCALE]);
  const meanShape = ops.shape(mean);
  const unusedChannel = ops.constantOfShape(ops.concat([ops.slice(meanShape, [0], [1], [0]), ops.int64s([1]), ops.slice(meanShape, [2], [4], [0])], 0), 0);
  g.output('latent_sample', 'float32', ['batch', 4, 'latent_height', 'latent_width'], ops.concat([mean, unusedChannel], 1));
  return g;
}
