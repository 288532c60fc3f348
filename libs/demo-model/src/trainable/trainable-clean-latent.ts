import { conditioningFromSummary } from '../conditioning.js';
import { demoTargetLatent } from '../render-demo-target.js';
import { residualWeightShape, type TrainableDemoContract } from './trainable-contract.js';
import { resizeResidual } from './residual-grid.js';

export type CleanLatentContract = Pick<TrainableDemoContract, 'embeddingOffset' | 'embeddingSize' | 'residual' | 'scalingFactor'>;

/** e, read from a pooled hidden state (the mean of encoder_hidden_states over the sequence). */
export function promptEmbeddingOf(pooled: ArrayLike<number>, contract: CleanLatentContract): Float32Array {
  return Float32Array.from({ length: contract.embeddingSize }, (_, k) => pooled[contract.embeddingOffset + k]);
}

/** R = W·e on the residual's own grid, with W given as the stored Wᵀ [in, out]. */
export function residualOf(weightTransposed: ArrayLike<number>, embedding: ArrayLike<number>, contract: Pick<TrainableDemoContract, 'embeddingSize' | 'residual'>): Float64Array {
  const { out, in: inFeatures } = residualWeightShape(contract);
  const residual = new Float64Array(out);
  for (let i = 0; i < inFeatures; i++) {
    const e = embedding[i];
    if (e === 0) continue;
    for (let o = 0; o < out; o++) residual[o] += e * weightTransposed[i * out + o];
  }
  return residual;
}

/**
 * The clean latent the trainable UNet denoises towards, [4, h, w]: the demo picture the pooled
 * summary describes plus W·e resized to the latent grid (TypeScript mirror of the graph).
 */
export function trainableCleanLatent(
  pooled: ArrayLike<number>,
  weightTransposed: ArrayLike<number>,
  contract: CleanLatentContract,
  latentWidth: number,
  latentHeight: number,
): Float32Array {
  const target = demoTargetLatent(conditioningFromSummary(pooled), latentWidth, latentHeight, contract.scalingFactor);
  const residual = resizeResidual(residualOf(weightTransposed, promptEmbeddingOf(pooled, contract), contract), contract.residual, {
    height: latentHeight,
    width: latentWidth,
  });
  return target.map((value, i) => value + residual[i]);
}
