// The trainable demo UNet with a frozen, pretrained residual layer W, as a function of the new
// token's vectors x_v: x0 = fixed(prompt) + resize(W·e), e = (ordinarySum + Σ_v k_v·x_v) / count.
// ε̂ = (c·x_t − x0)/σ is linear in e, so ∂loss/∂x_v = (k_v/count)·Wᵀ·resizeᵀ(g) exactly, g being
// the loss gradient with respect to x0 on the latent grid.
import { residualOf, resizeResidual, resizeResidualAdjoint, type GridSize } from '@atelier/demo-model';
import { LoraDenoiser, type NoiseDraw } from './lora-denoiser.js';
import type { PromptTerms } from './textual-inversion-base.js';

export interface EmbeddingExample extends PromptTerms {
  /** The data's clean latent x0 (the image encoded). */
  readonly cleanLatent: Float32Array;
  readonly lossWeight: number;
}

export class EmbeddingDenoiser {
  /** σ, x_t and the timestep table are the LoRA denoiser's: the UNet is the same. */
  private readonly schedule: LoraDenoiser;
  readonly latentSize: number;

  constructor(
    readonly residual: GridSize,
    readonly latent: { readonly height: number; readonly width: number },
    private readonly weightTransposed: Float32Array,
    readonly embeddingSize: number,
  ) {
    this.schedule = new LoraDenoiser(residual, latent);
    this.latentSize = this.schedule.latentSize;
  }

  get trainTimesteps(): number {
    return this.schedule.trainTimesteps;
  }

  /** e of the prompt with the current vectors ([numVectors, embeddingSize] row-major). */
  embedding(vectors: ArrayLike<number>, terms: PromptTerms): Float64Array {
    const e = Float64Array.from(terms.ordinarySum);
    terms.occurrences.forEach((times, v) => {
      if (times === 0) return;
      for (let k = 0; k < this.embeddingSize; k++) e[k] += times * vectors[v * this.embeddingSize + k];
    });
    const count = Math.max(terms.count, 1);
    return e.map((value) => value / count);
  }

  /** What the model draws (its clean latent) for the prompt with the current vectors. */
  cleanLatent(vectors: ArrayLike<number>, terms: PromptTerms): Float32Array {
    const residual = resizeResidual(residualOf(this.weightTransposed, this.embedding(vectors, terms), { embeddingSize: this.embeddingSize, residual: this.residual }), this.residual, this.latent);
    return terms.fixedLatent.map((value, i) => value + residual[i]);
  }

  /** lossWeight · snrWeight · mean((ε̂ − ε)²); its gradient with respect to the vectors, × gradientScale, is added into `into`. */
  lossAndGradient(vectors: ArrayLike<number>, example: EmbeddingExample, draw: NoiseDraw, options: { readonly minSnrGamma?: number; readonly gradientScale: number }, into: Float64Array): number {
    const sigma = this.schedule.sigma(draw.timestep);
    const c = Math.sqrt(1 + sigma * sigma);
    const snrWeight = options.minSnrGamma === undefined ? 1 : Math.min(1, options.minSnrGamma * sigma * sigma);
    const weight = example.lossWeight * snrWeight;
    const sample = this.schedule.noisySample(example.cleanLatent, draw);
    const x0 = this.cleanLatent(vectors, example);
    const n = x0.length;
    let squares = 0;
    const gradientOnGrid = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const error = (c * sample[j] - x0[j]) / sigma - draw.noise[j];
      squares += error * error;
      gradientOnGrid[j] = (options.gradientScale * weight * 2 * error) / (n * -sigma);
    }
    const gradientResidual = resizeResidualAdjoint(gradientOnGrid, this.residual, this.latent);
    const out = gradientResidual.length;
    const gradientE = new Float64Array(this.embeddingSize);
    for (let i = 0; i < this.embeddingSize; i++) {
      let sum = 0;
      for (let o = 0; o < out; o++) sum += this.weightTransposed[i * out + o] * gradientResidual[o];
      gradientE[i] = sum;
    }
    const count = Math.max(example.count, 1);
    example.occurrences.forEach((times, v) => {
      if (times === 0) return;
      for (let k = 0; k < this.embeddingSize; k++) into[v * this.embeddingSize + k] += (times / count) * gradientE[k];
    });
    return (weight * squares) / n;
  }
}
