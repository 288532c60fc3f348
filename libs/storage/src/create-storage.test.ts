import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { createStorage, type StorageConfig } from './create-storage.js';
import { LocalStorage } from './local-storage.js';
import { S3Storage } from './s3-storage.js';

describe('createStorage', () => {
  it('builds the driver named by the config', () => {
    const local = createStorage({
      driver: 'local',
      root: tmpdir(),
      publicBaseUrl: 'http://localhost:3000',
      signingSecret: 'sixteen-chars-min!',
    });
    assert.ok(local instanceof LocalStorage);

    const s3 = createStorage({
      driver: 's3',
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      bucket: 'b',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      forcePathStyle: true,
    });
    assert.ok(s3 instanceof S3Storage);
    assert.equal(s3.describe(), 's3://b via http://127.0.0.1:9');
    s3.destroy();
  });

  it('rejects an unknown driver coming from untyped config', () => {
    const bogus = JSON.parse('{"driver":"ftp"}') as StorageConfig;
    assert.throws(() => createStorage(bogus), /Unknown storage driver "ftp"/);
  });
});
