// The parts of a trainable demo model folder the built-in engine reads: its contract, the base
// W of the learnable layer, and the text encoder, run through the generation pipeline's own
// tokenizer and chunking so training sees the prompt embeddings generation will see.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelGraph, OnnxModel } from '@atelier/adapters';
import { readTrainableContract, residualWeightShape, type TrainableDemoContract } from '@atelier/demo-model';
import { encodeChunks } from '@atelier/diffusion';
import { ClipTokenizer, tokenizeWeightedPrompt } from '@atelier/diffusion';

export interface TrainableBase {
  readonly contract: TrainableDemoContract;
  /** Base Wᵀ [in, out] as stored in the UNet. */
  readonly weightTransposed: Float32Array;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Mean of encoder_hidden_states over the sequence, per prompt (what the UNet reduces to). */
  encode(prompt: string): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export async function openTrainableBase(dir: string): Promise<TrainableBase> {
  const contract = await readTrainableContract(dir);
  const unet = await OnnxModel.load(join(dir, 'unet', 'model.onnx'));
  const slot = new ModelGraph(unet).weightSlot(contract.module);
  const { out, in: inFeatures } = residualWeightShape(contract);
  if (slot === undefined || slot.initializer !== contract.initializer || slot.layout !== 'in-out' || slot.dims.join(',') !== `${inFeatures},${out}`) {
    throw new Error(`${dir}: the UNet has no [${inFeatures}, ${out}] MatMul weight ${contract.initializer} for module ${contract.module}`);
  }
  const weightTransposed = await unet.readFloat32(slot.initializer);
  const tokenizer = await ClipTokenizer.fromFolder(join(dir, 'tokenizer'));
  const session = await ort.InferenceSession.create(join(dir, 'text_encoder', 'model.onnx'), { executionProviders: ['cpu'] });
  const cache = new Map<string, Float32Array>();

  return {
    contract,
    weightTransposed,
    inFeatures,
    outFeatures: out,
    async encode(prompt) {
      const known = cache.get(prompt);
      if (known !== undefined) return known;
      const { hidden, sequence, channels } = await encodeChunks(session, tokenizeWeightedPrompt(tokenizer, prompt).chunks);
      const pooled = new Float64Array(channels);
      for (let s = 0; s < sequence; s++) for (let k = 0; k < channels; k++) pooled[k] += hidden[s * channels + k];
      const mean = Float32Array.from(pooled, (sum) => sum / sequence);
      cache.set(prompt, mean);
      return mean;
    },
    dispose: () => session.release(),
  };
}
