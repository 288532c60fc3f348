import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpException } from '@nestjs/common';
import { generationRequestSchema, type GenerationRequestInput } from '@atelier/contracts';
import type { AnnouncedOnnxModelRecord, ModelSummary, WorkerClassRecord } from '@atelier/queue';
import { findAvailableOnnxModel, onnxModelsForTenant } from './onnx-model-availability.js';
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
  ip_unet: false,
  ip_controlnet: false,
  cross_attention_dim: cross,
  description: '',
});
const SD15 = summary('sd15-cn', 'sd1', true, 768);
const SD21 = summary('sd21-cn', 'sd2', true, 1024);
const XL = summary('xl-cn', 'sdxl', true, 2048);
const PLAIN = summary('plain', 'sd1', false, 768);
/** Has ip_unet/ only (no ip_controlnet/). */
const IP15 = { ...summary('ip15-model', 'sd1', true, 768), ip_unet: true };
/** What workers announce under onnx_models: public nets, a private one of tenant `alpha`, another tenant's. */
const NETS: AnnouncedOnnxModelRecord[] = [
  { kind: 'controlnet', name: 'canny15', base_family: 'sd1', cross_attention_dim: 768 },
  { kind: 'controlnet', name: 'cannyxl', base_family: 'sdxl' },
  { kind: 'controlnet', name: 'unknown-width', base_family: 'sd1' },
  { kind: 'controlnet', name: 'alpha/mine', base_family: 'sd1' },
  { kind: 'controlnet', name: 'beta/theirs', base_family: 'sd1' },
  { kind: 'ip_adapter', name: 'ip15', base_family: 'sd1', cross_attention_dim: 768 },
  { kind: 'ip_adapter', name: 'ipxl', base_family: 'sdxl', cross_attention_dim: 2048 },
  { kind: 'ip_adapter', name: 'alpha/ip-own', base_family: 'sd1' },
];

function onnxContext(classes: readonly WorkerClassRecord[], tenant: string): Pick<ResolutionContext, 'onnxModel' | 'onnxNames'> {
  return {
    onnxModel: (kind, name) => findAvailableOnnxModel(classes, kind, name, tenant),
    onnxNames: (kind) => [...onnxModelsForTenant(classes, kind, tenant).keys()].sort(),
  };
}

