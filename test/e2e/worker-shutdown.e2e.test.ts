import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const SLOW = { model: 'demo-sd15', prompt: 'a purple diamond', img_width: 512, img_height: 512, scheduler: 'Euler' } as const;

describe('worker SIGTERM: stop taking jobs, finish or hand back, exit 0', () => {
  let fixture: FarmFixture;

  before(async () => {
    // The first worker gets a deadline far shorter than a job, so it must hand its job back.
    // MAX_STEPS is raised so the handed-back job is long enough (seconds, even on a fast machine)
    // that it cannot finish between "running" being observed and SIGTERM arriving.
    fixture = await startFarmFixture({ WORKER_SHUTDOWN_DEADLINE_MS: '200', MAX_STEPS: '500' });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('hands a running job back to the queue when the deadline passes; another worker completes it', async () => {
    const [impatient] = fixture.farm.workers;
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SLOW, num_inference_steps: 500, samples: 4 });
    assert.equal(submitted.status, 202);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`, (body) => body.status === 'running' && body.progress.step >= 2);

    impatient.child.kill('SIGTERM');
    assert.equal(await impatient.exited, 0);
    const handedBack = await fixture.api.request<GenerationView>('GET', `/v1/generations/${submitted.body.id}`);
    assert.equal(handedBack.body.status, 'queued', 'back in the queue, not failed');
    assert.ok(handedBack.body.progress.step < 500);

    await fixture.farm.addWorker({ WORKER_SHUTDOWN_DEADLINE_MS: '120000' });
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`, undefined, 120_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.outputs.length, 4);
  });

  it('finishes the current job within the deadline before exiting', async () => {
    const patient = fixture.farm.workers[1];
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SLOW, num_inference_steps: 500, samples: 4 });
    assert.equal(submitted.status, 202);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`, (body) => body.status === 'running' && body.progress.step >= 1);
    patient.child.kill('SIGTERM');
    assert.equal(await patient.exited, 0);
    const finished = await fixture.api.request<GenerationView>('GET', `/v1/generations/${submitted.body.id}`);
    assert.equal(finished.body.status, 'succeeded', 'the job completed before the worker exited');
    assert.equal(finished.body.progress.step, finished.body.progress.total);
  });
});
