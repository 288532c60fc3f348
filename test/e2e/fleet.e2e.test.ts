import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { buildDemoVariant } from '@atelier/demo-model';
import type { WorkerProcess } from '@atelier/local-services';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const SLOW = { model: 'demo-sd15', prompt: 'a green ring', img_width: 512, img_height: 512, num_inference_steps: 60, scheduler: 'Euler' } as const;
const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;

interface WorkerRow {
  id: string;
  worker_class: string;
  queue: string;
  draining: boolean;
  models: string[];
  current_jobs: string[];
  jobs_done: number;
  last_heartbeat: string;
  gpu: unknown;
}

describe('fleet: workers listing, drain/undrain, capability routing, unservable jobs', () => {
  let fixture: FarmFixture;
  let extraModels: string;
  let special: WorkerProcess;

  before(async () => {
    fixture = await startFarmFixture({ UNSERVABLE_JOB_TIMEOUT_MS: '1500' });
    extraModels = await mkdtemp(path.join(tmpdir(), 'fleet-models-'));
    await buildDemoVariant(path.join(extraModels, 'odd-sd15'), 'wild-sd15', { sampleSize: 8 });
    special = await fixture.farm.addWorker({ WORKER_CLASS: 'special', MODELS_DIR: extraModels });
    await waitUntil(async () => (await fixture.api.request<{ data: WorkerRow[] }>('GET', '/v1/workers')).body.data.length === 2, 60_000, 'second worker');
  });
  after(async () => {
    await fixture?.stop();
    await rm(extraModels, { recursive: true, force: true });
  });

  const workers = async (): Promise<WorkerRow[]> => (await fixture.api.request<{ data: WorkerRow[] }>('GET', '/v1/workers')).body.data;

  it('lists live workers with class, queue, models and heartbeat', async () => {
    const rows = await workers();
    const byClass = new Map(rows.map((row) => [row.worker_class, row]));
    assert.equal(byClass.get('default')?.queue, 'generation');
    assert.equal(byClass.get('special')?.queue, 'generation-special');
    assert.ok(byClass.get('special')?.models.includes('odd-sd15'));
    assert.ok(!byClass.get('default')?.models.includes('odd-sd15'));
    assert.ok(rows.every((row) => Date.now() - Date.parse(row.last_heartbeat) < 30_000 && row.draining === false));
  });

  it('routes each job to a class that serves its model', async () => {
    const odd = await fixture.api.request<GenerationView & { worker_id?: string }>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15' });
    assert.equal(odd.status, 202, JSON.stringify(odd.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${odd.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    await waitUntil(async () => ((await workers()).find((row) => row.worker_class === 'special')?.jobs_done ?? 0) >= 1, 15_000, 'the special-class worker to report the job');
    assert.equal(((await workers()).find((row) => row.worker_class === 'default')?.jobs_done ?? 0) >= 0, true);
  });

  it('a drained worker finishes its current job and takes no new one until undrained', async () => {
    const rows = await workers();
    const defaultWorker = rows.find((row) => row.worker_class === 'default');
    assert.ok(defaultWorker);
    const running = await fixture.api.request<GenerationView>('POST', '/v1/generations', SLOW);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`, (body) => body.status === 'running');
    // Drain every worker: otherwise routing (correctly) sends new work to the class that is not draining.
    for (const row of rows) assert.equal((await fixture.api.request('POST', `/v1/workers/${row.id}/drain`)).status, 202);
    await waitUntil(async () => (await workers()).every((row) => row.draining), 10_000, 'draining flags');
    const waiting = await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(waiting.status, 202, 'draining workers still count as capable: the job waits for them');
    const finished = await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`);
    assert.equal(finished.status, 'succeeded', 'the current job completes');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal((await fixture.api.request<GenerationView>('GET', `/v1/generations/${waiting.body.id}`)).body.status, 'queued', 'no new job while draining');
    for (const row of rows) assert.equal((await fixture.api.request('POST', `/v1/workers/${row.id}/undrain`)).status, 202);
    assert.equal((await fixture.api.waitFor<GenerationView>(`/v1/generations/${waiting.body.id}`)).status, 'succeeded');
    assert.equal((await fixture.api.request('POST', '/v1/workers/nobody/drain')).status, 404);
  });

  it('fails queued jobs fast once the class that served them is retired', async () => {
    const specialRow = (await workers()).find((row) => row.worker_class === 'special');
    assert.ok(specialRow);
    await fixture.api.request('POST', `/v1/workers/${specialRow.id}/drain`);
    await waitUntil(async () => (await workers()).find((row) => row.id === specialRow.id)?.draining === true, 10_000, 'drain');
    const stranded = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15' });
    assert.equal(stranded.status, 202);
    special.child.kill('SIGTERM');
    assert.equal(await special.exited, 0);
    // At zero workers the class is still known (scale from zero): the job waits until it is retired.
    assert.equal((await fixture.api.request('DELETE', '/v1/workers/classes/special')).status, 200);
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${stranded.body.id}`, undefined, 30_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'no_capable_worker');
    const refused = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].field, 'model');
  });
});
