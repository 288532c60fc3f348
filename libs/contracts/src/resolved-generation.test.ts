import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationParameters, readResolvedGeneration, RESOLVED_GENERATION_VERSION } from './resolved-generation.js';

/** A request as APIs before v2 stored it (no `v`, no `conditioning`): the worker styled and re-read tags. */
const V1 = {
  model: 'demo-sd15',
  prompt: 'a red circle <lora:ink:0.5>',
  negative_prompt: 'blurry <lora:grain:0.2>',
  style: 'photographic',
  samples: 1,
  num_inference_steps: 20,
  guidance_scale: 7.5,
  strength: 0.8,
  high_noise_fraction: 0.8,
  seed: 7,
  width: 512,
  height: 512,
  refiner: false,
  loras: [{ name: 'ink', weight: 0.5 }, { name: 'grain', weight: 0.2 }],
  base64: false,
  mask_blur: 0,
  output_format: 'png',
  output_quality: 90,
};

describe('stored resolved requests: one reader, older versions upgraded', () => {
  it('upgrades a v1 request to what the v2 resolver writes: style applied, tags out of the text, LoRA list complete', () => {
    const upgraded = readResolvedGeneration(V1);
    assert.equal(upgraded.v, RESOLVED_GENERATION_VERSION);
    assert.ok(upgraded.conditioning.prompt.includes('a red circle'), upgraded.conditioning.prompt);
    assert.notEqual(upgraded.conditioning.prompt, 'a red circle', 'the photographic style wraps the prompt');
    assert.ok(!upgraded.conditioning.prompt.includes('<lora:'), upgraded.conditioning.prompt);
    assert.ok(upgraded.conditioning.negative_prompt.startsWith('blurry'), upgraded.conditioning.negative_prompt);
    assert.ok(!upgraded.conditioning.negative_prompt.includes('<lora:'), upgraded.conditioning.negative_prompt);
    assert.deepEqual(upgraded.loras, [{ name: 'ink', weight: 0.5 }, { name: 'grain', weight: 0.2 }]);
    assert.equal(upgraded.prompt, V1.prompt, 'what the client wrote stays as written');
    assert.ok(upgraded.styled.prompt.includes('<lora:ink:0.5>'), 'the infotext text keeps the tag where it was written');
    assert.deepEqual(stripUndefined(generationParameters(upgraded)), V1, 'clients see the same parameters as before the upgrade');
  });

  it('fills the defaults v1 records could leave out and lets a tag written later set the weight (as v1 workers did)', () => {
    const { loras: _loras, mask_blur: _blur, output_format: _format, output_quality: _quality, ...sparse } = V1;
    const upgraded = readResolvedGeneration({ ...sparse, prompt: 'x <lora:ink:0.9>', negative_prompt: '' });
    assert.deepEqual(upgraded.loras, [{ name: 'ink', weight: 0.9 }]);
    assert.equal(upgraded.mask_blur, 0);
    assert.equal(upgraded.output_format, 'png');
    assert.equal(upgraded.output_quality, 90);
  });

  it('reads a v2 request as written, and refuses a v1 request it cannot upgrade or one without a size', () => {
    const v2 = readResolvedGeneration(V1);
    assert.deepEqual(readResolvedGeneration(JSON.parse(JSON.stringify(v2))), stripUndefined(v2));
    assert.throws(() => readResolvedGeneration({ ...V1, style: 'no-such-style' }), /cannot be upgraded|Unknown style/);
    const { width: _width, ...sizeless } = V1;
    assert.throws(() => readResolvedGeneration(sizeless));
  });

  it('leaves what only workers read out of the client-visible parameters', () => {
    const parameters = generationParameters(readResolvedGeneration(V1));
    assert.ok(!('v' in parameters));
    assert.ok(!('conditioning' in parameters));
    assert.ok(!('styled' in parameters));
    assert.equal(parameters.width, 512);
  });

  it('upgrades v2 (before ControlNets) and v3 (before IP-Adapters) requests to v4 unchanged, and keeps a v3 request with ControlNets as written', () => {
    const v4 = readResolvedGeneration(V1);
    const { v: _v, ...rest } = stripUndefined(v4);
    for (const old of [2, 3]) {
      const upgraded = readResolvedGeneration({ ...rest, v: old });
      assert.equal(upgraded.v, RESOLVED_GENERATION_VERSION);
      assert.equal(upgraded.v, 4);
      assert.deepEqual(stripUndefined(upgraded), stripUndefined(v4));
    }
    const unit = { model: 'canny', image: 'https://example.com/c.png', preprocessor: 'canny', preprocessor_options: { low_threshold: 50 }, conditioning_scale: 0.7, guidance_start: 0, guidance_end: 0.5 };
    const withControl = readResolvedGeneration({ ...rest, v: 3, controlnets: [unit], guess_mode: true });
    assert.deepEqual(withControl.controlnets, [unit]);
    assert.deepEqual(generationParameters(withControl).controlnets, [unit], 'clients see the ControlNets they asked for');
  });

  it('keeps a v4 image prompt and routing requirement; clients see the image prompt, not the requirement', () => {
    const { v: _v, ...rest } = stripUndefined(readResolvedGeneration(V1));
    const ipAdapter = { model: 'ip-sd15', images: ['https://example.com/a.png', 'aGVsbG8='], scale: 0.6 };
    const onnxModels = [{ kind: 'ip_adapter', name: 'alpha/ip-sd15' }];
    const stored = readResolvedGeneration({ ...rest, v: 4, ip_adapter: ipAdapter, onnx_models: onnxModels });
    assert.deepEqual([stored.ip_adapter, stored.onnx_models], [ipAdapter, onnxModels]);
    const parameters = generationParameters(stored);
    assert.deepEqual(parameters.ip_adapter, ipAdapter);
    assert.ok(!('onnx_models' in parameters));
  });
  it('keeps v4 chained steps and their routing requirement; clients see the steps, not the requirement', () => {
    const { v: _v, ...rest } = stripUndefined(readResolvedGeneration(V1));
    const steps = { upscale: { model: 'x4', scale: 2 }, face_restore: { model: 'cf', detector: 'scrfd', fidelity: 0.5, visibility: 1 }, onnx_models: [{ kind: 'upscaler', name: 'x4' }] };
    const v4 = readResolvedGeneration({ ...rest, v: 4, ...steps });
    assert.deepEqual([v4.upscale, v4.face_restore, v4.onnx_models], [steps.upscale, steps.face_restore, steps.onnx_models]);
    const parameters = generationParameters(v4);
    assert.ok(!('onnx_models' in parameters), 'routing names are for workers only');
    assert.deepEqual(parameters.upscale, steps.upscale);
  });
});

function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
