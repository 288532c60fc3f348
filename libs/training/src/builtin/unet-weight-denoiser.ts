// The trainable demo UNet as a function of its own learnable weight Wᵀ (DreamBooth trains it
// directly): x0(prompt) = demo(prompt) + resize(W·e). ε̂ = (c·x_t − x0)/σ is linear in W, so
// ∂loss/∂Wᵀ[i, o] = e_i · resizeᵀ(g)_o exactly, g being the loss gradient with respect to x0.
import { residualOf, resizeResidual, resizeResidualAdjoint, type GridSize } from '@atelier/demo-model';
import { LoraDenoiser, type NoiseDraw } from './lora-denoiser.js';

export interface UnetWeightExample {
  /** The data's clean latent x0 (the image encoded). */
  readonly cleanLatent: Float32Array;
  /** The demo picture of the caption: what x0 is without the learnable layer. */
  readonly pictureLatent: Float32Array;
  readonly embedding: Float32Array;
  readonly lossWeight: number;
}

export class UnetWeightDenoiser {
  /** σ, x_t and the timestep table are the LoRA denoiser's: the UNet is the same. */
  readonly schedule: LoraDenoiser;

  constructor(
    readonly residual: GridSize,
    readonly latent: { readonly height: number; readonly width: number },
    readonly inFeatures: number,
  ) {
    this.schedule = new LoraDenoiser(residual, latent);
  }

  /** What the model draws (its clean latent) for a prompt with weight Wᵀ. */
  cleanLatent(weightTransposed: ArrayLike<number>, pictureLatent: Float32Array, embedding: ArrayLike<number>): Float32Array {
    const residual = resizeResidual(residualOf(weightTransposed, embedding, { embeddingSize: this.inFeatures, residual: this.residual }), this.residual, this.latent);
    return pictureLatent.map((value, i) => value + residual[i]);
  }

  /** lossWeight · snrWeight · mean((ε̂ − ε)²), its gradient with respect to Wᵀ (× gradientScale) added into `into`. */
  lossAndGradient(weightTransposed: Float32Array, example: UnetWeightExample, draw: NoiseDraw, options: { readonly minSnrGamma?: number; readonly gradientScale: number }, into: Float64Array): number {
    const sigma = this.schedule.sigma(draw.timestep);
    const c = Math.sqrt(1 + sigma * sigma);
    const snrWeight = options.minSnrGamma === undefined ? 1 : Math.min(1, options.minSnrGamma * sigma * sigma);
    const weight = example.lossWeight * snrWeight;
    const sample = this.schedule.noisySample(example.cleanLatent, draw);
    const x0 = this.cleanLatent(weightTransposed, example.pictureLatent, example.embedding);
    const n = x0.length;
    let squares = 0;
    const gradientOnGrid = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const error = (c * sample[j] - x0[j]) / sigma - draw.noise[j];
      squares += error * error;
      // ∂/∂x0 of (ε̂ − ε)² is 2(ε̂ − ε)·(−1/σ).
      gradientOnGrid[j] = (options.gradientScale * weight * 2 * error) / (n * -sigma);
    }
    const gradientResidual = resizeResidualAdjoint(gradientOnGrid, this.residual, this.latent);
    const out = gradientResidual.length;
    for (let i = 0; i < this.inFeatures; i++) {
      const e = example.embedding[i];
      if (e === 0) continue;
      for (let o = 0; o < out; o++) into[i * out + o] += e * gradientResidual[o];
    }
    return (weight * squares) / n;
  }
}
