import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../../models/loaded-model.js';

export type AcquireSession = (file: string | undefined, what: string) => Promise<ort.InferenceSession>;

export interface ConditioningRequest {
  readonly model: LoadedModel;
  readonly unet: ort.InferenceSession;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Images in the batch (samples). */
  readonly batch: number;
  /** Classifier-free guidance doubles the batch: negative rows first, then positive. */
  readonly useGuidance: boolean;
  readonly width: number;
  readonly height: number;
  readonly guidanceScale: number;
  readonly acquire: AcquireSession;
}

/** Everything the UNet needs besides sample and timestep, batched and in the UNet's dtypes. */
export interface UnetConditioning {
  readonly encoderHiddenStates: ort.Tensor;
  readonly extra: Readonly<Record<string, ort.Tensor>>;
}
