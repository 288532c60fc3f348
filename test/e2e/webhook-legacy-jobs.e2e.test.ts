import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Queue } from 'bullmq';
import { JobName, QueueName, type GenerationView } from '@atelier/contracts';
import { findFreePort } from '@atelier/local-services';
import { createRedisConnection, type RedisClient } from '@atelier/queue';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ScriptedReceiver } from '../support/scripted-receiver.js';
import { JobRuntime, queueDefinitions } from '@atelier/jobs';
import { parseEnvironment } from '@atelier/config';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

/**
 * Deliveries queued before the job payload named its tenant must still arrive signed with the
 * right tenant's secret: the subject's owner, else the farm's own tenant (whose initial secret is
 * WEBHOOK_SECRET, the single secret such deliveries were signed with before).
 */
describe('webhook jobs queued without a tenant (real farm)', () => {
  let fixture: FarmFixture;
  let redis: RedisClient;
  let queue: Queue;
  let tenant: TestApiClient;
  let receiver: ScriptedReceiver;

  const enqueueLegacy = async (subjectId: string, url: string): Promise<string> => {
    const messageId = `msg_legacy_${subjectId}`;
    const body = JSON.stringify({ type: 'generation.succeeded', timestamp: new Date().toISOString(), data: { id: subjectId } });
    // Exactly the v1 payload of before, without `tenant`.
    await queue.add(JobName.DeliverWebhook, { v: 1, messageId, event: 'generation.succeeded', url, body, subject: { kind: 'generation', id: subjectId } }, { jobId: messageId });
    return messageId;
  };

  before(async () => {
    // The tenant's receiver can only start once the tenant's secret exists; its port is allowlisted up front.
    const receiverPort = await findFreePort();
    fixture = await startFarmFixture({ WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiverPort}` });
    redis = createRedisConnection(fixture.farm.redisUrl);
    queue = new JobRuntime({ definitions: queueDefinitions(parseEnvironment({ WEBHOOK_MAX_ATTEMPTS: '5' })), prefix: 'atelier', queueConnection: redis, blockingConnection: () => createRedisConnection(fixture.farm.redisUrl) }).queue(QueueName.Webhook);
    const created = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'acme', scopes: ['generate'] });
    assert.equal(created.status, 201);
    tenant = new TestApiClient(fixture.farm.apiUrl, created.body.key);
    const secret = await tenant.request<{ secret: string }>('GET', '/v1/webhooks/secret');
    receiver = new ScriptedReceiver(secret.body.secret, receiverPort);
    await receiver.start();
  });
  after(async () => {
    await receiver?.stop();
    await queue?.close();
    redis?.disconnect();
    await fixture?.stop();
  });

  it("signs with the secret of the subject's tenant", async () => {
    const created = await tenant.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await tenant.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    await enqueueLegacy(created.body.id, receiver.url);
    await waitUntil(() => receiver.forGeneration(created.body.id).length > 0, 30_000, 'the legacy delivery');
    assert.equal(receiver.forGeneration(created.body.id)[0].verified, true);
  });

  it("signs with the farm owner's secret when the subject is gone", async () => {
    const messageId = await enqueueLegacy('gen_gone', fixture.receiver.url);
    await waitUntil(() => fixture.receiver.received.some((delivery) => delivery.headers['webhook-id'] === messageId), 30_000, 'the legacy delivery');
    const delivery = fixture.receiver.received.find((entry) => entry.headers['webhook-id'] === messageId);
    assert.equal(delivery?.verificationError, undefined);
    assert.deepEqual(delivery?.payload, JSON.parse(delivery?.body ?? 'null'));
  });
});