function context(preprocessorModels: readonly string[] = [], tenant = 'alpha'): ResolutionContext {
  const onnx = [...NETS, ...preprocessorModels.map((name): AnnouncedOnnxModelRecord => ({ kind: 'preprocessor', name }))];
  const record: WorkerClassRecord = { worker_class: 'gpu', queue: 'generation-gpu', models: [], loras: [], embeddings: [], onnx_models: onnx, remote_models: false, last_seen: '' };
  return {
    ...onnxContext([record], tenant),
    models: new Map([SD15, SD21, XL, PLAIN, IP15].map((model) => [model.id, model])),
    loras: new Set(),
    defaultModel: SD15.id,
    maxPixels: 2048 * 2048,
    maxUpscalePixels: 8192 * 8192,
    onnxModels: () => new Map(),
    webhookProblem: () => undefined,
    randomSeed: () => 42,
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
    assert.match(problems[1].message, /unknown ControlNet "nope"; available: canny15, cannyxl, mine, unknown-width/);
    assert.deepEqual(refused(() => resolveGeneration(parse({ prompt: 'x', controlnets: [{ model: 'cannyxl', image: IMAGE }] }), context())).map((p) => p.field), ['controlnets.0.model']);
    const sd2 = refused(() => resolveGeneration(parse({ prompt: 'x', model: 'sd21-cn', controlnets: [{ model: 'canny15', image: IMAGE }] }), context()));
    assert.match(sd2[0].message, /768-wide text features, model sd21-cn with 1024/);
  });

  it("records the job's routing requirement (onnx_models): a tenant's private net by its announced <tenant>/<name>, public ones by name; another tenant's private net is unknown", () => {
    const body = parse({ prompt: 'x', controlnets: [{ model: 'mine', image: IMAGE, preprocessor: 'depth' }, { model: 'canny15', image: IMAGE, preprocessor: 'scribble' }, { model: 'canny15', image: IMAGE }] });
    assert.deepEqual(resolveGeneration(body, context(['depth', 'softedge'])).request.onnx_models, [
      { kind: 'controlnet', name: 'alpha/mine' },
      { kind: 'preprocessor', name: 'depth' },
      { kind: 'controlnet', name: 'canny15' },
      { kind: 'preprocessor', name: 'softedge' },
    ]);
    for (const name of ['theirs', 'beta/theirs', 'alpha/mine', 'CANNY15']) {
      const problems = refused(() => resolveGeneration(parse({ prompt: 'x', controlnets: [{ model: name, image: IMAGE }] }), context()));
      assert.deepEqual(problems.map((problem) => problem.field), ['controlnets.0.model'], name);
    }
    assert.equal(resolveGeneration(parse({ prompt: 'x' }), context()).request.onnx_models, undefined);
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

describe('resolveIpAdapter (through resolveGeneration, in-memory catalog)', () => {
  const PROMPT = 'https://example.com/face.png';

  it('fixes the scale default, records the adapter in the routing requirement (private by <tenant>/<name>); scale 0 needs no image-attention UNet', () => {
    const { request } = resolveGeneration(parse({ prompt: 'x', model: 'ip15-model', ip_adapter: { model: 'ip-own', images: [PROMPT, 'aGVsbG8='] } }), context());
    assert.deepEqual(request.ip_adapter, { model: 'ip-own', images: [PROMPT, 'aGVsbG8='], scale: 1 });
    assert.deepEqual(request.onnx_models, [{ kind: 'ip_adapter', name: 'alpha/ip-own' }]);
    const zero = resolveGeneration(parse({ prompt: 'x', model: 'sd15-cn', ip_adapter: { model: 'ip15', images: [PROMPT], scale: 0 } }), context()).request;
    assert.equal(zero.ip_adapter?.scale, 0);
    assert.ok(!('ip_adapter' in resolveGeneration(parse({ prompt: 'x' }), context()).request));
  });

  it('refuses a wrong family, an unknown or foreign adapter, a model without ip_unet (ip_controlnet with ControlNets), naming ip_adapter.model under the prefix', () => {
    const at = (body: GenerationRequestInput, prefix = ''): Array<{ field: string; message: string }> => refused(() => resolveGeneration(parse(body), context(), prefix));
    const family = at({ prompt: 'x', model: 'ip15-model', ip_adapter: { model: 'ipxl', images: [PROMPT] } }, 'requests.1.');
    assert.deepEqual(family.map((problem) => problem.field), ['requests.1.ip_adapter.model']);
    assert.match(family[0].message, /IP-Adapter "ipxl" is for SDXL; model ip15-model is sd1/);
    assert.match(at({ prompt: 'x', model: 'sd21-cn', ip_adapter: { model: 'ip15', images: [PROMPT], scale: 0 } })[0].message, /768-wide text features, model sd21-cn with 1024/);
    for (const name of ['nope', 'theirs', 'beta/theirs', 'IP15']) {
      const problems = at({ prompt: 'x', model: 'ip15-model', ip_adapter: { model: name, images: [PROMPT] } });
      assert.deepEqual(problems.map((problem) => problem.field), ['ip_adapter.model'], name);
      assert.match(problems[0].message, /unknown IP-Adapter .*; available: ip-own, ip15, ipxl$/, name);
    }
    const noUnet = at({ prompt: 'x', model: 'sd15-cn', ip_adapter: { model: 'ip15', images: [PROMPT] } });
    assert.match(noUnet[0].message, /sd15-cn has no UNet exported with image-prompt attention \(ip_unet\/ in its folder\)/);
    const withControl = at({ prompt: 'x', model: 'ip15-model', controlnets: [{ model: 'canny15', image: PROMPT }], ip_adapter: { model: 'ip15', images: [PROMPT] } });
    assert.deepEqual(withControl.map((problem) => problem.field), ['ip_adapter.model']);
    assert.match(withControl[0].message, /ip_controlnet\/ \(image tokens and ControlNet residuals\)/);
  });

  it('the body schema refuses 0 or 5 images, scales outside 0–2 or not numbers, unknown fields, non-image references', () => {
    const issues = (ipAdapter: unknown): string[] => {
      const parsed = generationRequestSchema().safeParse({ prompt: 'x', ip_adapter: ipAdapter });
      assert.ok(!parsed.success);
      return parsed.error.issues.map((issue) => issue.path.join('.'));
    };
    assert.deepEqual(issues({ model: 'ip15', images: [] }), ['ip_adapter.images']);
    assert.deepEqual(issues({ model: 'ip15', images: Array.from({ length: 5 }, () => PROMPT) }), ['ip_adapter.images']);
    assert.deepEqual(issues({ model: 'ip15', images: [PROMPT], scale: 2.5 }), ['ip_adapter.scale']);
    assert.deepEqual(issues({ model: 'ip15', images: [PROMPT], scale: Number.NaN }), ['ip_adapter.scale']);
    assert.deepEqual(issues({ model: 'ip15', images: [PROMPT], weight: 1 }), ['ip_adapter']);
    assert.deepEqual(issues({ model: 'ip15', images: ['file:///etc/passwd'] }), ['ip_adapter.images.0']);
    assert.deepEqual(issues({ model: '', images: [PROMPT] }), ['ip_adapter.model']);
  });
});
