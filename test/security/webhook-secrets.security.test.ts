import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { GenerationView } from '@atelier/contracts';
import { findFreePort } from '@atelier/local-services';
import { OutboundAllowlist } from '@atelier/outbound';
import { deliverWebhook, webhookHeaders } from '@atelier/webhooks';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';
import { ScriptedReceiver, type ScriptedDelivery } from '../support/scripted-receiver.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

interface SecretBody {
  secret: string;
  previous_secret_expires_at: string | null;
  overlap_seconds?: number;
}

/** Whether the reference library accepts the delivery with this secret. */
function verifiesWith(secret: string, delivery: Pick<ScriptedDelivery, 'body' | 'headers'>): boolean {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

describe('webhook signing secrets are per tenant, rotate with an overlap and never reach the logs (real farm)', () => {
  const table = new ProbeTable('Webhook signing secrets');
  let fixture: FarmFixture;
  let output = '';
  let tenantA: TestApiClient;
  let tenantB: TestApiClient;
  let readOnlyA: TestApiClient;
  let receiverA: ScriptedReceiver;
  let receiverPort = 0;
  let flakyPort = 0;
  const seenSecrets = new Set<string>();

  const keyFor = async (tenant: string, scopes: string[]): Promise<TestApiClient> => {
    const created = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant, scopes });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return new TestApiClient(fixture.farm.apiUrl, created.body.key);
  };
  const secretOf = async (client: TestApiClient): Promise<string> => {
    const response = await client.request<SecretBody>('GET', '/v1/webhooks/secret');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    seenSecrets.add(response.body.secret);
    return response.body.secret;
  };
  /** Tenant A's generation.succeeded, as its receiver got it. */
  const deliveryOfAGeneration = async (): Promise<ScriptedDelivery> => {
    const created = await tenantA.request<GenerationView>('POST', '/v1/generations', { ...TINY, webhook: { url: receiverA.url, events: ['generation.succeeded'] } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitUntil(() => receiverA.forGeneration(created.body.id).length > 0, 120_000, `the webhook of ${created.body.id}`);
    return receiverA.forGeneration(created.body.id)[0];
  };

  before(async () => {
    const collector = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    // No WEBHOOK_SECRET: the farm generates its own, the case in which it used to be printed.
    // Tenant A's receiver needs A's secret, which exists only once the farm runs: its port is fixed
    // (and allowlisted) up front.
    receiverPort = await findFreePort();
    flakyPort = await findFreePort();
    const allowed = `127.0.0.1:${receiverPort},127.0.0.1:${flakyPort}`;
    fixture = await startFarmFixture({ WEBHOOK_SECRET: undefined, LOG_LEVEL: 'debug', WEBHOOK_ALLOWED_HOSTS: allowed }, 1, { output: collector });
    tenantA = await keyFor('acme', ['generate']);
    tenantB = await keyFor('globex', ['generate']);
    readOnlyA = await keyFor('acme', ['train']);
    receiverA = new ScriptedReceiver(await secretOf(tenantA), receiverPort);
    await receiverA.start();
  });
  after(async () => {
    await receiverA?.stop();
    await fixture?.stop();
  });

  it("gives each tenant its own secret: B's key never reads A's", async () => {
    const a = await secretOf(tenantA);
    const b = await secretOf(tenantB);
    table.record("GET /v1/webhooks/secret as tenant B equals tenant A's", 'different', a === b ? 'same' : 'different');
    assert.notEqual(b, a);
    assert.equal(await secretOf(tenantA), a, 'stable once created');
    const owner = await secretOf(fixture.api);
    assert.notEqual(owner, a);
    assert.notEqual(owner, b);
  });

  it("rejects a delivery forged with B's secret at A's receiver", async () => {
    const body = JSON.stringify({ type: 'generation.succeeded', timestamp: new Date().toISOString(), data: { id: 'gen_forged', status: 'succeeded' } });
    const headers = webhookHeaders({ secret: await secretOf(tenantB), id: 'msg_forged', timestamp: Math.floor(Date.now() / 1000), body });
    const policy = { allowlist: OutboundAllowlist.parse(new URL(receiverA.url).host), schemes: ['https:' as const] };
    const result = await deliverWebhook({ url: receiverA.url, policy, headers, body, timeoutMs: 10_000 });
    const forged = receiverA.forGeneration('gen_forged');
    table.record("generation.succeeded signed with B's secret, at A's receiver", 'rejected', forged[0]?.verified ? 'accepted' : 'rejected');
    assert.equal(forged.length, 1);
    assert.equal(forged[0].verified, false);
    assert.equal(result.status, 204, 'the scripted receiver answers 204 whatever it verified');
  });

  it("signs A's real deliveries with A's secret only", async () => {
    const delivery = await deliveryOfAGeneration();
    const b = await secretOf(tenantB);
    table.record("A's generation.succeeded verified with B's secret", 'rejected', verifiesWith(b, delivery) ? 'accepted' : 'rejected');
    assert.equal(delivery.verified, true, "A's receiver verifies A's delivery");
    assert.equal(verifiesWith(b, delivery), false);
    assert.equal(verifiesWith(await secretOf(fixture.api), delivery), false, "nor with the farm owner's");
  });

  it("lets B rotate only B's secret", async () => {
    const a = await secretOf(tenantA);
    const b = await secretOf(tenantB);
    const rotated = await tenantB.request<SecretBody>('POST', '/v1/webhooks/secret/rotate', { overlap_seconds: 0 });
    table.record('POST /v1/webhooks/secret/rotate as tenant B', '200', rotated.status);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    seenSecrets.add(rotated.body.secret);
    assert.notEqual(rotated.body.secret, b);
    assert.equal(await secretOf(tenantB), rotated.body.secret);
    table.record("tenant A's secret after B rotates", 'unchanged', (await secretOf(tenantA)) === a ? 'unchanged' : 'changed');
    assert.equal(await secretOf(tenantA), a);
  });

  it('refuses rotation to a key without the scope and overlaps that are not whole seconds within 7 days', async () => {
    const unscoped = await readOnlyA.request('POST', '/v1/webhooks/secret/rotate', {});
    table.record('POST /v1/webhooks/secret/rotate with a train-only key', '403', unscoped.status);
    assert.equal(unscoped.status, 403);
    for (const body of [{ overlap_seconds: -1 }, { overlap_seconds: 1.5 }, { overlap_seconds: '60' }, { overlap_seconds: 7 * 24 * 3600 + 1 }, { overlap: 60 }]) {
      const response = await tenantA.request<{ error: { code: string; details: Array<{ field: string }> } }>('POST', '/v1/webhooks/secret/rotate', body);
      table.record(`POST /v1/webhooks/secret/rotate ${JSON.stringify(body)}`, '400', response.status);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'validation_failed');
      assert.equal(response.body.error.details[0].field, Object.keys(body)[0]);
    }
  });

  it('signs with the new and the old secret during the overlap, then with the new one only after an immediate rotation', async () => {
    const original = await secretOf(tenantA);
    const rotated = await tenantA.request<SecretBody>('POST', '/v1/webhooks/secret/rotate');
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    seenSecrets.add(rotated.body.secret);
    assert.equal(rotated.body.overlap_seconds, 24 * 3600, 'the default overlap');
    assert.ok(rotated.body.previous_secret_expires_at !== null && Date.parse(rotated.body.previous_secret_expires_at) > Date.now());
    assert.equal((await tenantA.request<SecretBody>('GET', '/v1/webhooks/secret')).body.previous_secret_expires_at, rotated.body.previous_secret_expires_at);

    const during = await deliveryOfAGeneration();
    const signatures = String(during.headers['webhook-signature']).split(' ');
    table.record('delivery after rotate (overlap 24 h): signatures / verifies old / verifies new', '2 / yes / yes', `${signatures.length} / ${verifiesWith(original, during) ? 'yes' : 'no'} / ${verifiesWith(rotated.body.secret, during) ? 'yes' : 'no'}`);
    assert.equal(signatures.length, 2);
    assert.equal(verifiesWith(original, during), true);
    assert.equal(verifiesWith(rotated.body.secret, during), true);

    const immediate = await tenantA.request<SecretBody>('POST', '/v1/webhooks/secret/rotate', { overlap_seconds: 0 });
    assert.equal(immediate.status, 200, JSON.stringify(immediate.body));
    seenSecrets.add(immediate.body.secret);
    assert.equal(immediate.body.previous_secret_expires_at, null);
    const afterRevoke = await deliveryOfAGeneration();
    const oldAccepted = [original, rotated.body.secret].filter((secret) => verifiesWith(secret, afterRevoke)).length;
    table.record('delivery after rotate (overlap 0): signatures / verified by old secrets', '1 / 0', `${String(afterRevoke.headers['webhook-signature']).split(' ').length} / ${oldAccepted}`);
    assert.equal(String(afterRevoke.headers['webhook-signature']).split(' ').length, 1);
    assert.equal(verifiesWith(immediate.body.secret, afterRevoke), true);
    assert.equal(oldAccepted, 0);
  });

  it('signs a dead letter redelivered after a rotation with the secret of the redelivery time', async () => {
    const flaky = new ScriptedReceiver(await secretOf(tenantA), flakyPort);
    await flaky.start();
    try {
      const before = await secretOf(tenantA);
      flaky.answerNext(500, 500, 500, 500, 500);
      const created = await tenantA.request<GenerationView>('POST', '/v1/generations', { ...TINY, webhook: { url: flaky.url, events: ['generation.succeeded'] } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const letterOf = async (): Promise<{ id: string } | undefined> =>
        (await tenantA.request<{ data: Array<{ id: string; subject: { id: string } }> }>('GET', '/v1/webhooks/dead-letters')).body.data.find((entry) => entry.subject.id === created.body.id);
      await waitUntil(async () => (await letterOf()) !== undefined, 60_000, 'the dead letter');
      const letter = await letterOf();
      assert.ok(letter);
      assert.ok(flaky.forGeneration(created.body.id).every((delivery) => verifiesWith(before, delivery)), 'attempts before the rotation were signed with the old secret');

      const rotated = await tenantA.request<SecretBody>('POST', '/v1/webhooks/secret/rotate', { overlap_seconds: 0 });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      seenSecrets.add(rotated.body.secret);
      assert.equal((await tenantA.request('POST', `/v1/webhooks/dead-letters/${letter.id}/redeliver`)).status, 201);
      await waitUntil(() => flaky.forGeneration(created.body.id).length === 6, 30_000, 'the redelivery');
      const redelivery = flaky.forGeneration(created.body.id)[5];
      table.record('dead letter redelivered after rotate (overlap 0): verifies with new / with old', 'yes / no', `${verifiesWith(rotated.body.secret, redelivery) ? 'yes' : 'no'} / ${verifiesWith(before, redelivery) ? 'yes' : 'no'}`);
      assert.equal(verifiesWith(rotated.body.secret, redelivery), true);
      assert.equal(verifiesWith(before, redelivery), false);
    } finally {
      await flaky.stop();
    }
  });

  it("never writes a secret to the API's or the workers' output", async () => {
    seenSecrets.add(await secretOf(fixture.api));
    assert.ok(output.includes('[api]') && output.includes('[worker-0]'), 'the output of both roles was captured');
    const leaked = [...seenSecrets].filter((secret) => output.includes(secret) || output.includes(secret.slice('whsec_'.length)));
    table.record(`${seenSecrets.size} webhook secrets searched in API and worker logs`, '0 found', `${leaked.length} found`);
    assert.equal(leaked.length, 0);
  });
});
