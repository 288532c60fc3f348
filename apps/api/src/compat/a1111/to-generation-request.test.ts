import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '@atelier/contracts';
import type { ModelSummary } from '@atelier/queue';
import { txt2imgRequestSchema } from './a1111-request.schema.js';
import { A1111_DEFAULTS, toGenerationRequest } from './to-generation-request.js';

const PLAIN: ModelSummary = {
  id: 'sd15',
  family: 'sd1',
  variant: null,
  variant_evidence: null,
  prediction_type: 'epsilon',
  default_width: 512,
  default_height: 512,
  default_scheduler: 'pndm',
  default_steps: 25,
  default_guidance_scale: 7.5,
  size_multiple: 8,
  refiner: null,
  inpainting: false,
  controlnet: false,
  ip_unet: false,
  ip_controlnet: false,
  cross_attention_dim: 768,
  description: '',
};
const TURBO: ModelSummary = { ...PLAIN, id: 'sdxl-turbo', family: 'sdxl', variant: 'sdxl-turbo', variant_evidence: 'model id=sdxl-turbo', default_steps: 1, default_guidance_scale: 0 };
const context = { models: new Map([PLAIN, TURBO].map((model) => [model.id, model])), defaultModel: PLAIN.id, maxSamples: 8 };
const body = (fields: Record<string, unknown>) => txt2imgRequestSchema(DEFAULT_LIMITS).parse({ prompt: 'a cat', ...fields });

describe('A1111 txt2img → native request: steps and CFG defaults', () => {
  it("a plain model keeps A1111's own defaults; a distilled variant gets its detected ones; the body's values always win", () => {
    const plain = toGenerationRequest('txt2img', body({}), context).request;
    assert.deepEqual([plain.num_inference_steps, plain.guidance_scale], [A1111_DEFAULTS.steps, A1111_DEFAULTS.cfg_scale]);
    const turbo = toGenerationRequest('txt2img', body({ override_settings: { sd_model_checkpoint: 'sdxl-turbo' } }), context).request;
    assert.deepEqual([turbo.num_inference_steps, turbo.guidance_scale], [1, 0]);
    const explicit = toGenerationRequest('txt2img', body({ override_settings: { sd_model_checkpoint: 'sdxl-turbo' }, steps: 4, cfg_scale: 1 }), context).request;
    assert.deepEqual([explicit.num_inference_steps, explicit.guidance_scale], [4, 1]);
  });
});
