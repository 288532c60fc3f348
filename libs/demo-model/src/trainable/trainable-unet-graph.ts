import { attr } from '@atelier/onnx-graph';
import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { appendExactDenoiser, type DemoPredictionType } from '../denoiser-graph.js';
import { UNET_IO, appendLatentFromSignedRgb, appendSignedTargetRgb } from '../unet-graph.js';
import { TRAINABLE_LAYER, residualWeightShape, type TrainableDemoContract } from './trainable-contract.js';

export type TrainableUnetOptions = Pick<TrainableDemoContract, 'embeddingOffset' | 'embeddingSize' | 'residual' | 'scalingFactor' | 'hiddenSize'> & {
  readonly predictionType: DemoPredictionType;
  /** Wᵀ, [in, out] row-major; zeros (the plain demo pictures) when omitted. */
  readonly weightTransposed?: Float32Array;
};

/**
 * The demo UNet with one learnable layer: an exact denoiser of x0 = target(prompt) + R, where
 * R = reshape(W · e) is a residual picture on a fixed latent grid, resized (bilinear, half_pixel,
 * the identity at the native size) to the sample's grid. W is an ordinary exported Linear layer,
 * so merging a LoRA into it adds (alpha/rank)·up·down·e to every picture.
 */
export function buildTrainableUnetGraph(options: TrainableUnetOptions): GraphBuilder {
  const { out, in: inFeatures } = residualWeightShape(options);
  const weights = options.weightTransposed ?? new Float32Array(inFeatures * out);
  if (weights.length !== inFeatures * out) throw new Error(`W must have ${inFeatures * out} values, got ${weights.length}`);
  const g = new GraphBuilder({ name: 'trainable_demo_unet', docString: 'Atelier trainable demo UNet: exact denoiser of the prompt picture plus W·e.' });
  const ops = new Ops(g);
  const sample = g.input(UNET_IO.sample, 'float32', ['batch_size', 4, 'height', 'width']);
  const timestep = g.input(UNET_IO.timestep, 'float32', []);
  const hidden = g.input(UNET_IO.encoderHiddenStates, 'float32', ['batch_size', 'sequence_length', options.hiddenSize]);

  const pooled = ops.reduceMean(hidden, [1], false);
  const target = appendLatentFromSignedRgb(ops, sample, appendSignedTargetRgb(ops, sample, pooled), options.scalingFactor);

  const embedding = ops.slice(pooled, [options.embeddingOffset], [options.embeddingOffset + options.embeddingSize], [1]);
  const weight = g.initializer(float32Literal(weights, [inFeatures, out]), TRAINABLE_LAYER.initializer);
  if (weight !== TRAINABLE_LAYER.initializer) throw new Error(`initializer name ${TRAINABLE_LAYER.initializer} was taken`);
  const [flat] = g.node('MatMul', [embedding, weight], {}, { name: TRAINABLE_LAYER.node });
  const { channels, height, width } = options.residual;
  const residual = ops.reshape(flat, [-1, channels, height, width]);
  const onGrid = g.node('Resize', [residual, '', '', ops.shape(sample)], {
    mode: attr.string('linear'),
    coordinate_transformation_mode: attr.string('half_pixel'),
  })[0];

  const x0 = ops.add(target, onGrid);
  g.output(UNET_IO.output, 'float32', ['batch_size', 4, 'height', 'width'], appendExactDenoiser(ops, { sample, timestep, x0 }, options.predictionType));
  return g;
}
