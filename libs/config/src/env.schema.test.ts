import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { supportedDevices } from '@atelier/contracts';
import { ConfigError, parseEnvironment } from './env.schema.js';

describe('environment schema', () => {
  it('applies documented defaults', () => {
    const env = parseEnvironment({});
    assert.equal(env.PORT, 8080);
    assert.equal(env.STORAGE_DRIVER, 'local');
    assert.equal(env.EXECUTION_PROVIDER, 'cpu');
    assert.equal(env.WORKER_SHUTDOWN_DEADLINE_MS, 30_000);
    assert.equal(env.S3_FORCE_PATH_STYLE, true);
  });

  it('names the variable and the reason for every bad value', () => {
    assert.throws(
      () => parseEnvironment({ PORT: 'eighty', EXECUTION_PROVIDER: 'tpu', REDIS_URL: 'http://x', S3_FORCE_PATH_STYLE: 'maybe' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.message;
        for (const name of ['PORT="eighty"', 'EXECUTION_PROVIDER="tpu"', 'REDIS_URL="http://x"', 'S3_FORCE_PATH_STYLE="maybe"']) {
          assert.ok(text.includes(name), `${name} missing from:\n${text}`);
        }
        return true;
      },
    );
  });

  it('accepts only devices the execution-provider table supports here, listing them when refused', () => {
    for (const device of supportedDevices()) assert.equal(parseEnvironment({ EXECUTION_PROVIDER: device }).EXECUTION_PROVIDER, device);
    assert.throws(
      () => parseEnvironment({ EXECUTION_PROVIDER: 'tpu' }),
      (error: unknown) => error instanceof ConfigError && error.issues.some((issue) => issue.startsWith('EXECUTION_PROVIDER="tpu"') && supportedDevices().every((device) => issue.includes(device))),
    );
  });

  it('refuses an allowlist entry that is not host or host:port', () => {
    assert.equal(parseEnvironment({ OUTBOUND_ALLOWED_HOSTS: 'images.internal:8080, [::1]:9000, cdn.example' }).OUTBOUND_ALLOWED_HOSTS, 'images.internal:8080, [::1]:9000, cdn.example');
    for (const [name, value] of [['OUTBOUND_ALLOWED_HOSTS', 'http://images.internal'], ['WEBHOOK_ALLOWED_HOSTS', '127.0.0.1:70000']] as const) {
      assert.throws(
        () => parseEnvironment({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(name),
        name,
      );
    }
  });

  it('coerces numbers and flags from strings', () => {
    const env = parseEnvironment({ WORKER_CONCURRENCY: '4', WEBHOOK_DISPATCHER: 'false', MAX_STEPS: '20' });
    assert.equal(env.WORKER_CONCURRENCY, 4);
    assert.equal(env.WEBHOOK_DISPATCHER, false);
    assert.equal(env.MAX_STEPS, 20);
  });
});
