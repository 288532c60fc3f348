import type * as ort from 'onnxruntime-node';
import { disposeAll, floatInput, readFloat32 } from './tensors.js';

/** latents (already divided by the scaling factor) → image in [-1, 1], NCHW. */
export async function vaeDecode(session: ort.InferenceSession, latents: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const inputName = session.inputNames[0];
  const outputs = await session.run({ [inputName]: floatInput(session, inputName, latents, dims) });
  const tensor = outputs[session.outputNames[0]];
  const result = { data: new Float32Array(readFloat32(tensor)), dims: tensor.dims };
  disposeAll(outputs);
  return result;
}

/**
 * image in [-1, 1] NCHW → latent mean. Exports give either `latent_parameters` (mean and
 * log-variance stacked on channels) or an already-sampled `latent_sample`; we use the mean so
 * img2img is deterministic for a seed. With `noise`, the latent is sampled as diffusers'
 * `latent_dist.sample()` does: mean + exp(0.5·clip(logvar, −30, 20))·noise.
 */
export async function vaeEncode(
  session: ort.InferenceSession,
  image: Float32Array,
  dims: readonly number[],
  noise?: Float32Array,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const inputName = session.inputNames[0];
  const outputs = await session.run({ [inputName]: floatInput(session, inputName, image, dims) });
  const name = session.outputNames.includes('latent_parameters') ? 'latent_parameters' : session.outputNames[0];
  const tensor = outputs[name];
  const raw = readFloat32(tensor);
  const [batch, channels, height, width] = tensor.dims;
  disposeAll(outputs);
  if (name !== 'latent_parameters') return { data: new Float32Array(raw), dims: [batch, channels, height, width] };
  const latentChannels = channels / 2;
  const plane = height * width;
  const mean = new Float32Array(batch * latentChannels * plane);
  for (let b = 0; b < batch; b++) {
    mean.set(raw.subarray(b * channels * plane, (b * channels + latentChannels) * plane), b * latentChannels * plane);
    if (!noise) continue;
    const size = latentChannels * plane;
    if (noise.length !== batch * size) throw new RangeError(`expected ${batch * size} noise values, got ${noise.length}`);
    for (let i = 0; i < size; i++) {
      const logvar = Math.min(20, Math.max(-30, raw[b * channels * plane + size + i]));
      mean[b * size + i] += Math.exp(0.5 * logvar) * noise[b * size + i];
    }
  }
  return { data: mean, dims: [batch, latentChannels, height, width] };
}
