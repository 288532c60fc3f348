import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import { LocalStorage } from '@atelier/storage';
import { AdapterImportError, AdapterRegistry } from './adapter-registry.js';
import { adapterCacheRoot, syncAdapters } from './adapter-sync.js';

function lora(fill: number): Uint8Array {
  return serializeSafetensors(new Map([['lora_unet_x.lora_down.weight', float32Tensor(new Float32Array(4).fill(fill), [2, 2])]]));
}

describe('AdapterRegistry: names per tenant', () => {
  let dir: string;
  let registry: AdapterRegistry;
  let storage: LocalStorage;
  const common = { kind: 'lora' as const, source: 'test' };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'registry-test-'));
    storage = new LocalStorage({ root: path.join(dir, 'storage'), publicBaseUrl: 'http://localhost:1', signingSecret: 'a-secret-of-sixteen-chars' });
    registry = new AdapterRegistry(storage);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets two tenants hold a private adapter of the same name, each resolving its own', async () => {
    const a = await registry.import({ ...common, name: 'same', tenant: 'a', visibility: 'private', bytes: lora(1) });
    const b = await registry.import({ ...common, name: 'same', tenant: 'b', visibility: 'private', bytes: lora(2) });
    assert.notEqual(a.sha256, b.sha256);
    assert.equal((await registry.resolve('lora', 'same', 'a'))?.sha256, a.sha256);
    assert.equal((await registry.resolve('lora', 'same', 'b'))?.sha256, b.sha256);
    assert.equal(await registry.resolve('lora', 'same', 'c'), undefined);
  });

  it('shares one public namespace; a private import shadows a public name for its owner only', async () => {
    const shared = await registry.import({ ...common, name: 'pub', tenant: 'a', visibility: 'public', bytes: lora(3) });
    await assert.rejects(registry.import({ ...common, name: 'pub', tenant: 'b', visibility: 'public', bytes: lora(4) }), (error: unknown) => error instanceof AdapterImportError && error.field === 'name');
    const shadow = await registry.import({ ...common, name: 'pub', tenant: 'b', visibility: 'private', bytes: lora(4) });
    assert.equal((await registry.resolve('lora', 'pub', 'b'))?.sha256, shadow.sha256);
    assert.equal((await registry.resolve('lora', 'pub', 'c'))?.sha256, shared.sha256);
  });

  it('re-importing an own name with the other visibility replaces it', async () => {
    await registry.import({ ...common, name: 'moving', tenant: 'a', visibility: 'private', bytes: lora(5) });
    await registry.import({ ...common, name: 'moving', tenant: 'a', visibility: 'public', bytes: lora(6) });
    const owned = (await registry.list('lora')).filter((manifest) => manifest.name === 'moving');
    assert.deepEqual(owned.map((manifest) => manifest.visibility), ['public']);
  });

  it('imports a spooled file from its header, hashing what it streams; refuses a bad header', async () => {
    const bytes = lora(7);
    const file = path.join(dir, 'upload.safetensors');
    await writeFile(file, bytes);
    const manifest = await registry.importFile({ ...common, name: 'streamed', tenant: 'a', visibility: 'private', path: file });
    assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(manifest.size, bytes.length);
    assert.equal(manifest.tensors, 1);
    const truncated = path.join(dir, 'truncated.safetensors');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(registry.importFile({ ...common, name: 'cut', tenant: 'a', visibility: 'private', path: truncated }), (error: unknown) => error instanceof AdapterImportError && error.field === 'file');
  });

  it('moves a private adapter stored beside public ones (older registries) under its tenant, never resolving it for others', async () => {
    const bytes = Buffer.from(lora(8));
    const legacy = { id: 'lora:old', kind: 'lora', name: 'old', tenant: 'a', visibility: 'private', sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, tensors: 1, format: 'safetensors', converted_from: 'safetensors', trigger_words: [], base_model: null, source: 'test', licence: null, created_at: new Date().toISOString() };
    await storage.put('registry/loras/old.safetensors', bytes, 'application/octet-stream');
    await storage.put('registry/loras/old.json', Buffer.from(JSON.stringify(legacy)), 'application/json');
    assert.equal(await registry.resolve('lora', 'old', 'b'), undefined);
    assert.ok((await registry.list('lora')).some((manifest) => manifest.name === 'old' && manifest.tenant === 'a'));
    assert.equal(await storage.exists('registry/loras/old.json'), false);
    assert.equal((await registry.resolve('lora', 'old', 'a'))?.sha256, legacy.sha256);
    assert.deepEqual(await storage.get('registry/tenants/a/loras/old.safetensors'), bytes);
  });

  it('syncs every owner into its own cache folder, verified by sha256', async () => {
    const cache = path.join(dir, 'cache');
    await syncAdapters(registry, storage, cache);
    const a = await registry.resolve('lora', 'same', 'a');
    const b = await registry.resolve('lora', 'same', 'b');
    const fileOf = (tenant: string): string => path.join(adapterCacheRoot(cache, { visibility: 'private', tenant }), 'loras', 'same.safetensors');
    assert.equal(createHash('sha256').update(await readFile(fileOf('a'))).digest('hex'), a?.sha256);
    assert.equal(createHash('sha256').update(await readFile(fileOf('b'))).digest('hex'), b?.sha256);
    assert.ok((await readFile(path.join(adapterCacheRoot(cache, { visibility: 'public', tenant: '' }), 'loras', 'pub.safetensors'))).length > 0);
  });
});
