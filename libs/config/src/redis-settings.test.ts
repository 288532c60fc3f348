import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseEnvironment } from './env.schema.js';
import { loadRedisSettings, parseHostPort, redisSettingsOf } from './redis-settings.js';

function rejects(source: NodeJS.ProcessEnv, variable: string): void {
  assert.throws(
    () => parseEnvironment(source),
    (error: unknown) => error instanceof ConfigError && error.issues.some((issue) => issue.startsWith(`${variable}=`)),
    `${JSON.stringify(source)} should be refused naming ${variable}`,
  );
}

describe('Redis topology settings', () => {
  it('keeps a plain REDIS_URL exactly as before', () => {
    assert.deepEqual(redisSettingsOf(parseEnvironment({ REDIS_URL: 'redis://localhost:6379' })), { mode: 'single', url: 'redis://localhost:6379' });
  });

  it('reads rediss:// with a CA and a server name', () => {
    const env = parseEnvironment({ REDIS_URL: 'rediss://:pw@redis.internal:6380', REDIS_TLS_CA_FILE: '/etc/ca.pem', REDIS_TLS_SERVERNAME: 'redis.example.com' });
    assert.deepEqual(redisSettingsOf(env, 'PEM'), { mode: 'single', url: 'rediss://:pw@redis.internal:6380', tls: { ca: 'PEM', servername: 'redis.example.com' } });
  });

  it('reads Sentinel: sentinels, master name, both passwords, TLS', () => {
    const env = parseEnvironment({
      REDIS_SENTINELS: 's1:26379, s2:26379,[::1]:26380',
      REDIS_SENTINEL_MASTER: 'atelier',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'data-secret',
      REDIS_TLS: 'true',
    });
    assert.deepEqual(redisSettingsOf(env), {
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'atelier',
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
      tls: {},
    });
  });

  it('reads Cluster seed nodes', () => {
    const env = parseEnvironment({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001', REDIS_USERNAME: 'farm', REDIS_PASSWORD: 'pw' });
    assert.deepEqual(redisSettingsOf(env), { mode: 'cluster', nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }], username: 'farm', password: 'pw' });
  });

  it('refuses contradictions and settings that would be silently ignored, naming the variable', () => {
    rejects({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'n1:7000' }, 'REDIS_CLUSTER_NODES');
    rejects({ REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_MASTER');
    rejects({ REDIS_SENTINEL_MASTER: 'atelier', REDIS_URL: 'redis://a:6379' }, 'REDIS_SENTINEL_MASTER');
    rejects({ REDIS_URL: 'redis://a:6379', REDIS_TLS_CA_FILE: '/etc/ca.pem' }, 'REDIS_TLS_CA_FILE');
    rejects({ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_TLS_SERVERNAME: 'redis.example.com' }, 'REDIS_TLS_SERVERNAME');
    rejects({ REDIS_URL: 'redis://a:6379', REDIS_TLS: 'true' }, 'REDIS_TLS');
    rejects({ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'pw' }, 'REDIS_PASSWORD');
    rejects({ REDIS_CLUSTER_NODES: 'n1' }, 'REDIS_CLUSTER_NODES');
    rejects({ REDIS_SENTINELS: 'http://s1:26379', REDIS_SENTINEL_MASTER: 'atelier' }, 'REDIS_SENTINELS');
  });

  it('parses host:port and bracketed IPv6, and refuses anything else', () => {
    assert.deepEqual(parseHostPort('redis-0.redis:6379'), { host: 'redis-0.redis', port: 6379 });
    assert.deepEqual(parseHostPort('[fd00::1]:7000'), { host: 'fd00::1', port: 7000 });
    for (const bad of ['redis', 'redis:0', 'redis:70000', 'redis://x:1']) assert.equal(parseHostPort(bad), undefined, bad);
  });

  it('reads the CA file at start-up, and names REDIS_TLS_CA_FILE when it is missing or not PEM', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-ca-'));
    try {
      const pem = path.join(dir, 'ca.pem');
      await writeFile(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const loaded = await loadRedisSettings(parseEnvironment({ REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: pem }));
      assert.equal(loaded.tls?.ca?.startsWith('-----BEGIN CERTIFICATE-----'), true);
      const junk = path.join(dir, 'junk.txt');
      await writeFile(junk, 'not a certificate');
      for (const file of [path.join(dir, 'missing.pem'), junk]) {
        await assert.rejects(loadRedisSettings(parseEnvironment({ REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: file })), (error: unknown) => error instanceof ConfigError && error.issues[0].startsWith('REDIS_TLS_CA_FILE='));
      }
      await assert.rejects(loadRedisSettings(parseEnvironment({})), (error: unknown) => error instanceof ConfigError && error.issues[0].startsWith('REDIS_URL='));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
