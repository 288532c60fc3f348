import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerClassRecord } from '@atelier/queue';
import { findAvailableOnnxModel, onnxModelsForTenant } from './onnx-model-availability.js';

function workerClass(name: string, onnx: WorkerClassRecord['onnx_models']): WorkerClassRecord {
  return { worker_class: name, queue: `q-${name}`, models: [], loras: [], embeddings: [], onnx_models: onnx, remote_models: false, last_seen: '2026-01-01T00:00:00Z' };
}

const classes = [
  workerClass('gpu-a', [
    { kind: 'controlnet', name: 'canny', base_family: 'sd1' },
    { kind: 'controlnet', name: 'alpha/canny', base_family: 'sdxl' },
    { kind: 'controlnet', name: 'beta/secret', base_family: 'sd1' },
    { kind: 'upscaler', name: 'x4' },
  ]),
  workerClass('gpu-b', [{ kind: 'controlnet', name: 'canny', base_family: 'sd1' }]),
];

describe('findAvailableOnnxModel: is this ONNX model on some worker class, for this tenant', () => {
  it('finds a public model on every class that has it, with a ControlNet family', () => {
    assert.deepEqual(findAvailableOnnxModel(classes, 'controlnet', 'canny', 'gamma'), { kind: 'controlnet', name: 'canny', baseFamily: 'sd1', workerClasses: ['gpu-a', 'gpu-b'], private: false });
    assert.deepEqual(findAvailableOnnxModel(classes, 'upscaler', 'x4', 'gamma'), { kind: 'upscaler', name: 'x4', baseFamily: undefined, workerClasses: ['gpu-a'], private: false });
  });

  it('prefers the tenant\'s own private model; other tenants\' private ones are unknown', () => {
    assert.deepEqual(findAvailableOnnxModel(classes, 'controlnet', 'canny', 'alpha'), { kind: 'controlnet', name: 'canny', baseFamily: 'sdxl', workerClasses: ['gpu-a'], private: true });
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'secret', 'alpha'), undefined);
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'beta/secret', 'alpha'), undefined);
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'secret', 'beta')?.private, true);
  });

  it('keeps kinds apart and lists what a tenant can use', () => {
    assert.equal(findAvailableOnnxModel(classes, 'upscaler', 'canny', 'gamma'), undefined);
    assert.deepEqual([...onnxModelsForTenant(classes, 'controlnet', 'alpha').entries()].map(([name, model]) => [name, model.baseFamily]), [['canny', 'sdxl']]);
    assert.deepEqual([...onnxModelsForTenant(classes, 'controlnet', 'beta').keys()].sort(), ['canny', 'secret']);
  });
});
