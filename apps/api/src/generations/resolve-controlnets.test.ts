import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException } from '@nestjs/common';
import { generationRequestSchema, type GenerationRequestInput } from '@atelier/contracts';
import type { AnnouncedControlNet, ModelSummary } from '@atelier/queue';
import { resolveGeneration, type ResolutionContext } from './resolve-generation.js';

const summary = (id: string, family: string, controlnet: boolean, cross: number): ModelSummary => ({
  id,
  family,
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
  controlnet,
  cross_attention_dim: cross,
  description: '',
});
const SD15 = summary('sd15-cn', 'sd1', true, 768);
const SD21 = summary('sd21-cn', 'sd2', true, 1024);
const XL = summary('xl-cn', 'sdxl', true, 2048);
const PLAIN = summary('plain', 'sd1', false, 768);
const NETS: AnnouncedControlNet[] = [
  { name: 'canny15', base: 'sd', cross_attention_dim: 768 },
  { name: 'cannyxl', base: 'sdxl', cross_attention_dim: 2048 },
  { name: 'unknown-width', base: 'sd', cross_attention_dim: null },
];

function context(preprocessorModels: readonly string[] = []): ResolutionContext {
  return {
    models: new Map([SD15, SD21, XL, PLAIN].map((model) => [model.id, model])),
    loras: new Set(),
    defaultModel: SD15.id,
    maxPixels: 2048 * 2048,
    maxUpscalePixels: 8192 * 8192,
    onnxModels: () => new Map(),
    webhookProblem: () => undefined,
    randomSeed: () => 42,
    controlnets: new Map(NETS.map((net) => [net.name, net])),
    preprocessorModels: new Set(preprocessorModels),
  };
}

const IMAGE = 'https://example.com/edges.png';
const parse = (body: GenerationRequestInput) => generationRequestSchema().parse(body);

function refused(run: () => unknown): Array<{ field: string; message: string }> {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof HttpException);
    assert.equal(error.getStatus(), 400);
    return (error.getResponse() as { error: { details: Array<{ field: string; message: string }> } }).error.details;
  }
  assert.fail('expected a refusal');
}

describe('resolveControlNets (through resolveGeneration, in-memory catalog)', () => {
  it('fixes every default of each unit and keeps guess_mode; requests without ControlNets carry neither field', () => {
    const { request } = resolveGeneration(parse({ prompt: 'x', controlnets: [{ model: 'canny15', image: IMAGE, preprocessor: 'canny', preprocessor_options: { low_threshold: 50 } }, { model: 'unknown-width', image: IMAGE, conditioning_scale: 0.5, guidance_end: 0.6 }], guess_mode: true }), context());
    assert.deepEqual(request.controlnets, [
      { model: 'canny15', image: IMAGE, preprocessor: 'canny', preprocessor_options: { low_threshold: 50 }, conditioning_scale: 1, guidance_start: 0, guidance_end: 1 },
      { model: 'unknown-width', image: IMAGE, preprocessor: 'none', preprocessor_options: {}, conditioning_scale: 0.5, guidance_start: 0, guidance_end: 0.6 },
    ]);
    assert.equal(request.guess_mode, true);
    const plain = resolveGeneration(parse({ prompt: 'x' }), context()).request;
    assert.ok(!('controlnets' in plain) && !('guess_mode' in plain), JSON.stringify(plain));
  });

  it('refuses an unknown ControlNet, a net of another base family (SD 1.5 net on SDXL, SDXL net on SD 1.5, SD 1.5 net on SD 2.x) naming controlnets.<i>.model', () => {
    const body = parse({ prompt: 'x', model: 'xl-cn', controlnets: [{ model: 'canny15', image: IMAGE }, { model: 'nope', image: IMAGE }, { model: 'cannyxl', image: IMAGE }] });
    const problems = refused(() => resolveGeneration(body, context(), 'requests.2.'));
    assert.deepEqual(problems.map((problem) => problem.field), ['requests.2.controlnets.0.model', 'requests.2.controlnets.1.model']);
    assert.match(problems[0].message, /is for SD 1\.x\/2\.x; model xl-cn is sdxl/);
    assert.match(problems[1].message, /unknown ControlNet "nope"; available: canny15, cannyxl, unknown-width/);
    assert.deepEqual(refused(() => resolveGeneration(parse({ prompt: 'x', controlnets: [{ model: 'cannyxl', image: IMAGE }] }), context())).map((p) => p.field), ['controlnets.0.model']);
    const sd2 = refused(() => resolveGeneration(parse({ prompt: 'x', model: 'sd21-cn', controlnets: [{ model: 'canny15', image: IMAGE }] }), context()));
    assert.match(sd2[0].message, /768-wide text features, model sd21-cn to 1024/);
  });

  it('refuses ControlNets on a pipeline without a residual UNet, guess_mode without ControlNets, and ONNX preprocessors no worker has a model for', () => {
    assert.deepEqual(refused(() => resolveGeneration(parse({ prompt: 'x', model: 'plain', controlnets: [{ model: 'canny15', image: IMAGE }] }), context())).map((p) => p.field), ['controlnets']);
    assert.deepEqual(refused(() => resolveGeneration(parse({ prompt: 'x', guess_mode: true }), context())).map((p) => p.field), ['guess_mode']);
    const body = parse({ prompt: 'x', controlnets: [{ model: 'canny15', image: IMAGE, preprocessor: 'depth' }, { model: 'canny15', image: IMAGE, preprocessor: 'scribble' }, { model: 'canny15', image: IMAGE, preprocessor: 'canny' }] });
    assert.deepEqual(refused(() => resolveGeneration(body, context())).map((p) => p.field), ['controlnets.0.preprocessor', 'controlnets.1.preprocessor']);
    assert.equal(resolveGeneration(body, context(['depth', 'softedge'])).request.controlnets?.length, 3);
  });

  it('the body schema refuses an empty window, crossed canny thresholds, unknown preprocessors and fields, NaN and out-of-range scales, more than 4 units', () => {
    const issues = (body: unknown): string[] => {
      const parsed = generationRequestSchema().safeParse(body);
      assert.ok(!parsed.success);
      return parsed.error.issues.map((issue) => issue.path.join('.'));
    };
    const unit = { model: 'canny15', image: IMAGE };
    assert.deepEqual(issues({ prompt: 'x', controlnets: [unit, { ...unit, guidance_start: 0.5, guidance_end: 0.5 }] }), ['controlnets.1.guidance_start']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, preprocessor_options: { low_threshold: 220 } }] }), ['controlnets.0.preprocessor_options.low_threshold']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, preprocessor: 'lineart' }] }), ['controlnets.0.preprocessor']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, weight: 1 }] }), ['controlnets.0']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, conditioning_scale: Number.NaN }] }), ['controlnets.0.conditioning_scale']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, conditioning_scale: 1e9 }] }), ['controlnets.0.conditioning_scale']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: Array.from({ length: 5 }, () => unit) }), ['controlnets']);
    assert.deepEqual(issues({ prompt: 'x', controlnets: [{ ...unit, image: 'file:///etc/passwd' }] }), ['controlnets.0.image']);
  });
});
