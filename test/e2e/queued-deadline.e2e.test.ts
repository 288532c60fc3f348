import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

describe('JOB_DEADLINE_MS holds for a job no worker ever picks up', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ JOB_DEADLINE_MS: '3000', UNSERVABLE_JOB_TIMEOUT_MS: '1000' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('a job waiting at zero workers fails deadline_exceeded (not no_capable_worker) once its deadline passes', async () => {
    const [worker] = fixture.farm.workers;
    await worker.stop('SIGTERM');
    await waitUntil(async () => (await fixture.api.request<{ data: unknown[] }>('GET', '/v1/workers')).body.data.length === 0, 30_000, 'no live worker');
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`, undefined, 30_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'deadline_exceeded');
    assert.ok(failed.started_at === null, 'no worker ever ran it');
  });
});
