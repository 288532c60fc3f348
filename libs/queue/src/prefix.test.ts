import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueKeys } from 'bullmq';
import { QueueName } from '@atelier/contracts';
import { RedisKeys } from './keys.js';
import { bullmqPrefix } from './prefix.js';
import { generationQueueName } from './queues.js';

/** Redis Cluster's key → slot function (CRC16/XMODEM of the hash tag, or of the key, mod 16384). */
function hashSlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

/** Every key name RedisKeys can produce, with representative ids. */
function everyOwnKey(keys: RedisKeys): string[] {
  return [
    keys.generation('gen_1'),
    keys.batch('bat_1'),
    keys.batchItems('bat_1'),
    keys.cancelChannel(),
    keys.worker('w1'),
    keys.workers(),
    keys.tenantOutstanding('acme'),
    keys.tenantGenerations('acme'),
    keys.tenantRunning('acme'),
    keys.models(),
    keys.training('trn_1'),
    keys.outbox(),
    keys.absent(),
    keys.workerClasses(),
    // Hand-built elsewhere on top of keys.prefix (tenancy, idempotency, webhook ledger, worker control).
    `${keys.prefix}:apikey:key_1`,
    `${keys.prefix}:tenant:acme:limits`,
    `${keys.prefix}:idempotency:acme:abc`,
    `${keys.prefix}:generation:gen_1:deliveries`,
    `${keys.prefix}:worker-control`,
  ];
}

describe('bullmqPrefix and the key layout', () => {
  it('hash-tags the prefix on a Cluster only; single Redis and Sentinel keep the historical prefix', () => {
    assert.equal(bullmqPrefix('atelier', 'cluster'), '{atelier}');
    assert.equal(bullmqPrefix('atelier', 'single'), 'atelier');
    assert.equal(bullmqPrefix('atelier', 'sentinel'), 'atelier');
    assert.equal(new RedisKeys(bullmqPrefix('atelier', 'single')).generation('gen_1'), 'atelier:farm:generation:gen_1', 'existing deployments find their keys');
  });

  it('puts every Atelier key and every BullMQ key of every queue in one slot on a Cluster', () => {
    const prefix = bullmqPrefix('atelier', 'cluster');
    const bullmq = new QueueKeys(prefix);
    const queues = [...Object.values(QueueName), generationQueueName('gpu-large')];
    const all = [...everyOwnKey(new RedisKeys(prefix)), ...queues.flatMap((queue) => Object.values(bullmq.getKeys(queue))), bullmq.toKey(QueueName.Webhook, 'job_1')];
    const slots = new Set(all.map(hashSlot));
    assert.deepEqual([...slots], [hashSlot('{atelier}')], `keys outside the slot: ${all.filter((key) => hashSlot(key) !== hashSlot('{atelier}')).join(', ')}`);
    assert.equal(hashSlot('{atelier}'), 3037, 'the slot redis-server itself reports for {atelier} (CLUSTER KEYSLOT)');
  });

  it('shows why the tag matters: untagged keys scatter across slots', () => {
    const slots = new Set(everyOwnKey(new RedisKeys(bullmqPrefix('atelier', 'single'))).map(hashSlot));
    assert.ok(slots.size > 1);
  });
});
