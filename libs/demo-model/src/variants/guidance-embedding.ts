/** LCM UNets' time_cond_proj_dim in diffusers' LCM exports (SimianLuo/LCM_Dreamshaper_v7). */
export const LCM_TIME_COND_DIM = 256;

/**
 * diffusers' LatentConsistencyModelPipeline.get_guidance_scale_embedding for one image, in
 * float32 like torch: w = guidance_scale − 1, scaled by 1000, then [sin(w·f_k) | cos(w·f_k)] with
 * f_k = exp(−k · ln(10000) / (dim/2 − 1)), k = 0 .. dim/2 − 1.
 */
export function guidanceScaleEmbedding(guidanceScale: number, dim: number = LCM_TIME_COND_DIM): Float32Array {
  const half = dim / 2;
  if (!Number.isInteger(half) || half < 2) throw new Error(`embedding size must be an even number of at least 4, got ${dim}`);
  const w = Math.fround(Math.fround(guidanceScale - 1) * 1000);
  const step = Math.fround(Math.fround(Math.log(10000)) / (half - 1));
  const out = new Float32Array(dim);
  for (let k = 0; k < half; k++) {
    const angle = Math.fround(w * Math.fround(Math.exp(Math.fround(-k * step))));
    out[k] = Math.sin(angle);
    out[half + k] = Math.cos(angle);
  }
  return out;
}
