// The parts of one optimiser step the built-in engines share: which examples a batch trains on,
// the random draws for them, and the mean loss with gradients scaled to match. What the gradient
// is taken of (a LoRA, token vectors, the UNet weight) is the engine's.
import type { NoiseDraw } from './lora-denoiser.js';
import type { TrainingRandom } from './training-random.js';

/** The batch's instances followed by as many class pictures (prior preservation), taken in turn. */
export function withPriors<E>(instances: readonly E[], batch: readonly number[], priors: readonly E[], step: number, batchSize: number): E[] {
  const examples = batch.map((index) => instances[index]);
  if (priors.length > 0) for (let i = 0; i < batch.length; i++) examples.push(priors[(step * batchSize + i) % priors.length]);
  return examples;
}

/** Every draw comes from the one generator in a fixed order: timestep, then noise, per example. */
export function drawNoise(random: TrainingRandom, count: number, schedule: { readonly trainTimesteps: number; readonly latentSize: number }): NoiseDraw[] {
  return Array.from({ length: count }, () => ({
    timestep: random.integer(schedule.trainTimesteps),
    noise: Float64Array.from({ length: schedule.latentSize }, () => random.normal()),
  }));
}

export interface LossOptions {
  readonly minSnrGamma?: number;
  readonly gradientScale: number;
}

/** The batch's mean loss; `lossAndGradient` adds each example's gradient, scaled by 1/batch, into the engine's buffer. */
export function meanLoss<E>(examples: readonly E[], draws: readonly NoiseDraw[], minSnrGamma: number | undefined, lossAndGradient: (example: E, draw: NoiseDraw, options: LossOptions) => number): number {
  let loss = 0;
  for (const [i, example] of examples.entries()) loss += lossAndGradient(example, draws[i], { minSnrGamma, gradientScale: 1 / examples.length });
  return loss / examples.length;
}
