import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classMeets, type WorkerClassRecord } from '@atelier/queue';
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
  workerClass('gpu-b', [{ kind: 'controlnet', name: 'canny', base_family: 'sd1', cross_attention_dim: 768 }]),
];

describe('findAvailableOnnxModel: is this ONNX model on some worker class, for this tenant', () => {
  it('finds a public model on every class that has it, with a ControlNet family', () => {
    assert.deepEqual(findAvailableOnnxModel(classes, 'controlnet', 'canny', 'gamma'), { kind: 'controlnet', name: 'canny', baseFamily: 'sd1', crossAttentionDim: 768, preprocessor: undefined, scale: undefined, workerClasses: ['gpu-a', 'gpu-b'], private: false, announcedName: 'canny' });
    assert.deepEqual(findAvailableOnnxModel(classes, 'upscaler', 'x4', 'gamma'), { kind: 'upscaler', name: 'x4', baseFamily: undefined, crossAttentionDim: undefined, preprocessor: undefined, scale: undefined, workerClasses: ['gpu-a'], private: false, announcedName: 'x4' });
  });

  it('prefers the tenant\'s own private model; other tenants\' private ones are unknown', () => {
    assert.deepEqual(findAvailableOnnxModel(classes, 'controlnet', 'canny', 'alpha'), { kind: 'controlnet', name: 'canny', baseFamily: 'sdxl', crossAttentionDim: undefined, preprocessor: undefined, scale: undefined, workerClasses: ['gpu-a'], private: true, announcedName: 'alpha/canny' });
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'secret', 'alpha'), undefined);
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'beta/secret', 'alpha'), undefined);
    assert.equal(findAvailableOnnxModel(classes, 'controlnet', 'secret', 'beta')?.private, true);
  });

  it('routes by the announced name: only classes having the tenant\'s model meet a job needing it', () => {
    const own = findAvailableOnnxModel(classes, 'controlnet', 'canny', 'alpha');
    const requirements = { models: [], loras: [], onnxModels: [{ kind: 'controlnet', name: own?.announcedName ?? '' }] };
    assert.deepEqual(classes.filter((record) => classMeets(record, requirements)).map((record) => record.worker_class), ['gpu-a']);
    const shared = findAvailableOnnxModel(classes, 'controlnet', 'canny', 'gamma');
    assert.deepEqual(classes.filter((record) => classMeets(record, { models: [], loras: [], onnxModels: [{ kind: 'controlnet', name: shared?.announcedName ?? '' }] })).map((record) => record.worker_class), ['gpu-a', 'gpu-b']);
    assert.deepEqual(classes.filter((record) => classMeets(record, { models: [], loras: [], onnxModels: [{ kind: 'upscaler', name: 'canny' }] })), []);
    assert.equal(classes.filter((record) => classMeets(record, { models: [], loras: [] })).length, 2, 'no ONNX requirement, no filter');
  });

  it('keeps kinds apart and lists what a tenant can use', () => {
    assert.equal(findAvailableOnnxModel(classes, 'upscaler', 'canny', 'gamma'), undefined);
    assert.deepEqual([...onnxModelsForTenant(classes, 'controlnet', 'alpha').entries()].map(([name, model]) => [name, model.baseFamily]), [['canny', 'sdxl']]);
    assert.deepEqual([...onnxModelsForTenant(classes, 'controlnet', 'beta').keys()].sort(), ['canny', 'secret']);
  });
});
