import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboardDataset, meanImage, meanSquaredError } from '@atelier/training/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

interface TrainingBody {
  id: string;
  status: string;
  progress: { step: number; total: number };
  losses: Array<{ step: number; loss: number }>;
  checkpoints: Array<{ step: number; url: string }>;
  model_id: string | null;
  error: { code: string; message: string } | null;
  attempts: number;
  resumed_from_step: number;
  worker_id: string | null;
}

const examples = checkerboardDataset(6);
const target = meanImage(examples.map((example) => example.image));

function datasetZip(): Uint8Array {
  return writeZip(
    examples.flatMap((example) => {
      const stem = example.name.replace(/\.png$/, '');
      return [
        { name: example.name, data: encodePng(toRgb8(example.image.data), example.image.width, example.image.height) },
        { name: `${stem}.txt`, data: new TextEncoder().encode(example.caption) },
      ];
    }),
  );
}

/** RGB in [0, 1] of a generated PNG. */
function rgbOf(bytes: Buffer): Float32Array {
  const png = decodePng(bytes);
  const out = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = png.rgba[i * 4 + c] / 255;
  return out;
}

describe('LoRA training jobs end to end (built-in engine, real farm)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000' });
  });
  after(async () => {
    await fixture?.stop();
  });

  const upload = async (zip: Uint8Array): Promise<string> => {
    const ticket = await fixture.api.request<{ id: string; upload_url: string; method: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    const put = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(zip) });
    assert.ok(put.ok, `upload answered ${put.status}`);
    return ticket.body.id;
  };

  const generate = async (prompt: string, loras: Array<{ name: string; weight: number }>): Promise<Float32Array> => {
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model: 'demo-trainable', prompt, img_width: 64, img_height: 64, num_inference_steps: 20, scheduler: 'Euler', seed: 5, guidance_scale: 1, loras,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return rgbOf(Buffer.from(await (await fetch(done.outputs[0].url as string)).arrayBuffer()));
  };

  it('uploads a dataset, trains, notifies, registers the LoRA, and images with it are closer to the training images', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      base_model: 'demo-trainable', dataset, trigger_word: 'zxq', steps: 150, save_every: 50, rank: 4, alpha: 4, learning_rate: 0.01, batch_size: 2, resolution: 64, seed: 3,
      lr_scheduler: 'cosine', min_snr_gamma: 5, class_prompt: 'a photo of', output_name: 'zxq-checker', webhook: { url: fixture.receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => ['succeeded', 'failed', 'canceled'].includes(body.status), 240_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, 'lora:zxq-checker');
    assert.deepEqual(done.progress, { step: 150, total: 150 });
    assert.deepEqual(done.checkpoints.map((checkpoint) => checkpoint.step), [50, 100, 150].filter((step) => done.checkpoints.some((c) => c.step === step)));
    assert.ok(done.checkpoints.length >= 2, 'checkpoints every save_every steps');
    assert.ok(done.losses.length > 1 && done.losses.at(-1)!.loss < done.losses[0].loss, 'the loss went down');
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes('"training.succeeded"') && hook.body.includes(created.body.id)), 10_000, 'training.succeeded webhook');
    assert.ok(fixture.receiver.received.some((hook) => hook.body.includes('"training.started"')));
    assert.ok(fixture.receiver.received.some((hook) => hook.body.includes('"training.progress"')));

    await waitUntil(async () => (await fixture.api.request('POST', '/v1/generations', { model: 'demo-trainable', prompt: 'x', img_width: 64, img_height: 64, num_inference_steps: 1, loras: [{ name: 'zxq-checker', weight: 1 }] })).status === 202, 20_000, 'workers to sync the new LoRA');
    const byName = await generate('a photo of zxq', [{ name: 'zxq-checker', weight: 1 }]);
    const withLora = meanSquaredError(byName, target);
    const withoutLora = meanSquaredError(await generate('a photo of zxq', []), target);
    const loraNoTrigger = meanSquaredError(await generate('a photo of', [{ name: 'zxq-checker', weight: 1 }]), target);
    console.log(`MSE to the training images: LoRA + trigger ${withLora.toFixed(4)}, no LoRA ${withoutLora.toFixed(4)}, LoRA without trigger ${loraNoTrigger.toFixed(4)}`);
    assert.ok(withLora < withoutLora * 0.8, `with the LoRA and trigger (${withLora}) measurably closer than without (${withoutLora})`);
    assert.ok(withLora < loraNoTrigger * 0.5, `the trigger word carries the concept (${withLora} vs ${loraNoTrigger} without it)`);

    // The training's model_id is what a generation accepts: in loras and in a prompt tag it is the
    // same LoRA as its bare name, so the same seed gives the same pixels.
    const modelId = done.model_id as string;
    assert.deepEqual(await generate('a photo of zxq', [{ name: modelId, weight: 1 }]), byName, `loras[].name = ${modelId}`);
    assert.deepEqual(await generate(`a photo of zxq <lora:${modelId}:1>`, []), byName, `<lora:${modelId}:1>`);
  });

  it('refuses invalid datasets, naming the file and the reason, before any GPU time', async () => {
    const bad = writeZip([
      { name: 'zxq/ok.png', data: encodePng(toRgb8(examples[0].image.data), 64, 64) },
      { name: 'zxq/broken.png', data: new TextEncoder().encode('not a png') },
    ]);
    const dataset = await upload(bad);
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset, trigger_word: 'zxq', steps: 20, resolution: 64 });
    const failed = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => ['succeeded', 'failed', 'canceled'].includes(body.status), 60_000);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_dataset');
    assert.match(failed.error?.message ?? '', /broken\.png/);
    assert.equal(failed.progress.step, 0, 'no training step ran');
    const missing = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset: 'upl_00000000000000000000000000000000', trigger_word: 'zxq' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.details[0].field, 'dataset');
    const unknownModel = await fixture.api.request('POST', '/v1/trainings', { base_model: 'nope', dataset, trigger_word: 'zxq' });
    assert.equal(unknownModel.status, 400);
  });

  it('cancels a running training', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset, trigger_word: 'zxq', steps: 100_000, save_every: 0, resolution: 64 });
    await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => body.status === 'running' && body.progress.step > 0, 60_000);
    const cancel = await fixture.api.request('POST', `/v1/trainings/${created.body.id}/cancel`);
    assert.equal(cancel.status, 202);
    const canceled = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => body.status === 'canceled', 30_000);
    assert.ok(canceled.progress.step < 100_000);
  });

  it('resumes from the last checkpoint on another worker when the training worker is killed', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset, trigger_word: 'zxq', steps: 3000, save_every: 200, resolution: 64 });
    await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => body.checkpoints.length >= 1, 120_000);
    const [first] = fixture.farm.workers;
    const atKill = (await fixture.api.request<TrainingBody>('GET', `/v1/trainings/${created.body.id}`)).body;
    first.child.kill('SIGKILL');
    await fixture.farm.addWorker({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000' });
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => ['succeeded', 'failed', 'canceled'].includes(body.status), 300_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.notEqual(done.worker_id, atKill.worker_id, 'another worker finished it');
    const checkpointAtKill = atKill.checkpoints.at(-1)?.step ?? 0;
    console.log(`killed at step ${atKill.progress.step} (last checkpoint ${checkpointAtKill}); resumed from step ${done.resumed_from_step}`);
    assert.ok(checkpointAtKill > 0);
    assert.ok(done.resumed_from_step >= checkpointAtKill, 'the second worker continued from the checkpoint, not from step 0');
    assert.deepEqual(done.progress, { step: 3000, total: 3000 });
  });
});
