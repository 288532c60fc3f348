import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preprocessRequestSchema } from '@atelier/contracts';
import type { WorkerClassRecord } from '@atelier/queue';
import { ApiError } from '../common/api-error.js';
import { resolvePreprocess, type PreprocessContext } from './resolve-preprocess.js';

const IMAGE = 'https://images.example.test/a.png';

function workerClass(name: string, preprocessors: Array<{ name: string; preprocessor: string }>): WorkerClassRecord {
  const onnx = preprocessors.map((model) => ({ kind: 'preprocessor', ...model }));
  return { worker_class: name, queue: `generation-${name}`, image_task_queue: `image-task-${name}`, models: [], loras: [], embeddings: [], onnx_models: onnx, remote_models: false, last_seen: '' };
}

const context = (classes: WorkerClassRecord[], live: string[] = classes.map((record) => record.worker_class)): PreprocessContext => ({
  classes,
  liveClasses: new Set(live),
  tenant: 'alpha',
  webhookProblem: (url) => (url.includes('127.0.0.1') ? 'internal address' : undefined),
  maxPixels: 1024 * 1024,
});

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error.problems[0]?.field;
    throw error;
  }
  return undefined;
}

describe('resolvePreprocess (defaults, model choice and routing over in-memory announcements)', () => {
  const cpu = workerClass('cpu', []);
  const gpu = workerClass('gpu', [
    { name: 'depth-anything-small', preprocessor: 'depth' },
    { name: 'depth', preprocessor: 'depth' },
    { name: 'hed', preprocessor: 'softedge' },
    { name: 'beta/secret-depth', preprocessor: 'depth' },
  ]);
  const privateClass = workerClass('private', [{ name: 'alpha/depth', preprocessor: 'depth' }]);

  it('fixes every default; canny needs no model and goes to a live class', () => {
    const body = preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'canny' });
    const resolved = resolvePreprocess(body, context([cpu, gpu], ['gpu']));
    assert.deepEqual(resolved.request, {
      v: 1,
      kind: 'preprocess',
      image: IMAGE,
      preprocessor: 'canny',
      options: { low_threshold: 100, high_threshold: 200, detect_resolution: 512, safe: false, include_face: false, include_hands: false },
      model: null,
      output_format: 'png',
      webhook: undefined,
    });
    assert.equal(resolved.queue, 'image-task-gpu');
  });

  it('picks the default model by the preprocessor\'s name, else the first by name, and routes to a class that has it', () => {
    assert.equal(resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth' }), context([cpu, gpu])).request.model, 'depth');
    const scribble = resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'scribble' }), context([cpu, gpu]));
    assert.deepEqual([scribble.request.model, scribble.queue], ['hed', 'image-task-gpu']);
    const named = resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth', model: 'depth-anything-small' }), context([cpu, gpu], []));
    assert.deepEqual([named.request.model, named.queue], ['depth-anything-small', 'image-task-gpu'], 'a class with zero workers still gets it');
  });

  it("the tenant's own private registry model shadows a public one of the same name and routes to the class that has it", () => {
    const resolved = resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth' }), context([cpu, gpu, privateClass]));
    assert.deepEqual([resolved.request.model, resolved.queue], ['depth', 'image-task-private']);
  });

  it('refuses, naming the field: a model nobody has, a model for canny, a preprocessor without any model, an internal webhook, an output over MAX_PIXELS', () => {
    assert.equal(fieldOf(() => resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth', model: 'nope' }), context([cpu, gpu]))), 'model');
    assert.equal(fieldOf(() => resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth', model: 'secret-depth' }), context([cpu, gpu]))), 'model', "another tenant's private model");
    assert.equal(fieldOf(() => resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'depth', model: 'hed' }), context([cpu, gpu]))), 'model', 'a model of another preprocessor');
    assert.equal(fieldOf(() => resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'canny', model: 'depth' }), context([cpu, gpu]))), 'model');
    assert.equal(fieldOf(() => resolvePreprocess(preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'openpose' }), context([cpu, gpu]))), 'preprocessor');
    const hooked = preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'canny', webhook: { url: 'http://127.0.0.1/x' } });
    assert.equal(fieldOf(() => resolvePreprocess(hooked, context([cpu]))), 'webhook.url');
    const huge = preprocessRequestSchema.parse({ image: IMAGE, preprocessor: 'canny', options: { width: 2048, height: 1024 } });
    assert.equal(fieldOf(() => resolvePreprocess(huge, context([cpu]))), 'options.width', 'an output over MAX_PIXELS');
  });
});
