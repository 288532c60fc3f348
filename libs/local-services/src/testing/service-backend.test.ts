import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ServiceBackendError, chooseServiceBackend, dockerEndpoints, dockerEngineAnswers } from './service-backend.js';

describe('test service backend choice', () => {
  it('uses containers exactly when an engine answers, unless told otherwise', () => {
    assert.equal(chooseServiceBackend({ requested: undefined, engineAnswers: true }), 'containers');
    assert.equal(chooseServiceBackend({ requested: undefined, engineAnswers: false }), 'spawned');
    assert.equal(chooseServiceBackend({ requested: '', engineAnswers: false }), 'spawned');
    assert.equal(chooseServiceBackend({ requested: 'spawned', engineAnswers: true }), 'spawned');
    assert.equal(chooseServiceBackend({ requested: 'containers', engineAnswers: true }), 'containers');
  });

  it('fails clearly when containers are forced and no engine answers, and on an unknown value', () => {
    assert.throws(
      () => chooseServiceBackend({ requested: 'containers', engineAnswers: false }),
      (error: unknown) => error instanceof ServiceBackendError && error.code === 'container_engine_missing' && error.message.includes('ATELIER_TEST_SERVICES'),
    );
    assert.throws(
      () => chooseServiceBackend({ requested: 'docker', engineAnswers: true }),
      (error: unknown) => error instanceof ServiceBackendError && error.code === 'unknown_service_backend',
    );
  });

  it('probes DOCKER_HOST when set, the default sockets otherwise', () => {
    assert.deepEqual(dockerEndpoints({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }), [{ socketPath: '/run/user/1000/docker.sock' }]);
    assert.deepEqual(dockerEndpoints({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }), [{ host: '10.0.0.5', port: 2375 }]);
    assert.deepEqual(dockerEndpoints({ DOCKER_HOST: 'ssh://builder' }), []);
    assert.equal(dockerEndpoints({}).some((endpoint) => 'socketPath' in endpoint && endpoint.socketPath === '/var/run/docker.sock'), true);
  });

  it('counts an engine as answering only when GET /_ping returns 200 on its socket', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-engine-'));
    const socketPath = path.join(dir, 'docker.sock');
    let healthy = true;
    const engine = createServer((request, response) => {
      response.writeHead(request.url === '/_ping' && healthy ? 200 : 500).end('OK');
    });
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    try {
      assert.equal(await dockerEngineAnswers({ DOCKER_HOST: `unix://${socketPath}` }), true);
      healthy = false;
      assert.equal(await dockerEngineAnswers({ DOCKER_HOST: `unix://${socketPath}` }), false);
      assert.equal(await dockerEngineAnswers({ DOCKER_HOST: `unix://${path.join(dir, 'nobody-home.sock')}` }), false);
    } finally {
      await new Promise((resolve) => engine.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
