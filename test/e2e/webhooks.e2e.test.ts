import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { generateWebhookSecret } from '@atelier/webhooks';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ScriptedReceiver } from '../support/scripted-receiver.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

interface Attempt {
  event: string;
  attempt: number;
  outcome: string;
  status: number | null;
}

describe('webhook delivery: SSRF rules, retries, 410, dead letters, redelivery (real receiver)', () => {
  let fixture: FarmFixture;
  let receiver: ScriptedReceiver;

  before(async () => {
    // The receiver comes first: the farm allowlists exactly its host and port.
    const webhookSecret = generateWebhookSecret();
    receiver = new ScriptedReceiver(webhookSecret);
    await receiver.start();
    fixture = await startFarmFixture({ WEBHOOK_ALLOWED_HOSTS: new URL(receiver.url).host }, 1, { webhookSecret });
  });
  after(async () => {
    await receiver?.stop();
    await fixture?.stop();
  });

  const generate = async (events: string[]): Promise<string> => {
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, webhook: { url: receiver.url, events } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    return created.body.id;
  };
  const attemptsOf = async (id: string): Promise<Attempt[]> =>
    (await fixture.api.request<{ webhook_deliveries: Attempt[] }>('GET', `/v1/generations/${id}`)).body.webhook_deliveries;

  it('refuses webhook targets that could reach internal services', async () => {
    for (const url of ['http://example.com/hook', 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.7/hook', 'https://[::ffff:127.0.0.1]/x', 'https://localhost/x']) {
      const response = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/generations', { ...TINY, webhook: { url } });
      assert.equal(response.status, 400, url);
      assert.equal(response.body.error.details[0].field, 'webhook.url', url);
    }
    const batch = await fixture.api.request('POST', '/v1/batches', { requests: [TINY], webhook: { url: 'http://example.com/x' } });
    assert.equal(batch.status, 400);
  });

  it('retries failed deliveries with backoff and records every attempt on the job', async () => {
    receiver.answerNext(500, 503);
    const id = await generate(['generation.succeeded']);
    await waitUntil(() => receiver.forGeneration(id).some((delivery) => delivery.answered === 204), 15_000, 'the third attempt');
    const deliveries = receiver.forGeneration(id);
    assert.deepEqual(deliveries.map((delivery) => delivery.answered), [500, 503, 204]);
    assert.ok(deliveries.every((delivery) => delivery.verified), 'every attempt is signed');
    assert.equal(new Set(deliveries.map((delivery) => delivery.headers['webhook-id'])).size, 1, 'one message id across retries');
    await waitUntil(async () => (await attemptsOf(id)).length === 3, 5_000, 'attempt records');
    assert.deepEqual(
      (await attemptsOf(id)).map((attempt) => [attempt.attempt, attempt.outcome, attempt.status]),
      [
        [1, 'retrying', 500],
        [2, 'retrying', 503],
        [3, 'delivered', 204],
      ],
    );
  });

  it('dead-letters exhausted deliveries and redelivers them once the receiver is back', async () => {
    await receiver.stop();
    const id = await generate(['generation.succeeded']);
    await waitUntil(async () => (await attemptsOf(id)).some((attempt) => attempt.outcome === 'dead_lettered'), 20_000, 'dead letter');
    assert.equal((await attemptsOf(id)).length, 5, 'WEBHOOK_MAX_ATTEMPTS attempts');
    const letters = await fixture.api.request<{ data: Array<{ id: string; subject: { id: string } }> }>('GET', '/v1/webhooks/dead-letters');
    const letter = letters.body.data.find((entry) => entry.subject.id === id);
    assert.ok(letter);
    await receiver.start();
    assert.equal((await fixture.api.request('POST', `/v1/webhooks/dead-letters/${letter.id}/redeliver`)).status, 201);
    await waitUntil(() => receiver.forGeneration(id).length === 1, 10_000, 'redelivery');
    assert.equal(receiver.forGeneration(id)[0].verified, true);
    const after = await fixture.api.request<{ data: Array<{ id: string }> }>('GET', '/v1/webhooks/dead-letters');
    assert.ok(!after.body.data.some((entry) => entry.id === letter.id));
  });

  it('a 410 Gone disables the endpoint; later events are not sent until it is enabled again', async () => {
    receiver.answerNext(410);
    const first = await generate(['generation.succeeded']);
    await waitUntil(async () => (await attemptsOf(first)).some((attempt) => attempt.outcome === 'dead_lettered'), 10_000, '410 handling');
    assert.equal(receiver.forGeneration(first).length, 1, 'no retry after 410');
    const disabled = await fixture.api.request<{ data: string[] }>('GET', '/v1/webhooks/disabled-endpoints');
    assert.deepEqual(disabled.body.data, [receiver.url]);
    const second = await generate(['generation.succeeded']);
    await waitUntil(async () => (await attemptsOf(second)).some((attempt) => attempt.outcome === 'endpoint_disabled'), 10_000, 'skipped delivery');
    assert.equal(receiver.forGeneration(second).length, 0);
    assert.equal((await fixture.api.request('POST', '/v1/webhooks/disabled-endpoints/enable', { url: receiver.url })).status, 201);
    const third = await generate(['generation.succeeded']);
    await waitUntil(() => receiver.forGeneration(third).length === 1, 10_000, 'delivery after re-enabling');
  });
});
