import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startPrivateRedis, type PrivateRedis } from '@atelier/local-services';
import { createRedisConnection, type RedisClient } from '@atelier/queue';
import { generateWebhookSecret } from '@atelier/webhooks';
import { WebhookSecretStore } from './webhook-secret-store.js';

describe('webhook secrets per tenant (real redis-server)', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  let others: RedisClient[];
  let prefix: string;
  let clock: number;
  let run = 0;
  const OWNER_SECRET = generateWebhookSecret();
  const storeOn = (connection: RedisClient): WebhookSecretStore =>
    new WebhookSecretStore(connection, prefix, {
      generate: generateWebhookSecret,
      initialSecret: (tenant) => (tenant === 'default' ? OWNER_SECRET : undefined),
      now: () => clock,
    });

  before(async () => {
    server = await startPrivateRedis();
    redis = createRedisConnection(server.url);
    others = [createRedisConnection(server.url), createRedisConnection(server.url), createRedisConnection(server.url)];
  });
  after(async () => {
    for (const connection of [redis, ...others]) connection.disconnect();
    await server.stop();
  });
  beforeEach(() => {
    prefix = `t${++run}`;
    clock = 1_800_000_000_000;
  });

  it('creates a random secret on first use, keeps it, and gives each tenant its own', async () => {
    const store = storeOn(redis);
    const first = await store.secretsFor('acme');
    assert.match(first.current, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(first.previous, undefined);
    assert.deepEqual(await store.secretsFor('acme'), first);
    assert.equal(await redis.hget(`${prefix}:tenant:acme:webhook-secret`, 'current'), first.current);
    const other = await store.secretsFor('globex');
    assert.notEqual(other.current, first.current);
    assert.notEqual(first.current, OWNER_SECRET);
  });

  it('starts the owner tenant with the configured secret, and only it', async () => {
    const store = storeOn(redis);
    assert.equal((await store.secretsFor('default')).current, OWNER_SECRET);
    assert.notEqual((await store.secretsFor('local')).current, OWNER_SECRET);
  });

  it('agrees on one secret when many processes use it first at the same time', async () => {
    const stores = others.map(storeOn);
    const seen = await Promise.all(Array.from({ length: 60 }, (_, index) => stores[index % stores.length].secretsFor('racer')));
    assert.equal(new Set(seen.map((secrets) => secrets.current)).size, 1);
    assert.equal((await storeOn(redis).secretsFor('racer')).current, seen[0].current);
  });

  it('rotates with an overlap: the old secret signs beside the new one until it expires, then is gone', async () => {
    const store = storeOn(redis);
    const old = (await store.secretsFor('acme')).current;
    const rotated = await store.rotate('acme', 3600);
    assert.notEqual(rotated.secret, old);
    assert.equal(rotated.previousExpiresAt?.getTime(), clock + 3600_000);
    assert.deepEqual(await store.secretsFor('acme'), { current: rotated.secret, previous: { secret: old, expiresAt: new Date(clock + 3600_000) } });

    clock += 3599_999;
    assert.equal((await store.secretsFor('acme')).previous?.secret, old);
    clock += 1;
    assert.deepEqual(await store.secretsFor('acme'), { current: rotated.secret });
    // Removed from Redis, not merely hidden.
    assert.equal(await redis.hget(`${prefix}:tenant:acme:webhook-secret`, 'previous'), null);
  });

  it('revokes the old secret at once with overlap 0', async () => {
    const store = storeOn(redis);
    const old = (await store.secretsFor('acme')).current;
    await store.rotate('acme', 3600);
    const rotated = await store.rotate('acme', 0);
    assert.equal(rotated.previousExpiresAt, null);
    const now = await store.secretsFor('acme');
    assert.deepEqual(now, { current: rotated.secret });
    assert.notEqual(now.current, old);
    assert.equal(await redis.hget(`${prefix}:tenant:acme:webhook-secret`, 'previous'), null);
  });

  it('keeps the initial secret signing during the overlap when the owner rotates before any use', async () => {
    const rotated = await storeOn(redis).rotate('default', 60);
    assert.deepEqual(await storeOn(redis).secretsFor('default'), { current: rotated.secret, previous: { secret: OWNER_SECRET, expiresAt: new Date(clock + 60_000) } });
  });

  it('rotates a tenant that never used its secret without inventing a previous one', async () => {
    const rotated = await storeOn(redis).rotate('fresh', 60);
    assert.equal(rotated.previousExpiresAt, null);
    assert.deepEqual(await storeOn(redis).secretsFor('fresh'), { current: rotated.secret });
  });

  it('refuses an overlap that is not whole seconds >= 0', async () => {
    for (const overlap of [-1, 1.5, Number.NaN]) await assert.rejects(storeOn(redis).rotate('acme', overlap), RangeError);
  });
});
