import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { startRedisSentinel, type LocalRedisSentinel } from '@atelier/local-services/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { printTally, submitThroughFailover, tallyTerminal } from '../support/terminal-tally.js';

const SMALL = { model: 'demo-sd15', img_width: 64, img_height: 64, num_inference_steps: 4, scheduler: 'Euler' } as const;
const SLOW = { ...SMALL, img_width: 1024, img_height: 1024, num_inference_steps: 150, scheduler: 'DDIM' } as const;

describe('a farm behind Redis Sentinel (master, replica, three sentinels)', { timeout: 900_000 }, () => {
  let sentinel: LocalRedisSentinel;
  let fixture: FarmFixture;

  before(async () => {
    sentinel = await startRedisSentinel({ masterName: 'atelier', downAfterMs: 1_000 });
    fixture = await startFarmFixture({}, 1, { redisEnv: { REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_MASTER: sentinel.masterName } });
  });
  after(async () => {
    await fixture?.stop();
    await sentinel?.stop();
  });

  it('runs a job with its webhooks through the master the sentinels name', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SMALL, prompt: 'a red circle', webhook: { url: fixture.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    await waitUntil(() => fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id)).length >= 2, 30_000, 'webhooks');
  });

  it('follows a failover: the master is killed mid-run, the replica is promoted, every accepted job ends', async () => {
    const accepted: string[] = [];
    let unavailable = 0;
    const submit = async (body: Record<string, unknown>): Promise<void> => {
      // A 503 while Redis fails over is the right answer (nothing accepted, retry); a 500 never is.
      const response = await submitThroughFailover(fixture.api, body);
      unavailable += response.unavailable;
      assert.equal(response.status, 202, JSON.stringify(response.body));
      assert.ok(response.id);
      accepted.push(response.id);
    };
    await submit({ ...SLOW, prompt: 'a green ring' });
    for (let index = 0; index < 3; index++) await submit({ ...SMALL, prompt: 'a red square', seed: index });
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${accepted[0]}`, (body) => body.status === 'running' && body.progress.step >= 1, 300_000);

    const oldMaster = await sentinel.masterPort();
    await sentinel.dataNodes.get(oldMaster)?.kill();
    await waitUntil(async () => (await sentinel.masterPort().catch(() => oldMaster)) !== oldMaster, 60_000, 'the sentinels to promote the replica');
    const newMaster = await sentinel.masterPort();
    assert.ok(sentinel.dataNodes.has(newMaster) && newMaster !== oldMaster, `promoted ${newMaster}`);

    await waitUntil(async () => (await fixture.api.request('GET', '/v1/models').catch(() => undefined))?.status === 200, 180_000, 'the API to answer again');
    for (let index = 0; index < 2; index++) await submit({ ...SMALL, prompt: 'a blue circle', seed: 50 + index });

    const tally = await tallyTerminal(fixture.api, accepted, 600_000);
    printTally(`Sentinel failover: master ${oldMaster} SIGKILLed, ${newMaster} promoted`, tally, unavailable);
    assert.equal(tally.lost, 0, JSON.stringify(tally.statuses));
    assert.ok(accepted.slice(-2).every((id) => tally.statuses[id] === 'succeeded'), `jobs after the failover succeed: ${JSON.stringify(tally.statuses)}`);
  });
});
