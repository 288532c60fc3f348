import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';

export const VAE_DOWNSCALE = 8;

/** Log-variance the encoder reports: σ = e^-15 ≈ 3e-7, so sampling the posterior ≈ its mean. */
export const VAE_ENCODER_LOG_VARIANCE = -30;

/**
 * Decoder: bilinear (half_pixel) 8× upsampling of latent channels 0..2, which hold 2·rgb − 1 once
 * the pipeline has divided by the scaling factor; channel 3 is ignored.
 */
export function buildVaeDecoderGraph(): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_vae_decoder' });
  const ops = new Ops(g);
  const latent = g.input('latent_sample', 'float32', ['batch_size', 4, 'latent_height', 'latent_width']);
  const rgb = ops.slice(latent, [0], [3], [1]);
  const image = ops.resize(rgb, [1, 1, VAE_DOWNSCALE, VAE_DOWNSCALE], { mode: 'linear', coordinateTransformationMode: 'half_pixel' });
  g.output('sample', 'float32', ['batch_size', 3, 'height', 'width'], image);
  return g;
}

/**
 * Encoder: latent_parameters = [mean (8×8 average of the 3 image channels, 0 on channel 3) |
 * log-variance −30], 8 channels as in diffusers' DiagonalGaussianDistribution.
 */
export function buildVaeEncoderGraph(): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_vae_encoder' });
  const ops = new Ops(g);
  const image = g.input('sample', 'float32', ['batch_size', 3, 'sample_height', 'sample_width']);
  const mean = ops.averagePool(image, [VAE_DOWNSCALE, VAE_DOWNSCALE]);
  const meanShape = ops.shape(mean);
  const batch = ops.slice(meanShape, [0], [1], [0]);
  const grid = ops.slice(meanShape, [2], [4], [0]);
  const unusedChannel = ops.constantOfShape(ops.concat([batch, ops.int64s([1]), grid], 0), 0);
  const logVariance = ops.constantOfShape(ops.concat([batch, ops.int64s([4]), grid], 0), VAE_ENCODER_LOG_VARIANCE);
  g.output('latent_parameters', 'float32', ['batch_size', 8, 'h', 'w'], ops.concat([mean, unusedChannel, logVariance], 1));
  return g;
}
