import { GraphBuilder } from '@atelier/onnx-graph';
import { Ops } from '@atelier/onnx-graph';
import { float32Literal } from '@atelier/onnx-graph';
import { appendExactDenoiser, type DemoPredictionType } from './denoiser-graph.js';
import { UNET_IO } from './unet-graph.js';

export interface ExactDenoiserUnetOptions {
  readonly predictionType: DemoPredictionType;
  /** The clean latent every call denoises towards, [channels, height, width], broadcast over the batch. */
  readonly target: Float32Array;
  readonly height: number;
  readonly width: number;
  /** Latent channels; 4 for SD 1.x. */
  readonly channels?: number;
  /** Width of the (ignored) encoder_hidden_states input. */
  readonly hiddenSize?: number;
}

/**
 * A prompt-independent UNet with the same I/O as a real export that is an exact denoiser for one
 * fixed latent: for scheduler oracle tests, a correct sampler must end (near) `target`.
 */
export function buildExactDenoiserUnetGraph(options: ExactDenoiserUnetOptions): GraphBuilder {
  const channels = options.channels ?? 4;
  const { height, width } = options;
  const g = new GraphBuilder({ name: 'exact_denoiser_unet' });
  const ops = new Ops(g);
  const sample = g.input(UNET_IO.sample, 'float32', ['batch_size', channels, height, width]);
  const timestep = g.input(UNET_IO.timestep, 'float32', []);
  g.input(UNET_IO.encoderHiddenStates, 'float32', ['batch_size', 'sequence_length', options.hiddenSize ?? 768]);
  const x0 = g.initializer(float32Literal(options.target, [1, channels, height, width]), 'target');
  const out = appendExactDenoiser(ops, { sample, timestep, x0 }, options.predictionType);
  g.output(UNET_IO.output, 'float32', ['batch_size', channels, height, width], out);
  return g;
}

/** Model bytes (all data inline) for InferenceSession.create. */
export function buildExactDenoiserUnet(options: ExactDenoiserUnetOptions): Uint8Array {
  return buildExactDenoiserUnetGraph(options).encode().model;
}
