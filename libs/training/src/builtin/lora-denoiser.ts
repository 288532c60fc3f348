// The trainable demo UNet with a LoRA on its learnable layer, forward and backward, in
// TypeScript. The UNet is an exact denoiser of x0(prompt) = fixed(prompt) + resize((alpha/r)·up·down·e),
// where fixed(prompt) is everything the LoRA does not touch (the demo picture plus the base W·e).
// With σ = √((1−ᾱ)/ᾱ) and c = √(1 + σ²) = 1/√ᾱ its ε-prediction is ε̂ = (c·x_t − x0)/σ, linear in
// the LoRA's product, so the gradients of ‖ε̂ − ε‖² with respect to up and down are exact.
import { demoLogSigmas, resizeResidual, resizeResidualAdjoint, type GridSize } from '@atelier/demo-model';
import type { LoraWeights } from '../lora/lora-weights.js';

export interface DenoisingExample {
  /** The data's clean latent x0 (the image encoded), [4, h, w]. */
  readonly cleanLatent: Float32Array;
  /** The base model's clean latent for the caption, [4, h, w]. */
  readonly fixedLatent: Float32Array;
  /** The caption's prompt embedding e. */
  readonly embedding: Float32Array;
  /** Loss weight (1 for the concept, the prior-preservation weight for class pictures). */
  readonly lossWeight: number;
}

export interface NoiseDraw {
  readonly timestep: number;
  readonly noise: Float64Array;
}

export interface LoraGradients {
  readonly down: Float64Array;
  readonly up: Float64Array;
}

export class LoraDenoiser {
  private readonly logSigmas = demoLogSigmas();
  readonly latentSize: number;

  constructor(
    readonly residual: GridSize,
    readonly latent: { readonly height: number; readonly width: number },
  ) {
    this.latentSize = residual.channels * latent.height * latent.width;
  }

  get trainTimesteps(): number {
    return this.logSigmas.length;
  }

  /** σ at an integer timestep, from the same float32 table the UNet graph gathers from. */
  sigma(timestep: number): number {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.logSigmas.length) throw new RangeError(`timestep ${timestep} is not an integer in [0, ${this.logSigmas.length})`);
    return Math.exp(this.logSigmas[timestep]);
  }

  /** down·e (the LoRA's hidden activations). */
  private hidden(weights: LoraWeights, embedding: ArrayLike<number>): Float64Array {
    const h = new Float64Array(weights.rank);
    for (let r = 0; r < weights.rank; r++) {
      let sum = 0;
      for (let i = 0; i < weights.inFeatures; i++) sum += weights.down[r * weights.inFeatures + i] * embedding[i];
      h[r] = sum;
    }
    return h;
  }

  /** The LoRA's change of x0 on the latent grid: resize((alpha/rank)·up·down·e). */
  cleanLatentDelta(weights: LoraWeights, embedding: ArrayLike<number>): Float32Array {
    const h = this.hidden(weights, embedding);
    const scale = weights.alpha / weights.rank;
    const delta = new Float64Array(weights.outFeatures);
    for (let o = 0; o < weights.outFeatures; o++) {
      let sum = 0;
      for (let r = 0; r < weights.rank; r++) sum += weights.up[o * weights.rank + r] * h[r];
      delta[o] = scale * sum;
    }
    return resizeResidual(delta, this.residual, this.latent);
  }

  /** The noisy sample x_t = √ᾱ·x0 + √(1−ᾱ)·ε. */
  noisySample(cleanLatent: ArrayLike<number>, draw: NoiseDraw): Float64Array {
    const sigma = this.sigma(draw.timestep);
    const c = Math.sqrt(1 + sigma * sigma);
    return Float64Array.from({ length: cleanLatent.length }, (_, j) => (cleanLatent[j] + sigma * draw.noise[j]) / c);
  }

  /** ε̂ of the UNet with the LoRA merged, at sample x_t. */
  predictNoise(weights: LoraWeights, fixedLatent: ArrayLike<number>, embedding: ArrayLike<number>, sample: ArrayLike<number>, timestep: number): Float64Array {
    const sigma = this.sigma(timestep);
    const c = Math.sqrt(1 + sigma * sigma);
    const delta = this.cleanLatentDelta(weights, embedding);
    return Float64Array.from({ length: sample.length }, (_, j) => (c * sample[j] - (fixedLatent[j] + delta[j])) / sigma);
  }

  /**
   * Loss of one example, lossWeight · snrWeight · mean((ε̂ − ε)²), and its gradient with respect to
   * down and up, multiplied by `gradientScale` and added into `into`.
   */
  lossAndGradient(weights: LoraWeights, example: DenoisingExample, draw: NoiseDraw, options: { readonly minSnrGamma?: number; readonly gradientScale: number }, into: LoraGradients): number {
    const sigma = this.sigma(draw.timestep);
    // ε-prediction: SNR = 1/σ², and min-SNR-γ weights the loss by min(SNR, γ)/SNR.
    const snrWeight = options.minSnrGamma === undefined ? 1 : Math.min(1, options.minSnrGamma * sigma * sigma);
    const weight = example.lossWeight * snrWeight;
    const sample = this.noisySample(example.cleanLatent, draw);
    const predicted = this.predictNoise(weights, example.fixedLatent, example.embedding, sample, draw.timestep);
    const n = predicted.length;
    let squares = 0;
    const gradientOnGrid = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const error = predicted[j] - draw.noise[j];
      squares += error * error;
      // ∂/∂x0 of (ε̂ − ε)² is 2(ε̂ − ε)·(−1/σ).
      gradientOnGrid[j] = (options.gradientScale * weight * 2 * error) / (n * -sigma);
    }
    const gradientDelta = resizeResidualAdjoint(gradientOnGrid, this.residual, this.latent);
    const h = this.hidden(weights, example.embedding);
    const scale = weights.alpha / weights.rank;
    const gradientHidden = new Float64Array(weights.rank);
    for (let o = 0; o < weights.outFeatures; o++) {
      const g = scale * gradientDelta[o];
      if (g === 0) continue;
      for (let r = 0; r < weights.rank; r++) {
        into.up[o * weights.rank + r] += g * h[r];
        gradientHidden[r] += g * weights.up[o * weights.rank + r];
      }
    }
    for (let r = 0; r < weights.rank; r++) {
      for (let i = 0; i < weights.inFeatures; i++) into.down[r * weights.inFeatures + i] += gradientHidden[r] * example.embedding[i];
    }
    return (weight * squares) / n;
  }
}
