import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboard, meanImage, meanSquaredError } from '@atelier/training/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

interface TrainingBody {
  id: string;
  status: string;
  progress: { step: number; total: number };
  losses: Array<{ step: number; loss: number }>;
  samples: Array<{ step: number; prompt: string; url: string }>;
  checkpoints: Array<{ step: number; url: string }>;
  model_id: string | null;
  error: { code: string; message: string } | null;
  resumed_from_step: number;
  worker_id: string | null;
}

const BASE = 'demo-trainable-pretrained';
const TOKEN = 'zxqti';
const images = Array.from({ length: 6 }, (_, i) => checkerboard(64, 16, 0.02 * (i % 3)));
const target = meanImage(images);

/** Checkerboards without captions: the caption template puts the token in. */
function datasetZip(): Uint8Array {
  return writeZip(images.map((image, i) => ({ name: `${i}.png`, data: encodePng(toRgb8(image.data), image.width, image.height) })));
}

function rgbOf(bytes: Buffer): Float32Array {
  const png = decodePng(bytes);
  const out = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = png.rgba[i * 4 + c] / 255;
  return out;
}

const finished = (body: TrainingBody): boolean => ['succeeded', 'failed', 'canceled'].includes(body.status);

describe('textual-inversion training end to end (built-in engine, real farm)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000' });
  });
  after(async () => {
    await fixture?.stop();
  });

  const upload = async (zip: Uint8Array): Promise<string> => {
    const ticket = await fixture.api.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    const put = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(zip) });
    assert.ok(put.ok, `upload answered ${put.status}`);
    return ticket.body.id;
  };

  const generate = async (prompt: string): Promise<{ pixels: Float32Array; embeddings: readonly string[] }> => {
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model: BASE, prompt, img_width: 64, img_height: 64, num_inference_steps: 20, scheduler: 'Euler', seed: 5, guidance_scale: 1,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return { pixels: rgbOf(Buffer.from(await (await fetch(done.outputs[0].url as string)).arrayBuffer())), embeddings: done.adapters?.embeddings ?? [] };
  };

  it('trains a token, notifies, registers the embedding, and prompts with the token draw the concept at once', async () => {
    const before = await generate(`a photo of ${TOKEN}`);
    assert.deepEqual(before.embeddings, [], 'no embedding yet');
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'textual_inversion', base_model: BASE, dataset, placeholder_token: TOKEN, initializer_token: 'pattern', num_vectors: 2,
      caption_template: 'a photo of {trigger}', steps: 300, save_every: 30, learning_rate: 0.03, batch_size: 2, resolution: 64, seed: 7,
      min_snr_gamma: 5, sample_prompts: [`a photo of ${TOKEN}`], webhook: { url: fixture.receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 240_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, `embedding:${TOKEN}`);
    assert.deepEqual(done.progress, { step: 300, total: 300 });
    assert.ok(done.checkpoints.length >= 2, 'checkpoints every save_every steps');
    // One batch's loss depends mostly on its random timestep; the previews (what the model draws
    // for the sample prompt with the vectors so far) show the progress without that noise.
    assert.ok(done.losses.length > 1);
    console.log(`textual inversion losses recorded: ${done.losses.map((entry) => `${entry.step}:${entry.loss.toExponential(1)}`).join(' ')}`);
    const previewErrors: Array<[number, number]> = [];
    for (const sample of done.samples) previewErrors.push([sample.step, meanSquaredError(rgbOf(Buffer.from(await (await fetch(sample.url)).arrayBuffer())), target)]);
    console.log(`MSE of the training previews to the training images: ${previewErrors.map(([step, error]) => `step ${step} ${error.toFixed(4)}`).join(', ')}`);
    assert.ok(previewErrors.length >= 4, 'a preview every save_every steps');
    assert.ok(previewErrors.at(-1)![1] < 0.5 * previewErrors[0][1], 'the previews approach the concept');
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes('"training.succeeded"') && hook.body.includes(created.body.id)), 10_000, 'training.succeeded webhook');
    assert.ok(fixture.receiver.received.some((hook) => hook.body.includes('"training.started"') && hook.body.includes(created.body.id)));
    assert.ok(fixture.receiver.received.some((hook) => hook.body.includes('"training.progress"') && hook.body.includes(created.body.id)));

    let withToken: Awaited<ReturnType<typeof generate>> | undefined;
    await waitUntil(async () => {
      withToken = await generate(`a photo of ${TOKEN}`);
      return withToken.embeddings.includes(TOKEN);
    }, 30_000, 'workers to sync the new embedding');
    const trained = meanSquaredError(withToken!.pixels, target);
    const untrained = meanSquaredError(before.pixels, target);
    const noToken = meanSquaredError((await generate('a photo of')).pixels, target);
    console.log(`MSE to the training images: token with the embedding ${trained.toFixed(4)}, same prompt before training ${untrained.toFixed(4)}, prompt without the token ${noToken.toFixed(4)}`);
    assert.ok(trained < 0.3 * untrained, `with the embedding (${trained}) much closer than before training (${untrained})`);
    assert.ok(trained < 0.3 * noToken, `the token carries the concept (${trained} vs ${noToken} without it)`);
  });

  it('refuses fields of another method, naming them', async () => {
    const dataset = await upload(datasetZip());
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ method: 'textual_inversion', placeholder_token: 'abc', initializer_token: 'pattern', rank: 4 }, 'rank'],
      [{ method: 'textual_inversion', placeholder_token: 'abc', initializer_token: 'pattern', trigger_word: 'abc' }, 'trigger_word'],
      [{ trigger_word: 'zxq', placeholder_token: 'abc' }, 'placeholder_token'],
      [{ trigger_word: 'zxq', num_vectors: 2 }, 'num_vectors'],
      [{ method: 'textual_inversion', initializer_token: 'pattern' }, 'placeholder_token'],
      [{ method: 'dreamboth', trigger_word: 'zxq' }, 'method'],
    ];
    for (const [fields, field] of cases) {
      const response = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { base_model: BASE, dataset, ...fields });
      assert.equal(response.status, 400, `${JSON.stringify(fields)}: ${JSON.stringify(response.body)}`);
      assert.ok(response.body.error.details.some((detail) => detail.field === field), `${JSON.stringify(fields)} names ${field}: ${JSON.stringify(response.body.error.details)}`);
    }
  });

  it('fails (validation_failed, no step run) when the initializer is not one token, or the base cannot learn embeddings', async () => {
    const dataset = await upload(datasetZip());
    for (const [fields, pattern] of [
      [{ base_model: BASE, initializer_token: 'zzqqxxvv' }, /initializerToken/],
      [{ base_model: 'demo-trainable', initializer_token: 'pattern' }, /residual layer is zero/],
    ] as const) {
      const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', { method: 'textual_inversion', dataset, placeholder_token: 'qqti', caption_template: 'a photo of {trigger}', steps: 20, ...fields });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const failed = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 60_000);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.code, 'validation_failed');
      assert.match(failed.error?.message ?? '', pattern);
      assert.equal(failed.progress.step, 0);
    }
  });

  it('resumes from the last checkpoint on another worker when the training worker is killed', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'textual_inversion', base_model: BASE, dataset, placeholder_token: 'resumeti', initializer_token: 'pattern', caption_template: 'a photo of {trigger}', steps: 3000, save_every: 200, resolution: 64,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => body.checkpoints.length >= 1 || finished(body), 120_000);
    const atKill = (await fixture.api.request<TrainingBody>('GET', `/v1/trainings/${created.body.id}`)).body;
    const worker = fixture.farm.workers.find((candidate) => candidate.child.exitCode === null);
    assert.ok(worker);
    worker.child.kill('SIGKILL');
    await fixture.farm.addWorker({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000' });
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 300_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, 'embedding:resumeti');
    const checkpointAtKill = atKill.checkpoints.at(-1)?.step ?? 0;
    console.log(`textual inversion killed at step ${atKill.progress.step} (last checkpoint ${checkpointAtKill}); resumed from step ${done.resumed_from_step}`);
    assert.ok(checkpointAtKill > 0);
    assert.ok(done.resumed_from_step >= checkpointAtKill, 'the second worker continued from the checkpoint, not from step 0');
    assert.deepEqual(done.progress, { step: 3000, total: 3000 });
  });
});
