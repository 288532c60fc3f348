import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { createRedisConnection, type RedisClient } from '@atelier/queue';
import { ApiKeyStore } from './api-key-store.js';
import { KeyAdmission } from './key-admission.js';
import { TenantLimitsStore } from './limits-store.js';
import { Scope } from './scopes.js';

const DEFAULTS = { requests_per_minute: 3, max_running_jobs: 10, max_queued_jobs: 5, max_batch_size: 100 };
const NOW = 1_800_000_010_000;

describe('key admission and queued-job reservation in one round trip each (real redis-server)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let keys: ApiKeyStore;
  let limits: TenantLimitsStore;
  let admission: KeyAdmission;
  let run = 0;

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(() => {
    const prefix = `ka${++run}`;
    keys = new ApiKeyStore(redis, prefix);
    limits = new TenantLimitsStore(redis, prefix, DEFAULTS);
    admission = new KeyAdmission(redis, keys, limits);
  });

  const used = async (keyId: string): Promise<number> => Number((await redis.get(limits.rateKey(keyId, NOW))) ?? 0);

  it('admits a valid key with the scope, counting it in the window, with the tenant limits', async () => {
    const { key, record } = await keys.create({ tenant: 'acme', scopes: [Scope.Generate] });
    const admitted = await admission.admit(key, Scope.Generate, NOW);
    assert.equal(admitted.kind, 'counted');
    assert.ok(admitted.kind === 'counted');
    assert.deepEqual(admitted.principal, { keyId: record.id, tenant: 'acme', scopes: [Scope.Generate] });
    assert.deepEqual(admitted.limits, DEFAULTS);
    assert.deepEqual(admitted.rate, { allowed: true, used: 1, retryAfterSeconds: 50 });
    await limits.setLimits('acme', { requests_per_minute: 1 });
    const second = await admission.admit(key, Scope.Generate, NOW);
    assert.ok(second.kind === 'counted');
    assert.equal(second.limits.requests_per_minute, 1);
    assert.deepEqual(second.rate, { allowed: false, used: 2, retryAfterSeconds: 50 });
    // An admin key has every scope.
    const admin = await keys.create({ tenant: 'acme', scopes: [Scope.Admin] });
    assert.equal((await admission.admit(admin.key, Scope.Train, NOW)).kind, 'counted');
  });

  it('refuses unknown, wrong-secret, revoked and rotated-out keys without counting them', async () => {
    const { key, record } = await keys.create({ tenant: 'acme', scopes: [Scope.Generate] });
    const wrongSecret = `atl_${record.id}_${'A'.repeat(32)}`;
    assert.equal((await admission.admit(wrongSecret, Scope.Generate, NOW)).kind, 'refused');
    assert.equal((await admission.admit('atl_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAA', Scope.Generate, NOW)).kind, 'refused');
    assert.equal((await admission.admit('not-a-key', Scope.Generate, NOW)).kind, 'refused');
    assert.equal(await used(record.id), 0);

    const rotated = await keys.rotate(record.id);
    assert.ok(rotated);
    assert.equal((await admission.admit(key, Scope.Generate, NOW)).kind, 'refused', 'the old secret stops at once');
    assert.equal((await admission.admit(rotated.key, Scope.Generate, NOW)).kind, 'counted');
    await keys.revoke(record.id);
    assert.equal((await admission.admit(rotated.key, Scope.Generate, NOW)).kind, 'refused', 'revocation applies to the next request');
    assert.equal(await used(record.id), 1);
  });

  it('answers forbidden for a key without the scope, without counting it', async () => {
    const { key, record } = await keys.create({ tenant: 'acme', scopes: [Scope.Generate] });
    const verdict = await admission.admit(key, Scope.Train, NOW);
    assert.equal(verdict.kind, 'forbidden');
    assert.ok(verdict.kind === 'forbidden');
    assert.equal(verdict.principal.tenant, 'acme');
    assert.equal(await used(record.id), 0);
  });

  it('admits a seeded (bootstrap) key through its seed lookup', async () => {
    const key = 'atl_local_0123456789abcdef0123456789abcdef';
    const seeded = await keys.seed(key, 'default', [Scope.Admin], 'bootstrap');
    const admitted = await admission.admit(key, Scope.Generate, NOW);
    assert.ok(admitted.kind === 'counted');
    assert.equal(admitted.principal.keyId, seeded.id);
    assert.equal(await used(seeded.id), 1);
  });

  it('reserves queued jobs up to the tenant limit and leaves the counter alone when refusing', async () => {
    assert.deepEqual(await limits.reserveQueued('acme', 3), { after: 3, max: 5, allowed: true });
    assert.deepEqual(await limits.reserveQueued('acme', 3), { after: 6, max: 5, allowed: false });
    assert.equal(await limits.outstanding('acme'), 3);
    await limits.setLimits('acme', { max_queued_jobs: 6 });
    assert.deepEqual(await limits.reserveQueued('acme', 3), { after: 6, max: 6, allowed: true });
    assert.equal(await limits.outstanding('acme'), 6);
  });
});
