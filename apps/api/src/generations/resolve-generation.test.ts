import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException } from '@nestjs/common';
import { generationRequestSchema, RESOLVED_GENERATION_VERSION, type GenerationRequestInput } from '@atelier/contracts';
import type { ModelSummary } from '@atelier/queue';
import { lorasForTenant, resolveGeneration, type ResolutionContext } from './resolve-generation.js';

const SD15: ModelSummary = {
  id: 'demo-sd15',
  family: 'sd15',
  variant: null,
  variant_evidence: null,
  prediction_type: 'epsilon',
  default_width: 512,
  default_height: 512,
  default_scheduler: 'Euler',
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
/** A Turbo-like model as a worker reports it: its variant's defaults (1 step, no guidance). */
const TURBO: ModelSummary = { ...SD15, id: 'sdxl-turbo', family: 'sdxl', variant: 'sdxl-turbo', variant_evidence: 'model id=sdxl-turbo', default_steps: 1, default_guidance_scale: 0, timestep_spacing: 'trailing' };

/** What the farm's catalog says, in memory: one model, the LoRAs workers announced (`<tenant>/<name>` for private ones). */
function context(announced: readonly string[] = ['public-ink', 'alpha/secret'], tenant = 'alpha'): ResolutionContext {
  return {
    models: new Map([
      [SD15.id, SD15],
      [TURBO.id, TURBO],
    ]),
    loras: lorasForTenant(announced, tenant),
    defaultModel: SD15.id,
    maxPixels: 2048 * 2048,
    maxUpscalePixels: 8192 * 8192,
    onnxModels: () => new Map(),
    webhookProblem: (url) => (url.startsWith('https://') ? undefined : 'only https'),
    randomSeed: () => 42,
    onnxModel: () => undefined,
    onnxNames: () => [],
  };
}

const parse = (body: GenerationRequestInput) => generationRequestSchema().parse(body);

/** The field names a refusal lists. */
function refusedFields(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HttpException);
    assert.equal(error.getStatus(), 400);
    return (error.getResponse() as { error: { details: Array<{ field: string }> } }).error.details.map((detail) => detail.field);
  }
  assert.fail('expected a refusal');
}

