/**
 * LCM's guidance conditioning (diffusers' get_guidance_scale_embedding): w = guidance − 1 scaled
 * by 1000, sinusoidal features [sin | cos] of `dim` values. Guidance is baked into the UNet, so
 * LCM runs without the unconditional pass.
 */
export function guidanceScaleEmbedding(guidanceScale: number, dim: number): Float32Array {
  const w = (guidanceScale - 1) * 1000;
  const half = dim / 2;
  const step = Math.log(10000) / (half - 1);
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const angle = w * Math.exp(-step * i);
    out[i] = Math.sin(angle);
    out[half + i] = Math.cos(angle);
  }
  return out;
}
