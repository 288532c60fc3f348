import assert from 'node:assert/strict';
import { test } from 'node:test';
import { float32Tensor, serializeSafetensors, type TensorInput } from '@atelier/model-formats';
import { LoraFileError, validateLoraFile } from './validate-lora-file.js';

const PREFIX = 'lora_unet_mid_block_attentions_0_proj_out';

function lora(overrides: Record<string, TensorInput | undefined> = {}, metadata: Record<string, string> = { ss_network_dim: '2' }): Uint8Array {
  const tensors: Record<string, TensorInput> = {};
  const base: Record<string, TensorInput> = {
    [`${PREFIX}.lora_down.weight`]: float32Tensor(new Float32Array(2 * 8).fill(0.1), [2, 8]),
    [`${PREFIX}.lora_up.weight`]: float32Tensor(new Float32Array(6 * 2).fill(0.2), [6, 2]),
    [`${PREFIX}.alpha`]: float32Tensor(Float32Array.of(1), []),
  };
  for (const [name, tensor] of Object.entries({ ...base, ...overrides })) if (tensor !== undefined) tensors[name] = tensor;
  return serializeSafetensors(tensors, metadata);
}

test('a complete kohya module passes and is described', () => {
  const validated = validateLoraFile(lora(), { rank: 2, requiredModules: [PREFIX], requiredMetadata: ['ss_network_dim'] });
  assert.deepEqual(validated.modules, [{ prefix: PREFIX, rank: 2, inFeatures: 8, outFeatures: 6, alpha: 1 }]);
});

test('each defect is refused with a reason naming it', () => {
  const cases: [Uint8Array, RegExp, Parameters<typeof validateLoraFile>[1]?][] = [
    [new TextEncoder().encode('not a safetensors file'), /not a valid safetensors file/],
    [lora({ [`${PREFIX}.lora_up.weight`]: undefined }), /needs both lora_down.weight and lora_up.weight/],
    [lora({ [`${PREFIX}.lora_up.weight`]: float32Tensor(new Float32Array(6 * 3), [6, 3]) }), /do not form a rank-2 product/],
    [lora({ 'model.diffusion_model.out.weight': float32Tensor(new Float32Array(1), [1]) }), /unexpected tensor model\.diffusion_model\.out\.weight/],
    [lora({ [`${PREFIX}.lora_down.weight`]: float32Tensor(new Float32Array(16).fill(Number.NaN), [2, 8]) }), /NaN or infinite/],
    [lora(), /has rank 2, expected 4/, { rank: 4 }],
    [lora(), /module lora_unet_other is missing/, { requiredModules: ['lora_unet_other'] }],
    [lora({}, {}), /metadata ss_network_dim is missing/, { requiredMetadata: ['ss_network_dim'] }],
    [serializeSafetensors({}), /no LoRA tensors/],
  ];
  for (const [bytes, reason, expectations] of cases) {
    assert.throws(() => validateLoraFile(bytes, expectations), (error: unknown) => error instanceof LoraFileError && reason.test(error.message), String(reason));
  }
});