describe('resolveGeneration (every entry point’s request → the complete job a worker runs; in-memory catalog)', () => {
  it('fixes every default: model, size from the model, seed drawn', () => {
    const { request } = resolveGeneration(parse({ prompt: 'a red circle' }), context());
    assert.equal(request.v, RESOLVED_GENERATION_VERSION);
    assert.equal(request.model, 'demo-sd15');
    assert.equal(request.width, 512);
    assert.equal(request.height, 512);
    assert.equal(request.seed, 42);
    assert.equal(request.samples, 1);
    assert.equal(request.output_format, 'png');
  });

  it("takes steps and guidance from the model when the request leaves them out; the request's own values win", () => {
    const plain = resolveGeneration(parse({ prompt: 'a red circle' }), context()).request;
    assert.deepEqual([plain.num_inference_steps, plain.guidance_scale], [25, 7.5]);
    const turbo = resolveGeneration(parse({ prompt: 'a red circle', model: 'sdxl-turbo' }), context()).request;
    assert.deepEqual([turbo.num_inference_steps, turbo.guidance_scale], [1, 0]);
    const explicit = resolveGeneration(parse({ prompt: 'a red circle', model: 'sdxl-turbo', num_inference_steps: 4, guidance_scale: 1.5 }), context()).request;
    assert.deepEqual([explicit.num_inference_steps, explicit.guidance_scale], [4, 1.5]);
    const zero = resolveGeneration(parse({ prompt: 'a red circle', guidance_scale: 0 }), context()).request;
    assert.equal(zero.guidance_scale, 0, 'an explicit 0 is a value, not an absence');
  });

  it('applies the style and takes <lora:…> tags out of the text the encoders read; the written prompt stays as sent', () => {
    const body = parse({ prompt: 'a red circle <lora:public-ink:0.7>', negative_prompt: 'blurry', style: 'photographic', loras: [{ name: 'secret', weight: 1 }] });
    const { request } = resolveGeneration(body, context());
    assert.equal(request.prompt, 'a red circle <lora:public-ink:0.7>');
    assert.ok(!request.conditioning.prompt.includes('<lora:'));
    assert.ok(request.styled.prompt.includes('<lora:public-ink:0.7>'), 'the infotext text keeps the tag');
    assert.ok(request.conditioning.prompt.includes('a red circle') && request.conditioning.prompt !== 'a red circle', request.conditioning.prompt);
    assert.ok(request.conditioning.negative_prompt.startsWith('blurry, '), 'the style adds its negative prompt');
    assert.deepEqual(request.loras, [{ name: 'secret', weight: 1 }, { name: 'public-ink', weight: 0.7 }]);
  });

  it("refuses another tenant's private LoRA exactly like a missing one, in the list and in either prompt, naming each field", () => {
    const body = parse({ prompt: 'x <lora:secret:1>', negative_prompt: '<lora:secret>', loras: [{ name: 'public-ink', weight: 1 }, { name: 'secret', weight: 1 }] });
    assert.deepEqual(refusedFields(() => resolveGeneration(body, context(['public-ink', 'alpha/secret'], 'beta'))), ['loras.1.name', 'prompt', 'negative_prompt']);
    assert.deepEqual(refusedFields(() => resolveGeneration(body, context(['public-ink'], 'alpha'))), ['loras.1.name', 'prompt', 'negative_prompt']);
  });

  it('reports every problem at once under the caller’s field prefix (a batch item)', () => {
    const body = parse({ prompt: 'x <lora:bad:heavy>', style: 'no-such-style', scheduler: 'NoSuchSampler', img_width: 520, webhook: { url: 'http://example.com' } });
    const sized = { ...body, img_width: 516 };
    assert.deepEqual(refusedFields(() => resolveGeneration(sized, context(), 'requests.3.')).sort(), ['requests.3.img_width', 'requests.3.prompt', 'requests.3.scheduler', 'requests.3.style', 'requests.3.webhook.url']);
  });

  it('accepts a finished training’s model_id (lora:<name>) wherever a LoRA is named, and pipeline:<id> as the model', () => {
    const body = parse({
      model: 'pipeline:demo-sd15',
      prompt: 'x <lora:lora:public-ink:0.6>',
      loras: [{ name: 'lora:secret', weight: 0.9 }],
    });
    const { request } = resolveGeneration(body, context());
    assert.equal(request.model, 'demo-sd15');
    // The job carries the LoRA names workers resolve, whichever form the client wrote.
    assert.deepEqual(request.loras, [{ name: 'secret', weight: 0.9 }, { name: 'public-ink', weight: 0.6 }]);
    // The id and the bare name are one LoRA: a later mention sets the weight.
    const both = resolveGeneration(parse({ prompt: 'x <lora:secret:0.3>', loras: [{ name: 'lora:secret', weight: 1 }] }), context()).request;
    assert.deepEqual(both.loras, [{ name: 'secret', weight: 0.3 }]);
    // Another tenant's private LoRA stays unknown in the id form too.
    assert.deepEqual(refusedFields(() => resolveGeneration(parse({ prompt: 'x <lora:lora:secret>', loras: [{ name: 'lora:secret', weight: 1 }] }), context(['alpha/secret'], 'beta'))), [
      'loras.0.name',
      'prompt',
    ]);
  });

  it('a LoRA id given as the model is refused with a pointer to loras', () => {
    assert.throws(
      () => resolveGeneration(parse({ model: 'lora:secret', prompt: 'x' }), context()),
      (error: unknown) => error instanceof HttpException && /is a LoRA, not a model: name it in loras/.test(JSON.stringify(error.getResponse())),
    );
  });

  it('refuses an unknown model naming what is served, and a canvas over the pixel limit', () => {
    assert.deepEqual(refusedFields(() => resolveGeneration(parse({ prompt: 'x', model: 'nope' }), context())), ['model']);
    const tight = { ...context(), maxPixels: 1024 * 1024 };
    assert.deepEqual(refusedFields(() => resolveGeneration(parse({ prompt: 'x', img_width: 1024, img_height: 1024, init_image: 'https://example.com/a.png', outpaint: { left: 64 } }), tight)), ['outpaint']);
    assert.deepEqual(refusedFields(() => resolveGeneration(parse({ prompt: 'x', img_width: 1024, img_height: 1032 }), tight)), ['img_width']);
  });
});

describe('lorasForTenant', () => {
  it('offers public names and the tenant’s own private names, never another tenant’s', () => {
    assert.deepEqual([...lorasForTenant(['ink', 'alpha/secret', 'beta/other', 'alpha/ink'], 'alpha')].sort(), ['ink', 'secret']);
    assert.deepEqual([...lorasForTenant(['ink', 'alpha/secret'], 'beta')], ['ink']);
  });
});
