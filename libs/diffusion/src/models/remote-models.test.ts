import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDemoModel } from '@atelier/demo-model';
import { S3Storage } from '@atelier/storage';
import type { ObjectStorage } from '@atelier/storage';
import { startS3rver, type RunningS3rver } from '@atelier/storage/testing';
import { ModelCatalog } from './model-catalog.js';
import { parseChecksums, syncRemoteModels } from './remote-models.js';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** Counts streamed downloads of a real storage, to prove the cache is used. */
function countingDownloads(storage: ObjectStorage): { storage: ObjectStorage; downloads: () => number } {
  let count = 0;
  const counted = Object.create(storage) as ObjectStorage;
  counted.openReadStream = (key: string) => {
    count++;
    return storage.openReadStream(key);
  };
  return { storage: counted, downloads: () => count };
}

describe('models kept in object storage (real s3rver)', () => {
  let s3: RunningS3rver;
  let storage: S3Storage;
  let work: string;
  let demoFiles: string[];
  let demoDir: string;
  const log = { messages: [] as string[], info(message: string) { this.messages.push(message); }, warn(message: string) { this.messages.push(`WARN ${message}`); } };

  before(async () => {
    s3 = await startS3rver({ bucket: 'models' });
    storage = new S3Storage({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    work = await mkdtemp(path.join(tmpdir(), 'remote-models-'));
    demoDir = await ensureDemoModel(path.join(work, 'built'));
    demoFiles = (await filesUnder(demoDir)).filter((file) => !file.startsWith('atelier-demo'));
    let sums = '';
    for (const file of demoFiles) {
      const bytes = await readFile(path.join(demoDir, file));
      sums += `${createHash('sha256').update(bytes).digest('hex')}  ${file}\n`;
      await storage.put(`models/good/${file}`, bytes, 'application/octet-stream');
      await storage.put(`models/tampered/${file}`, file === 'unet/model.onnx' ? Buffer.concat([bytes, Buffer.from([0])]) : bytes, 'application/octet-stream');
    }
    await storage.put('models/good/SHA256SUMS', Buffer.from(sums), 'text/plain');
    await storage.put('models/tampered/SHA256SUMS', Buffer.from(sums), 'text/plain');
  });
  after(async () => {
    storage?.destroy();
    await s3?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('parses sha256sum output', () => {
    const sums = parseChecksums(`${'a'.repeat(64)}  unet/model.onnx\n${'B'.repeat(64)} *./vae_decoder/model.onnx\nnot a line\n`);
    assert.deepEqual([...sums], [
      ['unet/model.onnx', 'a'.repeat(64)],
      ['vae_decoder/model.onnx', 'b'.repeat(64)],
    ]);
  });

  it('downloads a verified model once, serves it, and refuses one whose bytes do not match SHA256SUMS', async () => {
    const cache = path.join(work, 'cache');
    const counted = countingDownloads(storage);
    const synced = await syncRemoteModels(counted.storage, 'models/', cache, log);
    assert.deepEqual(synced, [{ id: 'good', dir: path.join(cache, 'good') }]);
    assert.ok(log.messages.some((message) => message.startsWith('WARN remote model tampered refused') && message.includes('unet/model.onnx')));
    for (const file of demoFiles) assert.deepEqual(await readFile(path.join(cache, 'good', file)), await readFile(path.join(demoDir, file)));
    const catalog = await ModelCatalog.scan(path.join(work, 'no-local-models'), synced);
    assert.equal(catalog.get('good')?.summary().default_width, 256);

    const before = counted.downloads();
    await syncRemoteModels(counted.storage, 'models', cache, log);
    assert.equal(counted.downloads() - before, demoFiles.length + 1, 'only the refused model is fetched again; the verified one comes from the cache');
  });
});
