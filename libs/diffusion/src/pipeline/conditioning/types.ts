import type * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../../models/loaded-model.js';
import type { ChunkingTokenizer } from '../../text/prompt-chunks.js';

export type AcquireSession = (file: string | undefined, what: string) => Promise<ort.InferenceSession>;

export interface ConditioningRequest {
  readonly model: LoadedModel;
  readonly unet: ort.InferenceSession;
  /** Text encoders as this request sees them (with its LoRAs and embeddings merged). */
  readonly textEncoder?: ort.InferenceSession;
  readonly textEncoder2?: ort.InferenceSession;
  /** Tokenizers that also emit the request's textual-inversion tokens. */
  readonly tokenizer: ChunkingTokenizer;
  readonly tokenizer2?: ChunkingTokenizer;
  readonly prompt: string;
  readonly negativePrompt: string;
  /** Images in the batch (samples). */
  readonly batch: number;
  /** Classifier-free guidance doubles the batch: negative rows first, then positive. */
  readonly useGuidance: boolean;
  readonly width: number;
  readonly height: number;
  readonly guidanceScale: number;
}

/** Everything the UNet needs besides sample and timestep, batched and in the UNet's dtypes. */
export interface UnetConditioning {
  readonly encoderHiddenStates: ort.Tensor;
  readonly extra: Readonly<Record<string, ort.Tensor>>;
}
