import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { startRedisCluster, type LocalRedisCluster } from '@atelier/local-services/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

describe('a farm on a Redis Cluster that speaks TLS only (clients, bus, replication)', { timeout: 600_000 }, () => {
  let cluster: LocalRedisCluster;
  let fixture: FarmFixture;

  before(async () => {
    cluster = await startRedisCluster({ masters: 3, tls: true });
    const caFile = cluster.certificates?.caFile;
    assert.ok(caFile);
    fixture = await startFarmFixture({}, 1, { redisEnv: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_TLS: 'true', REDIS_TLS_CA_FILE: caFile } });
  });
  after(async () => {
    await fixture?.stop();
    await cluster?.stop();
  });

  it('runs a job and delivers its webhooks with REDIS_TLS=true and the cluster CA', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model: 'demo-sd15',
      prompt: 'a blue square',
      img_width: 64,
      img_height: 64,
      num_inference_steps: 4,
      webhook: { url: fixture.receiver.url },
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    await waitUntil(() => fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id)).length >= 2, 30_000, 'webhooks');
  });
});
