import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { findFreePort, spawnRole } from '@atelier/local-services';
import { startTlsRedis, type LocalTlsRedis } from '@atelier/local-services/testing';
import { RedisCertificateError, assertRedisCertificateTrusted, createRedisConnection } from '@atelier/queue';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

describe('a farm over TLS (rediss:// with a private CA)', { timeout: 600_000 }, () => {
  let tls: LocalTlsRedis;
  let fixture: FarmFixture;

  before(async () => {
    tls = await startTlsRedis();
    fixture = await startFarmFixture({}, 1, { redisEnv: { REDIS_URL: tls.url, REDIS_TLS_CA_FILE: tls.caFile } });
  });
  after(async () => {
    await fixture?.stop();
    await tls?.stop();
  });

  it('runs a job when the CA that signed the server certificate is configured', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 4 });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
  });

  it('refuses a certificate from another CA: the client rejects with a coded error naming REDIS_TLS_CA_FILE', async () => {
    const settings = { mode: 'single', url: tls.url, tls: { ca: await readFile(tls.untrustedCaFile, 'utf8') } } as const;
    const client = createRedisConnection(settings);
    try {
      await assert.rejects(assertRedisCertificateTrusted(client, settings), (error: unknown) => {
        assert.ok(error instanceof RedisCertificateError);
        assert.equal(error.code, 'redis_certificate_refused');
        assert.equal(error.tlsCode, 'SELF_SIGNED_CERT_IN_CHAIN');
        assert.ok(error.issues[0].startsWith('REDIS_TLS_CA_FILE'));
        return true;
      });
    } finally {
      client.disconnect();
    }
  });

  it('an API process given the wrong CA stops at start-up with exit code 2 and that message', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    const api = spawnRole('api', { env: { ...fixture.farm.env, PORT: String(await findFreePort()), REDIS_TLS_CA_FILE: tls.untrustedCaFile }, output: sink, label: 'untrusted-api' });
    const code = await api.exited;
    assert.equal(code, 2, output.slice(-2000));
    assert.match(output, /REDIS_TLS_CA_FILE: the Redis server's certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\)/);
  });
});
