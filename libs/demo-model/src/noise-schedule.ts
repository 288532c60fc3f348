/** Stable Diffusion 1.x training schedule: scaled_linear betas 0.00085 → 0.012 over 1000 steps. */
export const SD15_SCHEDULE = {
  betaStart: 0.00085,
  betaEnd: 0.012,
  trainTimesteps: 1000,
} as const;

/** VAE latent scaling of SD 1.x. */
export const DEMO_SCALING_FACTOR = 0.18215;

/**
 * log σ(t) for t = 0..999, σ = √((1 − ᾱ)/ᾱ), ᾱ = cumprod(1 − β), computed in double and stored
 * as the float32 table the UNet graph holds.
 */
export function demoLogSigmas(): Float32Array {
  const { betaStart, betaEnd, trainTimesteps } = SD15_SCHEDULE;
  const table = new Float32Array(trainTimesteps);
  const first = Math.sqrt(betaStart);
  const last = Math.sqrt(betaEnd);
  let alphaBar = 1;
  for (let t = 0; t < trainTimesteps; t++) {
    const beta = (first + ((last - first) * t) / (trainTimesteps - 1)) ** 2;
    alphaBar *= 1 - beta;
    table[t] = 0.5 * Math.log((1 - alphaBar) / alphaBar);
  }
  return table;
}

/**
 * σ at a (possibly fractional) timestep: linear in log σ between floor(t) and floor(t) + 1, the
 * exact inverse of diffusers' `_sigma_to_t`, so Karras/Euler timesteps map back to their σ.
 */
export function demoSigmaAt(timestep: number, logSigmas: Float32Array = demoLogSigmas()): number {
  const last = logSigmas.length - 1;
  const t = Math.min(Math.max(timestep, 0), last);
  const low = Math.min(Math.floor(t), last - 1);
  const fraction = t - low;
  return Math.exp(logSigmas[low] + fraction * (logSigmas[low + 1] - logSigmas[low]));
}
