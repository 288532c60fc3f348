import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faceRestoreRequestSchema, segmentRequestSchema, upscaleRequestSchema, type ResolvedImageSource } from '@atelier/contracts';
import type { WorkerClassRecord } from '@atelier/queue';
import { ApiError } from '../common/api-error.js';
import type { ImageTaskContext } from './image-task-routing.js';
import { resolveFaceRestore } from './resolve-face-restore.js';
import { resolveSegment } from './resolve-segment.js';
import { resolveUpscale } from './resolve-upscale.js';

const IMAGE = 'https://images.example.test/a.png';
const SOURCE: ResolvedImageSource = { type: 'image', image: IMAGE };

function workerClass(name: string, onnx: WorkerClassRecord['onnx_models']): WorkerClassRecord {
  return { worker_class: name, queue: `generation-${name}`, image_task_queue: `image-task-${name}`, models: [], loras: [], embeddings: [], onnx_models: onnx, remote_models: false, last_seen: '' };
}

const upscalers = workerClass('upscalers', [
  { kind: 'upscaler', name: 'x4', scale: 4 },
  { kind: 'upscaler', name: 'alpha/x2', scale: 2 },
  { kind: 'upscaler', name: 'beta/secret', scale: 4 },
]);
const faces = workerClass('faces', [
  { kind: 'upscaler', name: 'x4', scale: 4 },
  { kind: 'face_restorer', name: 'codeformer' },
  { kind: 'face_restorer', name: 'gfpgan' },
  { kind: 'face_detector', name: 'scrfd' },
  { kind: 'segmenter', name: 'sam' },
]);

const context = (classes: WorkerClassRecord[], live: string[] = classes.map((record) => record.worker_class)): ImageTaskContext & { maxUpscalePixels: number } => ({
  classes,
  liveClasses: new Set(live),
  tenant: 'alpha',
  webhookProblem: (url) => (url.includes('127.0.0.1') ? 'internal address' : undefined),
  maxPixels: 1024 * 1024,
  maxUpscalePixels: 2048 * 2048,
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

describe('resolveUpscale, resolveFaceRestore, resolveSegment (model choice, limits and routing over in-memory announcements)', () => {
  it("upscale: the default model is the first by name, the scale defaults to the model's, the tenant's private model is found under its plain name", () => {
    const resolved = resolveUpscale(upscaleRequestSchema.parse({ image: IMAGE }), { source: SOURCE, size: undefined }, context([upscalers]));
    assert.deepEqual([resolved.request.model, resolved.request.scale, resolved.request.model_scale, resolved.queue], ['x2', 2, 2, 'image-task-upscalers']);
    const named = resolveUpscale(upscaleRequestSchema.parse({ image: IMAGE, model: 'x4', scale: 1.5 }), { source: SOURCE, size: { width: 100, height: 80 } }, context([upscalers]));
    assert.deepEqual([named.request.scale, named.request.max_output_pixels, named.request.face_restore], [1.5, 2048 * 2048, null]);
  });

  it('upscale with a face step routes to a class that has every model; refusals name the field', () => {
    const chained = resolveUpscale(upscaleRequestSchema.parse({ image: IMAGE, model: 'x4', face_restore: { fidelity: 0.7 } }), { source: SOURCE, size: undefined }, context([upscalers, faces]));
    assert.equal(chained.queue, 'image-task-faces');
    assert.deepEqual(chained.request.face_restore, { model: 'codeformer', detector: 'scrfd', fidelity: 0.7, visibility: 1 });
    const body = (extra: Record<string, unknown>) => upscaleRequestSchema.parse({ image: IMAGE, model: 'x4', ...extra });
    assert.equal(fieldOf(() => resolveUpscale(body({ scale: 5 }), { source: SOURCE, size: undefined }, context([upscalers]))), 'scale');
    assert.equal(fieldOf(() => resolveUpscale(body({}), { source: SOURCE, size: { width: 1024, height: 1024 } }, context([upscalers]))), 'scale', '4096² is over MAX_UPSCALE_PIXELS');
    assert.equal(fieldOf(() => resolveUpscale(body({ model: 'secret' }), { source: SOURCE, size: undefined }, context([upscalers]))), 'model', "another tenant's private model");
    assert.equal(fieldOf(() => resolveUpscale(body({ face_restore: {} }), { source: SOURCE, size: undefined }, context([upscalers]))), 'face_restore.model');
    assert.equal(fieldOf(() => resolveUpscale(body({ webhook: { url: 'http://127.0.0.1/x' } }), { source: SOURCE, size: undefined }, context([upscalers]))), 'webhook.url');
  });

  it('face restoration: named models, else the first by name; a class without image tasks never gets it', () => {
    const withoutTasks = { ...faces, worker_class: 'old', image_task_queue: undefined };
    const resolved = resolveFaceRestore(faceRestoreRequestSchema.parse({ image: IMAGE, model: 'gfpgan' }), SOURCE, context([withoutTasks, faces], ['old']));
    assert.deepEqual([resolved.request.model, resolved.request.detector, resolved.queue], ['gfpgan', 'scrfd', 'image-task-faces']);
    assert.equal(fieldOf(() => resolveFaceRestore(faceRestoreRequestSchema.parse({ image: IMAGE, detector: 'retina' }), SOURCE, context([faces]))), 'detector');
  });

  it('segmentation: points and boxes must lie on the image when its size is known', () => {
    const body = (extra: Record<string, unknown>) => segmentRequestSchema.parse({ image: IMAGE, ...extra });
    const size = { width: 64, height: 48 };
    const resolved = resolveSegment(body({ points: [{ x: 64, y: 48 }] }), { source: SOURCE, size }, context([faces]));
    assert.deepEqual([resolved.request.model, resolved.request.points, resolved.request.output], ['sam', [{ x: 64, y: 48, label: 'positive' }], 'best']);
    assert.equal(fieldOf(() => resolveSegment(body({ points: [{ x: 1, y: 1 }, { x: 65, y: 1 }] }), { source: SOURCE, size }, context([faces]))), 'points.1');
    assert.equal(fieldOf(() => resolveSegment(body({ boxes: [{ x0: 0, y0: 0, x1: 10, y1: 49 }] }), { source: SOURCE, size }, context([faces]))), 'boxes.0');
    assert.equal(fieldOf(() => resolveSegment(body({ points: [{ x: 1, y: 1 }] }), { source: SOURCE, size }, context([upscalers]))), 'model');
  });
});
