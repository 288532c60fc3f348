import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3Storage } from '@atelier/storage';
import { startS3rver, type RunningS3rver } from '@atelier/storage/testing';
import { AdapterRegistry } from './adapter-registry.js';
import { OnnxModelImportError } from './onnx-model-errors.js';
import { listOnnxModels, locateOnnxModel } from './onnx-model-locate.js';
import { OnnxModelRegistry } from './onnx-model-registry.js';
import { onnxModelCacheDir, syncOnnxModels } from './onnx-model-sync.js';
import { controlNetGraph, openposeGraphs, samDecoderGraph, samEncoderGraph, upscalerGraph, writeControlNetFolder } from './testing/onnx-model-graphs.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('OnnxModelRegistry on a real S3 server (s3rver)', () => {
  let s3: RunningS3rver;
  let storage: S3Storage;
  let registry: OnnxModelRegistry;
  let work: string;
  let cache: string;
  let modelsDir: string;
  const write = async (name: string, bytes: Uint8Array): Promise<string> => {
    const file = path.join(work, name);
    await writeFile(file, bytes);
    return file;
  };

  before(async () => {
    s3 = await startS3rver({ bucket: 'farm' });
    storage = new S3Storage({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    registry = new OnnxModelRegistry(storage);
    work = await mkdtemp(path.join(tmpdir(), 'onnx-registry-'));
    cache = path.join(work, 'cache');
    modelsDir = path.join(work, 'models');
  });
  after(async () => {
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('stores a ControlNet folder with a manifest of hashes, signatures and facts', async () => {
    const bytes = controlNetGraph({ textWidth: 768 });
    const manifest = await registry.import({ kind: 'controlnet', name: 'canny', tenant: 'alpha', visibility: 'public', source: 'upload:model.onnx', files: { model: await write('cn.onnx', bytes) }, licence: 'openrail' });
    assert.equal(manifest.id, 'controlnet:canny');
    assert.equal(manifest.base_family, 'sd1');
    assert.equal(manifest.has_conditioning_scale, true);
    assert.equal(manifest.format, 'onnx');
    assert.equal(manifest.licence, 'openrail');
    const model = manifest.files.find((file) => file.role === 'model');
    assert.equal(model?.sha256, sha256(bytes));
    assert.equal(model?.size, bytes.byteLength);
    assert.deepEqual(model?.inputs?.find((input) => input.name === 'encoder_hidden_states'), { name: 'encoder_hidden_states', element_type: 'float32', dims: ['batch', 77, 768] });
    assert.deepEqual((await storage.list('registry/controlnets/canny/')).sort(), ['registry/controlnets/canny/config.json', 'registry/controlnets/canny/manifest.json', 'registry/controlnets/canny/model.onnx']);
    assert.deepEqual(JSON.parse((await storage.get('registry/controlnets/canny/config.json')).toString('utf8')), { _class_name: 'ControlNetModel', cross_attention_dim: 768, addition_embed_type: null });
    assert.equal(manifest.size, manifest.files.reduce((total, file) => total + file.size, 0));
  });

  it('keeps private models per tenant: same names, own first, public shared, other tenants blind', async () => {
    const a = await registry.import({ kind: 'upscaler', name: 'x4', tenant: 'alpha', visibility: 'private', source: 'test', files: { model: await write('a.onnx', upscalerGraph({ scale: 4, side: 8 })) } });
    const b = await registry.import({ kind: 'upscaler', name: 'x4', tenant: 'beta', visibility: 'private', source: 'test', files: { model: await write('b.onnx', upscalerGraph({ scale: 2 })) }, supplied: { scale: 2 } });
    assert.equal((await registry.resolve('upscaler', 'x4', 'alpha'))?.scale, a.scale);
    assert.equal((await registry.resolve('upscaler', 'x4', 'beta'))?.scale, b.scale);
    assert.equal(await registry.resolve('upscaler', 'x4', 'gamma'), undefined);
    assert.ok(await storage.exists('registry/tenants/alpha/upscalers/x4/model.onnx'));
    await assert.rejects(
      registry.import({ kind: 'controlnet', name: 'canny', tenant: 'beta', visibility: 'public', source: 'test', files: { model: await write('c.onnx', controlNetGraph()) } }),
      (error: unknown) => error instanceof OnnxModelImportError && error.code === 'name_taken' && error.field === 'name',
    );
    assert.equal((await registry.resolve('controlnet', 'canny', 'gamma'))?.tenant, 'alpha');
  });

  it('refuses a graph of the wrong kind, a non-ONNX file and unexpected graphs, naming the field; stores nothing', async () => {
    const refused = (field: string) => (error: unknown) => error instanceof OnnxModelImportError && error.field === field;
    await assert.rejects(registry.import({ kind: 'controlnet', name: 'bad', tenant: 'alpha', visibility: 'private', source: 'test', files: { model: await write('u.onnx', upscalerGraph({ scale: 2 })) } }), refused('file'));
    await assert.rejects(registry.import({ kind: 'upscaler', name: 'bad', tenant: 'alpha', visibility: 'private', source: 'test', files: { model: await write('t.txt', Buffer.from('hello, not onnx')) }, supplied: { scale: 2 } }), refused('file'));
    await assert.rejects(registry.import({ kind: 'segmenter', name: 'bad', tenant: 'alpha', visibility: 'private', source: 'test', files: { model: await write('e.onnx', samEncoderGraph()) } }), refused('file'));
    assert.deepEqual(await storage.list('registry/tenants/alpha/controlnets/'), []);
    assert.deepEqual(await storage.list('registry/tenants/alpha/segmenters/'), []);
  });

  it('stores multi-graph models (SAM encoder + decoder, openpose detector + pose) and lists by kind', async () => {
    await registry.import({ kind: 'segmenter', name: 'mobile-sam', tenant: 'alpha', visibility: 'public', source: 'test', files: { encoder: await write('enc.onnx', samEncoderGraph()), decoder: await write('dec.onnx', samDecoderGraph()) } });
    const pose = openposeGraphs();
    await registry.import({ kind: 'preprocessor', name: 'dwpose', tenant: 'alpha', visibility: 'public', source: 'test', files: { detector: await write('det.onnx', pose.detector), pose: await write('pose.onnx', pose.pose) }, supplied: { preprocessor: 'openpose' } });
    assert.deepEqual((await registry.list('segmenter')).map((manifest) => [manifest.name, manifest.decoder_layout, manifest.files.map((file) => file.path)]), [['mobile-sam', 'sam', ['encoder.onnx', 'decoder.onnx']]]);
    assert.deepEqual((await registry.list('preprocessor')).map((manifest) => [manifest.name, manifest.preprocessor]), [['dwpose', 'openpose']]);
    assert.deepEqual((await registry.list()).map((manifest) => `${manifest.tenant}:${manifest.id}`), ['alpha:controlnet:canny', 'alpha:preprocessor:dwpose', 'alpha:segmenter:mobile-sam', 'alpha:upscaler:x4', 'beta:upscaler:x4']);
  });

  it('lives beside adapters in tenant folders without confusing the adapter registry', async () => {
    assert.deepEqual(await new AdapterRegistry(storage).list(), []);
  });

  it('syncs every model into its owner\'s cache folder, verified, and removes deleted ones', async () => {
    const first = await syncOnnxModels(registry, storage, cache);
    assert.deepEqual(first.downloaded.sort(), ['alpha/upscaler:x4', 'beta/upscaler:x4', 'controlnet:canny', 'preprocessor:dwpose', 'segmenter:mobile-sam']);
    const canny = await registry.resolve('controlnet', 'canny', 'alpha');
    const dir = onnxModelCacheDir(cache, { kind: 'controlnet', name: 'canny', visibility: 'public', tenant: '' });
    assert.equal(dir, path.join(cache, 'public', 'controlnets', 'canny'));
    assert.equal(sha256(await readFile(path.join(dir, 'model.onnx'))), canny?.files[0].sha256);
    assert.ok((await readdir(path.join(cache, 'tenants', 'beta', 'upscalers', 'x4'))).includes('model.onnx'));
    assert.deepEqual((await syncOnnxModels(registry, storage, cache)).downloaded, [], 'an unchanged registry downloads nothing');
    const beta = await registry.resolve('upscaler', 'x4', 'beta');
    await registry.delete(beta as NonNullable<typeof beta>);
    assert.deepEqual((await storage.list('registry/tenants/beta/upscalers/x4/')), []);
    assert.deepEqual(await syncOnnxModels(registry, storage, cache), { downloaded: [], removed: ['tenants/beta/upscaler:x4'], failed: [] });
  });

  it('re-downloads a model whose stored bytes changed, refusing bytes that do not match the manifest', async () => {
    await storage.put('registry/controlnets/canny/model.onnx', Buffer.from(controlNetGraph({ textWidth: 768, weightBytes: 64 })), 'application/octet-stream');
    const manifest = JSON.parse((await storage.get('registry/controlnets/canny/manifest.json')).toString('utf8')) as { files: Array<{ sha256: string }>; created_at: string };
    manifest.created_at = new Date().toISOString();
    manifest.files[0].sha256 = '0'.repeat(64);
    await storage.put('registry/controlnets/canny/manifest.json', Buffer.from(JSON.stringify(manifest)), 'application/json');
    const synced = await syncOnnxModels(registry, storage, cache);
    assert.equal(synced.failed.length, 1);
    assert.match(synced.failed[0], /^controlnet:canny: .*sha256/);
    // The verified copy stays in place until a good one replaces it.
    assert.ok((await readdir(path.join(cache, 'public', 'controlnets', 'canny'))).includes('model.onnx'));
  });

  it('locateOnnxModel: own private, then public cache, then MODELS_DIR; never another tenant\'s; hostile names find nothing', async () => {
    await writeControlNetFolder(path.join(modelsDir, 'controlnets', 'local-depth'), { textWidth: 'w', config: { cross_attention_dim: 2048, addition_embed_type: 'text_time' } });
    await mkdir(path.join(modelsDir, 'upscalers', 'x4'), { recursive: true });
    await writeFile(path.join(modelsDir, 'upscalers', 'x4', 'model.onnx'), upscalerGraph({ scale: 4, side: 16 }));
    const dirs = { cacheDir: cache, modelsDir };
    const own = await locateOnnxModel('upscaler', 'x4', 'alpha', dirs);
    assert.equal(own?.origin, 'private');
    assert.equal(own?.dir, path.join(cache, 'tenants', 'alpha', 'upscalers', 'x4'));
    assert.equal(own?.files.model, path.join(own?.dir ?? '', 'model.onnx'));
    const other = await locateOnnxModel('upscaler', 'x4', 'beta', dirs);
    assert.equal(other?.origin, 'local', 'beta\'s model was deleted and alpha\'s is private: MODELS_DIR answers');
    assert.equal(other?.facts.scale, 4);
    const local = await locateOnnxModel('controlnet', 'local-depth', 'beta', dirs);
    assert.deepEqual([local?.origin, local?.facts.base_family, local?.files.config !== undefined], ['local', 'sdxl', true]);
    const segmenter = await locateOnnxModel('segmenter', 'mobile-sam', 'beta', dirs);
    assert.deepEqual([segmenter?.origin, segmenter?.facts.decoder_layout, path.basename(segmenter?.files.decoder ?? '')], ['public', 'sam', 'decoder.onnx']);
    for (const name of ['../x4', '..', 'x4/../../x4', '.hidden', 'a/b']) assert.equal(await locateOnnxModel('upscaler', name, 'alpha', dirs), undefined, name);
    assert.equal(await locateOnnxModel('upscaler', 'x4', '../alpha', { cacheDir: cache, modelsDir: path.join(work, 'none') }), undefined);
    assert.equal(await locateOnnxModel('controlnet', 'x4', 'alpha', dirs), undefined, 'the kind is part of the name');
  });

  it('listOnnxModels: what a worker announces, private ones as <tenant>/<name>, ControlNets with their family, preprocessors and upscalers with their preprocessor and scale', async () => {
    await mkdir(path.join(modelsDir, 'upscalers', 'broken'), { recursive: true });
    await writeFile(path.join(modelsDir, 'upscalers', 'broken', 'model.onnx'), controlNetGraph());
    const { models, problems } = await listOnnxModels({ cacheDir: cache, modelsDir });
    assert.deepEqual(models, [
      { kind: 'controlnet', name: 'canny', base_family: 'sd1', cross_attention_dim: 768 },
      { kind: 'controlnet', name: 'local-depth', base_family: 'sdxl', cross_attention_dim: 2048 },
      { kind: 'preprocessor', name: 'dwpose', preprocessor: 'openpose' },
      { kind: 'segmenter', name: 'mobile-sam' },
      { kind: 'upscaler', name: 'alpha/x4', scale: 4 },
      { kind: 'upscaler', name: 'x4', scale: 4 },
    ]);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^upscalers\/broken: /);
  });
});
