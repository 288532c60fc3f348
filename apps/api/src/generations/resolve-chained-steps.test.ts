import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generationRequestSchema, type GenerationRequestInput } from '@atelier/contracts';
import type { OnnxModelKind } from '@atelier/registry';
import type { FieldProblem } from '../common/api-error.js';
import type { AvailableOnnxModel } from './onnx-model-availability.js';
import { resolveChainedSteps, type ChainedStepContext } from './resolve-chained-steps.js';

const available = (kind: OnnxModelKind, name: string, isPrivate = false): [string, AvailableOnnxModel] => [
  name,
  { kind, name, baseFamily: undefined, preprocessor: undefined, scale: undefined, crossAttentionDim: undefined, workerClasses: ['gpu'], private: isPrivate, announcedName: isPrivate ? `alpha/${name}` : name },
];
const MODELS: Partial<Record<OnnxModelKind, Map<string, AvailableOnnxModel>>> = {
  upscaler: new Map([available('upscaler', 'x4'), available('upscaler', 'mine', true)]),
  face_restorer: new Map([available('face_restorer', 'gfpgan'), available('face_restorer', 'codeformer')]),
  face_detector: new Map([available('face_detector', 'scrfd')]),
  segmenter: new Map([available('segmenter', 'sam')]),
};
const context: ChainedStepContext = { onnxModels: (kind) => MODELS[kind] ?? new Map(), maxPixels: 1024 * 1024, maxUpscalePixels: 2048 * 2048 };

function resolve(fields: Partial<GenerationRequestInput>, size = { width: 512, height: 512, steps: 20 }): { fields: ReturnType<typeof resolveChainedSteps>; problems: FieldProblem[] } {
  const body = generationRequestSchema().parse({ prompt: 'p', ...fields });
  const problems: FieldProblem[] = [];
  return { fields: resolveChainedSteps(body, size, context, (name) => name, problems), problems };
}

describe('resolveChainedSteps', () => {
  it('fixes defaults: the first face models by name, hires size and steps; lists announced names for routing', () => {
    const { fields, problems } = resolve({ face_restore: {}, upscale: { model: 'mine' }, hires: { scale: 1.5 } });
    assert.deepEqual(problems, []);
    assert.deepEqual(fields.face_restore, { model: 'codeformer', detector: 'scrfd', fidelity: 0.5, visibility: 1 });
    assert.deepEqual(fields.hires, { width: 768, height: 768, upscaler: 'latent', strength: 0.7, steps: 20 });
    assert.deepEqual(fields.upscale, { model: 'mine' });
    assert.deepEqual(fields.onnx_models, [
      { kind: 'face_restorer', name: 'codeformer' },
      { kind: 'face_detector', name: 'scrfd' },
      { kind: 'upscaler', name: 'alpha/mine' },
    ]);
  });

  it('hires: width alone keeps the aspect ratio, sizes round to multiples of 8; an upscaler model is required to exist', () => {
    assert.deepEqual(resolve({ hires: { width: 700, upscaler: 'x4', steps: 9 } }, { width: 512, height: 256, steps: 20 }).fields.hires, { width: 704, height: 352, upscaler: 'x4', strength: 0.7, steps: 9 });
    assert.deepEqual(resolve({ hires: { upscaler: 'nope' } }).problems.map((problem) => problem.field), ['hires.upscaler']);
    assert.deepEqual(resolve({ hires: { scale: 4 } }).problems.map((problem) => problem.field), ['hires.scale']);
  });

  it('limits: the upscaled size counts against maxUpscalePixels (after hires); unknown models name their field', () => {
    assert.deepEqual(resolve({ upscale: { model: 'x4', scale: 4 } }).problems, []);
    assert.deepEqual(resolve({ upscale: { model: 'x4', scale: 4 }, hires: { scale: 2 } }).problems.map((problem) => problem.field), ['upscale.scale']);
    assert.deepEqual(resolve({ upscale: { model: 'y' }, face_restore: { detector: 'z' } }).problems.map((problem) => problem.field), ['face_restore.detector', 'upscale.model']);
  });

  it('mask_prompt: labels normalised, the default segmenter picked', () => {
    const { fields } = resolve({ init_image: 'https://example.com/a.png', mask_prompt: { points: [{ x: 1, y: 2, label: 0 }, { x: 3, y: 4 }] } });
    assert.deepEqual(fields.mask_prompt, { points: [{ x: 1, y: 2, label: 'negative' }, { x: 3, y: 4, label: 'positive' }], boxes: [], model: 'sam' });
  });
});
