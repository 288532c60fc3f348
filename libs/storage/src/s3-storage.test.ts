import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { S3Storage, type S3StorageOptions } from './s3-storage.js';
import { describeObjectStorageContract } from './testing/object-storage-contract.js';
import { startS3rver, type RunningS3rver } from './testing/s3rver-server.js';

function optionsFor(server: RunningS3rver, overrides: Partial<S3StorageOptions> = {}): S3StorageOptions {
  return {
    endpoint: server.endpoint,
    region: 'us-east-1',
    bucket: server.bucket,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    ...overrides,
  };
}

describeObjectStorageContract('S3Storage on s3rver', async () => {
  const server = await startS3rver({ bucket: 'contract' });
  const storage = new S3Storage(optionsFor(server));
  const extras: S3Storage[] = [];
  return {
    storage,
    unreachable: async () => {
      const stopped = await startS3rver({ bucket: 'stopped' });
      await stopped.stop();
      const broken = new S3Storage(optionsFor(stopped, { requestTimeoutMs: 2_000 }));
      extras.push(broken);
      return broken;
    },
    atomicConcurrentWrites: false,
    teardown: async () => {
      for (const s of [storage, ...extras]) s.destroy();
      await server.stop();
    },
  };
});

describe('S3Storage specifics', () => {
  let server: RunningS3rver;
  const storages: S3Storage[] = [];
  const track = (storage: S3Storage): S3Storage => {
    storages.push(storage);
    return storage;
  };

  before(async () => {
    server = await startS3rver({ bucket: 'specifics' });
  });
  after(async () => {
    for (const storage of storages) storage.destroy();
    await server.stop();
  });

  it('ensureBucket creates a missing bucket, then is a no-op', async () => {
    const storage = track(new S3Storage(optionsFor(server, { bucket: 'created-on-demand' })));
    await assert.rejects(storage.ping());
    await storage.ensureBucket();
    await storage.ensureBucket();
    await storage.ping();
    await storage.put('hello.txt', Buffer.from('hi'), 'text/plain');
    assert.equal((await storage.get('hello.txt')).toString(), 'hi');
  });

  it('signs presigned URLs for publicEndpoint when one is given', async () => {
    const publicEndpoint = server.endpoint.replace('127.0.0.1', 'localhost');
    const storage = track(new S3Storage(optionsFor(server, { publicEndpoint })));
    await storage.put('public/p.txt', Buffer.from('through the public address'), 'text/plain');
    const url = await storage.presignGet('public/p.txt', 60);
    assert.ok(url.startsWith(`${publicEndpoint}/specifics/public/p.txt?`), url);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'through the public address');
  });

  it('describes its target without leaking credentials', () => {
    const storage = track(new S3Storage(optionsFor(server, { secretAccessKey: 'super-secret-value' })));
    assert.equal(storage.describe(), `s3://specifics via ${server.endpoint}`);
    assert.ok(!storage.describe().includes('super-secret-value'));
    const aws = track(new S3Storage({ ...optionsFor(server), endpoint: undefined, region: 'eu-west-3' }));
    assert.equal(aws.describe(), 's3://specifics via AWS eu-west-3');
  });
});
