// A DreamBooth result as a checkpoint in original Stable Diffusion names (what kohya's train_db.py
// saves and `npm run refit` / refitModelFolder reads): here the trainable demo UNet's one learnable
// Linear, `model.diffusion_model.middle_block.1.proj_out.weight`, W in PyTorch order [out, in].
import { float32Tensor, parseSafetensors, serializeSafetensors, tensorToFloat32 } from '@atelier/model-formats';
import { CheckpointMismatchError } from '../builtin/optimizer-state.js';

export const DEMO_UNET_CHECKPOINT_KEY = 'model.diffusion_model.middle_block.1.proj_out.weight';

export interface UnetWeight {
  /** Wᵀ [in, out], as the ONNX initializer stores it. */
  readonly weightTransposed: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export function serializeUnetCheckpoint(weight: UnetWeight, metadata: Readonly<Record<string, string>>): Uint8Array {
  const { inFeatures, outFeatures, weightTransposed } = weight;
  const pytorch = new Float32Array(outFeatures * inFeatures);
  for (let i = 0; i < inFeatures; i++) for (let o = 0; o < outFeatures; o++) pytorch[o * inFeatures + i] = weightTransposed[i * outFeatures + o];
  return serializeSafetensors({ [DEMO_UNET_CHECKPOINT_KEY]: float32Tensor(pytorch, [outFeatures, inFeatures]) }, { format: 'pt', ...metadata });
}

/** Wᵀ from a checkpoint written by serializeUnetCheckpoint, checked against the expected shape. */
export function parseUnetCheckpoint(bytes: Uint8Array, shape: { readonly inFeatures: number; readonly outFeatures: number }): UnetWeight {
  let file;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    throw new CheckpointMismatchError(`the UNet checkpoint is not safetensors (${(error as Error).message})`);
  }
  const tensor = file.tensors.get(DEMO_UNET_CHECKPOINT_KEY);
  if (tensor === undefined) throw new CheckpointMismatchError(`the UNet checkpoint has no ${DEMO_UNET_CHECKPOINT_KEY}`);
  if (tensor.shape.join(',') !== `${shape.outFeatures},${shape.inFeatures}`) throw new CheckpointMismatchError(`${DEMO_UNET_CHECKPOINT_KEY} is [${tensor.shape.join(', ')}], expected [${shape.outFeatures}, ${shape.inFeatures}]`);
  const pytorch = tensorToFloat32(tensor);
  const weightTransposed = new Float32Array(shape.inFeatures * shape.outFeatures);
  for (let o = 0; o < shape.outFeatures; o++) for (let i = 0; i < shape.inFeatures; i++) weightTransposed[i * shape.outFeatures + o] = pytorch[o * shape.inFeatures + i];
  return { weightTransposed, ...shape };
}
