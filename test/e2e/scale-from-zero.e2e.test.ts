import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { buildDemoVariant } from '@atelier/demo-model';
import { S3Storage } from '@atelier/storage';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;
const UNSERVABLE_JOB_TIMEOUT_MS = 1_500;
/** Longer than the timeout plus one watchdog scan (every 5 s): the watchdog has had its chance to fail the job. */
const PAST_THE_WATCHDOG_MS = UNSERVABLE_JOB_TIMEOUT_MS + 6_000;

interface ErrorBody {
  error: { code: string; details?: Array<{ field: string }> };
}
interface PipelineRow {
  id: string;
  kind: string;
  live_workers?: number;
}

describe('scale from zero: the catalog outlives the workers', () => {
  let fixture: FarmFixture;
  let extraModels: string;

  before(async () => {
    fixture = await startFarmFixture({ UNSERVABLE_JOB_TIMEOUT_MS: String(UNSERVABLE_JOB_TIMEOUT_MS), MODELS_STORAGE_PREFIX: 'models' });
    extraModels = await mkdtemp(path.join(tmpdir(), 'zero-models-'));
    await buildDemoVariant(path.join(extraModels, 'odd-sd15'), 'wild-sd15', { sampleSize: 8 });
  });
  after(async () => {
    await fixture?.stop();
    await rm(extraModels, { recursive: true, force: true });
  });

  const uploadExport = async (dir: string, prefix: string): Promise<void> => {
    const storage = new S3Storage({ endpoint: fixture.s3.endpoint, region: 'us-east-1', bucket: fixture.s3.bucket, accessKeyId: fixture.s3.accessKeyId, secretAccessKey: fixture.s3.secretAccessKey, forcePathStyle: true });
    try {
      for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((file) => file.isFile())) {
        const full = path.join(entry.parentPath, entry.name);
        await storage.put(`${prefix}/${path.relative(dir, full)}`, await readFile(full), 'application/octet-stream');
      }
    } finally {
      storage.destroy();
    }
  };
  const liveWorkers = async (): Promise<Array<{ id: string; worker_class: string }>> => (await fixture.api.request<{ data: Array<{ id: string; worker_class: string }> }>('GET', '/v1/workers')).body.data;

  it('a model no worker class ever announced is refused at submission, naming model', async () => {
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${(await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY)).body.id}`);
    assert.equal(done.status, 'succeeded', 'the catalog is populated by a first job');
    const refused = await fixture.api.request<ErrorBody>('POST', '/v1/generations', { ...TINY, model: 'never-announced' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details?.[0].field, 'model');
  });

  it('with every worker killed, a job for a known model is accepted and waits, then runs when a worker starts', async () => {
    const defaultModels = String(fixture.farm.env.MODELS_DIR);
    await mkdir(path.join(defaultModels, 'loras'), { recursive: true });
    await writeFile(path.join(defaultModels, 'loras', 'only-default.safetensors'), Buffer.alloc(16));
    // Only the default class loads pipelines imported into object storage.
    await fixture.farm.addWorker({ WORKER_CLASS: 'special', MODELS_DIR: extraModels, MODELS_STORAGE_PREFIX: undefined });
    await waitUntil(async () => (await liveWorkers()).some((worker) => worker.worker_class === 'special'), 60_000, 'the special-class worker');
    await waitUntil(async () => (await fixture.api.request<{ data: Array<{ name: string }> }>('GET', '/v1/models?kind=lora')).body.data.some((row) => row.name === 'only-default'), 30_000, 'the default class to announce its LoRA');
    for (const worker of fixture.farm.workers) await worker.stop('SIGKILL');
    // SIGKILLed workers leave their heartbeat entries behind until they expire.
    await waitUntil(async () => (await liveWorkers()).length === 0, 60_000, 'no live worker');
    const pipelines = async (): Promise<PipelineRow[]> => (await fixture.api.request<{ data: PipelineRow[] }>('GET', '/v1/models?kind=pipeline')).body.data;
    // The API caches the catalog for a second.
    await waitUntil(async () => (await pipelines()).find((row) => row.id === 'demo-sd15')?.live_workers === 0, 10_000, 'demo-sd15 listed with zero live workers');
    assert.ok((await pipelines()).some((row) => row.id === 'odd-sd15' && row.live_workers === 0), 'the special class\'s model too');

    const waiting = await fixture.api.request<GenerationView>('POST', '/v1/generations', TINY);
    assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
    // A pipeline imported while no worker runs is servable by the class that loads imported models.
    await uploadExport(path.join(extraModels, 'odd-sd15'), 'incoming/zero');
    const imported = await fixture.api.request('POST', '/v1/models', { kind: 'pipeline', name: 'zero-imported', source: `s3://${fixture.s3.bucket}/incoming/zero` });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    const importedJob = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, model: 'zero-imported' });
    assert.equal(importedJob.status, 202, JSON.stringify(importedJob.body));

    await new Promise((resolve) => setTimeout(resolve, PAST_THE_WATCHDOG_MS));
    for (const job of [waiting, importedJob]) {
      assert.equal((await fixture.api.request<GenerationView>('GET', `/v1/generations/${job.body.id}`)).body.status, 'queued', 'still waiting for a worker, not failed no_capable_worker');
    }

    await fixture.farm.addWorker();
    for (const job of [waiting, importedJob]) {
      const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${job.body.id}`);
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    }
  });

  it('a known model whose job no single class can run (its LoRA lives on another class) fails no_capable_worker', async () => {
    // The special class (odd-sd15) is at zero workers; the live default class has the LoRA but not the model.
    const stranded = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15', loras: [{ name: 'only-default', weight: 0.5 }] });
    assert.equal(stranded.status, 202, JSON.stringify(stranded.body));
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${stranded.body.id}`, undefined, 30_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'no_capable_worker');
  });

  it('an operator retires a class: refused while it has live workers, then its queued jobs fail and its models are refused', async () => {
    const busy = await fixture.api.request<ErrorBody>('DELETE', '/v1/workers/classes/default');
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'worker_class_live');
    const classes = await fixture.api.request<{ data: Array<{ worker_class: string; live_workers: number; models: string[] }> }>('GET', '/v1/workers/classes');
    const special = classes.body.data.find((row) => row.worker_class === 'special');
    assert.equal(special?.live_workers, 0);
    assert.ok(special?.models.includes('odd-sd15'));

    const queued = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15' });
    assert.equal(queued.status, 202, 'a known class at zero workers takes jobs');
    const retired = await fixture.api.request('DELETE', '/v1/workers/classes/special');
    assert.equal(retired.status, 200);
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${queued.body.id}`, undefined, 30_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'no_capable_worker');
    const refused = await fixture.api.request<ErrorBody>('POST', '/v1/generations', { ...TINY, model: 'odd-sd15' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details?.[0].field, 'model');
    assert.equal((await fixture.api.request('DELETE', '/v1/workers/classes/special')).status, 404);
  });
});
