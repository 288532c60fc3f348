import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDemoVariant } from '@atelier/demo-model';
import { S3Storage } from '@atelier/storage';
import { startS3rver, type RunningS3rver } from '@atelier/storage/testing';
import { SessionPool } from '../runtime/session-pool.js';
import { StableDiffusionPipeline } from '../pipeline/stable-diffusion.js';
import { ModelCatalog } from './model-catalog.js';
import { syncRemoteModels } from './remote-models.js';
import { RemoteWeights } from './remote-weights.js';

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);
const quiet = { info: () => undefined, warn: () => undefined };

describe('remote model weights: fetched on first use, verified, kept in an LRU disk cache (real s3rver)', () => {
  let s3: RunningS3rver;
  let storage: S3Storage;
  let work: string;

  before(async () => {
    s3 = await startS3rver({ bucket: 'lazy' });
    storage = new S3Storage({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    work = await mkdtemp(path.join(tmpdir(), 'remote-weights-'));
    for (const name of ['one', 'two']) {
      const built = await buildDemoVariant(path.join(work, 'built', name), 'wild-sd15', { sampleSize: 8 });
      for (const entry of (await readdir(built.dir, { recursive: true, withFileTypes: true })).filter((item) => item.isFile())) {
        const full = path.join(entry.parentPath, entry.name);
        await storage.put(`models/${name}/${path.relative(built.dir, full)}`, await readFile(full), 'application/octet-stream');
      }
    }
  });
  after(async () => {
    storage?.destroy();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('syncs configs only, fetches a component when a job needs it, and evicts the least recently used beyond the budget', async () => {
    const cache = path.join(work, 'cache');
    const synced = await syncRemoteModels(storage, 'models', cache, quiet, { lazyWeights: true });
    assert.deepEqual(synced.map((entry) => entry.id).sort(), ['one', 'two']);
    assert.equal(await exists(path.join(cache, 'one', 'unet', 'model.onnx')), false, 'no weights before first use');
    assert.equal(await exists(path.join(cache, 'one', 'unet', 'model.onnx.remote.json')), true);

    const catalog = await ModelCatalog.scan(path.join(work, 'no-local'), synced);
    assert.equal(catalog.problems.length, 0, JSON.stringify(catalog.problems));
    const pool = new SessionPool('cpu', 1);
    // Budget: room for roughly one model's weights.
    const unetBytes = (await readFile(path.join(work, 'built', 'one', 'unet', 'model.onnx'))).length;
    const weights = new RemoteWeights(storage, cache, unetBytes * 2, (dir) => pool.isLoadedFrom(dir));
    pool.setFilePreparer((file) => weights.ensure(file));
    const pipeline = new StableDiffusionPipeline(pool);
    const params = { prompt: 'a red circle', negativePrompt: '', steps: 2, guidanceScale: 1, scheduler: 'Euler', width: 64, height: 64, seeds: [1] };

    await pipeline.generate(catalog.get('one')!, params);
    assert.equal(await exists(path.join(cache, 'one', 'unet', 'model.onnx')), true, 'fetched on first use');
    const afterFirst = weights.downloads;
    assert.ok(afterFirst >= 3, 'text encoder, UNet and VAE decoder weights');
    await pipeline.generate(catalog.get('one')!, params);
    assert.equal(weights.downloads, afterFirst, 'the cache serves the second job');

    await pool.close();
    await pipeline.generate(catalog.get('two')!, params);
    assert.ok(weights.evictions > 0, 'the budget evicted model one');
    assert.equal(await exists(path.join(cache, 'two', 'unet', 'model.onnx')), true);
    await pool.close();
    await pipeline.generate(catalog.get('one')!, params);
    assert.ok(weights.downloads > afterFirst + 3, 'an evicted component is fetched again when needed');
    await pool.close();
  });

  it('refuses weights that do not match SHA256SUMS', async () => {
    const sums = `${'0'.repeat(64)}  unet/model.onnx\n`;
    for (const entry of (await readdir(path.join(work, 'built', 'one'), { recursive: true, withFileTypes: true })).filter((item) => item.isFile())) {
      const full = path.join(entry.parentPath, entry.name);
      await storage.put(`bad/three/${path.relative(path.join(work, 'built', 'one'), full)}`, await readFile(full), 'application/octet-stream');
    }
    await storage.put('bad/three/SHA256SUMS', Buffer.from(sums), 'text/plain');
    const cache = path.join(work, 'cache-bad');
    const synced = await syncRemoteModels(storage, 'bad', cache, quiet, { lazyWeights: true });
    const weights = new RemoteWeights(storage, cache, 1e12);
    await assert.rejects(weights.ensure(path.join(synced[0].dir, 'unet', 'model.onnx')), /does not match SHA256SUMS/);
    assert.equal(await exists(path.join(cache, 'three', 'unet', 'model.onnx')), false);
  });
});
