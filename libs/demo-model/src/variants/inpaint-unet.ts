import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { appendExactDenoiser } from '../denoiser-graph.js';
import { DEMO_SCALING_FACTOR } from '../noise-schedule.js';
import { appendLatentFromSignedRgb, appendSignedTargetRgb } from '../unet-graph.js';

/** diffusers' order of the 9 input channels: noisy latents, mask, masked-image latents. */
export const INPAINT_CHANNELS = { latents: 0, mask: 4, maskedImageLatents: 5, total: 9 } as const;

/**
 * The SD 1.5 inpainting UNet: an exact epsilon denoiser of
 *   x0 = m · target(prompt) + (1 − m) · masked_image_latents
 * with m the mask channel (1 = repaint), so inside the mask it draws the prompt's picture and
 * outside it keeps what the VAE encoder made of the masked image (already × 0.18215). A binary
 * mask makes both terms exact; a soft (area-averaged) one blends them linearly.
 */
export function buildInpaintUnetGraph(hiddenSize: number): GraphBuilder {
  const g = new GraphBuilder({ name: 'demo_inpaint_unet', docString: 'Atelier demo inpainting UNet: prompt picture inside the mask, masked image outside.' });
  const ops = new Ops(g);
  const input = g.input('sample', 'float32', ['batch_size', INPAINT_CHANNELS.total, 'height', 'width']);
  const timestep = g.input('timestep', 'float32', []);
  const hidden = g.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', hiddenSize]);

  const channels = (start: number, end: number): string => ops.slice(input, [start], [end], [1]);
  const sample = channels(INPAINT_CHANNELS.latents, INPAINT_CHANNELS.mask);
  const mask = channels(INPAINT_CHANNELS.mask, INPAINT_CHANNELS.maskedImageLatents);
  const kept = channels(INPAINT_CHANNELS.maskedImageLatents, INPAINT_CHANNELS.total);

  const summary = ops.reduceMean(hidden, [1], false);
  const target = appendLatentFromSignedRgb(ops, sample, appendSignedTargetRgb(ops, sample, summary), DEMO_SCALING_FACTOR);
  const x0 = ops.add(ops.mul(mask, target), ops.mul(ops.sub(ops.scalar(1), mask), kept));
  const out = appendExactDenoiser(ops, { sample, timestep, x0 }, 'epsilon');
  g.output('out_sample', 'float32', ['batch_size', 4, 'height', 'width'], out);
  return g;
}
