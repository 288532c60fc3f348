import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboard, checkerboardDataset, meanImage, meanSquaredError } from '@atelier/training/testing';
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

const BASE = 'demo-trainable';
const examples = checkerboardDataset(6);
const target = meanImage(examples.map((example) => example.image));
const finished = (body: TrainingBody): boolean => ['succeeded', 'failed', 'canceled'].includes(body.status);

/** Instance pictures without captions: DreamBooth captions them with the instance prompt. */
function datasetZip(): Uint8Array {
  return writeZip(examples.map((example, i) => ({ name: `sks/${i}.png`, data: encodePng(toRgb8(example.image.data), example.image.width, example.image.height) })));
}

function rgbOf(bytes: Buffer): Float32Array {
  const png = decodePng(bytes);
  const out = new Float32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = png.rgba[i * 4 + c] / 255;
  return out;
}

describe('DreamBooth training end to end (built-in engine, real farm, imported pipeline)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000', MODELS_STORAGE_PREFIX: 'models', MODEL_REFRESH_MS: '1000' });
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

  const generate = async (model: string, prompt: string, loras: Array<{ name: string; weight: number }> = []): Promise<Float32Array> => {
    const created = await fixture.api.request<GenerationView>('POST', '/v1/generations', { model, prompt, img_width: 64, img_height: 64, num_inference_steps: 20, scheduler: 'Euler', seed: 5, guidance_scale: 1, loras });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return rgbOf(Buffer.from(await (await fetch(done.outputs[0].url as string)).arrayBuffer()));
  };

  it('fine-tunes the UNet with farm-drawn class pictures, registers a pipeline usable at once, and keeps the class prompt', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'dreambooth', base_model: BASE, dataset, identifier: 'zxq', instance_prompt: 'a photo of zxq', class_prompt: 'a photo of', num_class_images: 3, prior_loss_weight: 1,
      steps: 150, save_every: 50, learning_rate: 0.01, batch_size: 2, resolution: 64, seed: 3, sample_prompts: ['a photo of zxq'], output_name: 'zxq-dreambooth', webhook: { url: fixture.receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 240_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, 'pipeline:zxq-dreambooth');
    assert.deepEqual(done.progress, { step: 150, total: 150 });
    assert.deepEqual(done.checkpoints.map((checkpoint) => checkpoint.step), [50, 100]);
    assert.ok(done.samples.length >= 2, 'samples every save_every steps');
    // One step's loss depends on its random timestep (and the record keeps only the latest):
    // the previews of the identifier, drawn by the weights so far, show the learning instead.
    const previews: Array<[number, number]> = [];
    for (const sample of done.samples) previews.push([sample.step, meanSquaredError(rgbOf(Buffer.from(await (await fetch(sample.url)).arrayBuffer())), target)]);
    const recorded = done.losses.reduce((sum, entry) => sum + entry.loss, 0) / done.losses.length;
    console.log(`DreamBooth previews of "a photo of zxq", MSE to the instances by step: ${previews.map(([step, mse]) => `${step}: ${mse.toFixed(4)}`).join(', ')}; mean loss of steps ${done.losses[0].step}–${done.losses.at(-1)!.step}: ${recorded.toFixed(4)}`);
    assert.deepEqual(previews.map(([step]) => step), [50, 100, 150]);
    assert.ok(previews[2][1] < previews[0][1], 'the previews come closer to the instances');
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes('"training.succeeded"') && hook.body.includes(created.body.id)), 10_000, 'training.succeeded webhook');
    assert.ok(fixture.receiver.received.some((hook) => hook.body.includes('"training.progress"') && hook.body.includes(created.body.id)));

    const modelId = done.model_id as string;
    await waitUntil(async () => (await fixture.api.request('POST', '/v1/generations', { model: modelId, prompt: 'x', img_width: 64, img_height: 64, num_inference_steps: 1 })).status === 202, 30_000, 'the API to accept the new pipeline');
    const tuned = await generate(modelId, 'a photo of zxq');
    const instanceTuned = meanSquaredError(tuned, target);
    const instanceBase = meanSquaredError(await generate(BASE, 'a photo of zxq'), target);
    const classDrift = meanSquaredError(await generate(modelId, 'a photo of'), await generate(BASE, 'a photo of'));
    const classToInstances = meanSquaredError(await generate(BASE, 'a photo of'), target);
    console.log(
      `DreamBooth through the farm: MSE of "a photo of zxq" to the instances ${instanceBase.toFixed(4)} (base) → ${instanceTuned.toFixed(4)} (${modelId}); ` +
        `"a photo of" on ${modelId} vs the base: MSE ${classDrift.toFixed(5)} (the base's class picture is ${classToInstances.toFixed(4)} from the instances)`,
    );
    assert.ok(instanceTuned < instanceBase * 0.5, `the fine-tuned pipeline draws the instances for the identifier (${instanceTuned} vs ${instanceBase})`);
    assert.ok(classDrift < classToInstances * 0.1, `prior preservation: the class prompt still draws what the base drew (${classDrift})`);
    assert.deepEqual(await generate('zxq-dreambooth', 'a photo of zxq'), tuned, 'the bare pipeline name is the same model');

    // The same run without prior preservation: the concept leaks into the class prompt.
    const unpreserved = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'dreambooth', base_model: BASE, dataset, identifier: 'zxq', instance_prompt: 'a photo of zxq', steps: 150, save_every: 0, learning_rate: 0.01, batch_size: 2, resolution: 64, seed: 3, output_name: 'zxq-no-prior',
    });
    assert.equal(unpreserved.status, 202, JSON.stringify(unpreserved.body));
    const leaked = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${unpreserved.body.id}`, finished, 240_000);
    assert.equal(leaked.status, 'succeeded', JSON.stringify(leaked.error));
    await waitUntil(async () => (await fixture.api.request('POST', '/v1/generations', { model: 'pipeline:zxq-no-prior', prompt: 'x', img_width: 64, img_height: 64, num_inference_steps: 1 })).status === 202, 30_000, 'the API to accept the second pipeline');
    const classDriftWithoutPrior = meanSquaredError(await generate('pipeline:zxq-no-prior', 'a photo of'), await generate(BASE, 'a photo of'));
    console.log(`"a photo of" drift from the base: ${classDrift.toFixed(5)} with prior preservation (3 farm-drawn class pictures), ${classDriftWithoutPrior.toFixed(5)} without`);
    assert.ok(classDrift < classDriftWithoutPrior * 0.2, `prior preservation keeps the class (${classDrift} vs ${classDriftWithoutPrior})`);
  });

  it('DreamBooth LoRA: the same instance and farm-drawn class pictures train a LoRA, registered as a LoRA', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'dreambooth_lora', base_model: BASE, dataset, identifier: 'zxq', instance_prompt: 'a photo of zxq', class_prompt: 'a photo of', num_class_images: 3, rank: 4, alpha: 4,
      steps: 150, save_every: 50, learning_rate: 0.01, batch_size: 2, resolution: 64, seed: 3, output_name: 'zxq-db-lora', webhook: { url: fixture.receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 240_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, 'lora:zxq-db-lora');
    assert.deepEqual(done.checkpoints.map((checkpoint) => checkpoint.step), [50, 100]);
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes('"training.succeeded"') && hook.body.includes(created.body.id)), 10_000, 'training.succeeded webhook');
    const lora = [{ name: 'lora:zxq-db-lora', weight: 1 }];
    await waitUntil(async () => (await fixture.api.request('POST', '/v1/generations', { model: BASE, prompt: 'x', img_width: 64, img_height: 64, num_inference_steps: 1, loras: lora })).status === 202, 20_000, 'workers to sync the new LoRA');
    const withLora = meanSquaredError(await generate(BASE, 'a photo of zxq', lora), target);
    const withoutLora = meanSquaredError(await generate(BASE, 'a photo of zxq'), target);
    const classDrift = meanSquaredError(await generate(BASE, 'a photo of', lora), await generate(BASE, 'a photo of'));
    console.log(`DreamBooth LoRA: MSE of "a photo of zxq" to the instances ${withoutLora.toFixed(4)} without → ${withLora.toFixed(4)} with the LoRA; "a photo of" with the LoRA vs the base: MSE ${classDrift.toFixed(5)}`);
    assert.ok(withLora < withoutLora * 0.5, `the LoRA draws the instances for the identifier (${withLora} vs ${withoutLora})`);
    assert.ok(classDrift < withoutLora * 0.1, `prior preservation: the class prompt with the LoRA still draws what the base drew (${classDrift})`);
  });

  it('finetune: 200 captioned pictures of two concepts become a new pipeline that draws each for its caption', async () => {
    // The demo dataset generator: fine and coarse checkerboards, each with its own caption.
    const concepts = [
      { caption: 'a photo of zxq', image: (i: number) => checkerboard(64, 16, 0.02 * (i % 3)) },
      { caption: 'a photo of qqv', image: (i: number) => checkerboard(64, 32, 0.02 * (i % 3)) },
    ];
    const entries = Array.from({ length: 200 }, (_, i) => ({ concept: concepts[i % 2], image: concepts[i % 2].image(i) }));
    const zip = writeZip(
      entries.flatMap(({ concept, image }, i) => [
        { name: `data/${String(i).padStart(3, '0')}.png`, data: encodePng(toRgb8(image.data), 64, 64) },
        { name: `data/${String(i).padStart(3, '0')}.txt`, data: new TextEncoder().encode(concept.caption) },
      ]),
    );
    const dataset = await upload(zip);
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'finetune', base_model: BASE, dataset, steps: 300, save_every: 100, learning_rate: 0.01, batch_size: 4, resolution: 64, seed: 11, output_name: 'checker-finetune', webhook: { url: fixture.receiver.url },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 300_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.model_id, 'pipeline:checker-finetune');
    assert.deepEqual(done.checkpoints.map((checkpoint) => checkpoint.step), [100, 200]);
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes('"training.succeeded"') && hook.body.includes(created.body.id)), 10_000, 'training.succeeded webhook');
    await waitUntil(async () => (await fixture.api.request('POST', '/v1/generations', { model: 'pipeline:checker-finetune', prompt: 'x', img_width: 64, img_height: 64, num_inference_steps: 1 })).status === 202, 30_000, 'the API to accept the new pipeline');
    const figures: string[] = [];
    for (const concept of concepts) {
      const target = meanImage(entries.filter((entry) => entry.concept === concept).map((entry) => entry.image));
      const tuned = meanSquaredError(await generate('pipeline:checker-finetune', concept.caption), target);
      const base = meanSquaredError(await generate(BASE, concept.caption), target);
      const other = meanSquaredError(await generate('pipeline:checker-finetune', concepts.find((candidate) => candidate !== concept)!.caption), target);
      figures.push(`"${concept.caption}": base ${base.toFixed(4)} → fine-tuned ${tuned.toFixed(4)} (the other caption draws ${other.toFixed(4)} from it)`);
      assert.ok(tuned < base * 0.5, `${concept.caption}: the fine-tuned pipeline draws its pictures (${tuned} vs ${base})`);
      assert.ok(tuned < other, `${concept.caption}: each caption draws its own concept (${tuned} vs ${other})`);
    }
    console.log(`finetune on 200 captioned pictures, MSE to each concept's mean picture: ${figures.join('; ')}`);
  });

  it('refuses DreamBooth requests that cannot work with a 400 naming the field', async () => {
    const dataset = await upload(datasetZip());
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ identifier: 'zxq', instance_prompt: 'a photo of a dog' }, 'instance_prompt'],
      [{ identifier: 'zxq', instance_prompt: 'zxq', class_prompt: 'a zxq' }, 'class_prompt'],
      [{ identifier: 'zxq', instance_prompt: 'zxq', rank: 4 }, 'rank'],
      [{ identifier: 'zxq', instance_prompt: 'zxq', output_name: BASE }, 'output_name'],
      [{ identifier: 'zxq', instance_prompt: 'zxq', num_class_images: 0 }, 'num_class_images'],
      [{ trigger_word: 'zxq', method: 'lora', num_class_images: 2 }, 'num_class_images'],
      [{ method: 'dreambooth_lora', identifier: 'zxq', instance_prompt: 'a photo', rank: 4 }, 'instance_prompt'],
      [{ method: 'dreambooth_lora', identifier: 'zxq', instance_prompt: 'zxq', trigger_word: 'zxq' }, 'trigger_word'],
      [{ method: 'finetune', class_prompt: 'a photo of' }, 'class_prompt'],
      [{ method: 'finetune', output_name: BASE }, 'output_name'],
    ];
    for (const [fields, field] of cases) {
      const response = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { method: 'dreambooth', base_model: BASE, dataset, ...fields });
      assert.equal(response.status, 400, `${JSON.stringify(fields)}: ${JSON.stringify(response.body)}`);
      assert.ok(response.body.error.details.some((detail) => detail.field === field), `${JSON.stringify(fields)} names ${field}: ${JSON.stringify(response.body.error.details)}`);
    }
  });

  it('resumes from the last checkpoint on another worker when the training worker is killed', async () => {
    const dataset = await upload(datasetZip());
    const created = await fixture.api.request<TrainingBody>('POST', '/v1/trainings', {
      method: 'dreambooth', base_model: BASE, dataset, identifier: 'qqr', instance_prompt: 'a photo of qqr', class_prompt: 'a photo of', num_class_images: 2, steps: 3000, save_every: 200, resolution: 64,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, (body) => body.checkpoints.length >= 1 || finished(body), 120_000);
    const atKill = (await fixture.api.request<TrainingBody>('GET', `/v1/trainings/${created.body.id}`)).body;
    const worker = fixture.farm.workers.find((candidate) => candidate.child.exitCode === null && candidate.id === atKill.worker_id) ?? fixture.farm.workers.find((candidate) => candidate.child.exitCode === null);
    assert.ok(worker);
    worker.child.kill('SIGKILL');
    await fixture.farm.addWorker({ WORKER_TRAINS: 'true', WORKER_LOCK_MS: '3000' });
    const done = await fixture.api.waitFor<TrainingBody>(`/v1/trainings/${created.body.id}`, finished, 300_000);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.match(done.model_id ?? '', /^pipeline:dreambooth-qqr-/);
    const checkpointAtKill = atKill.checkpoints.at(-1)?.step ?? 0;
    console.log(`DreamBooth killed at step ${atKill.progress.step} (last checkpoint ${checkpointAtKill}); resumed from step ${done.resumed_from_step}`);
    assert.ok(checkpointAtKill > 0);
    assert.ok(done.resumed_from_step >= checkpointAtKill, 'the second worker continued from the checkpoint, not from step 0');
    assert.deepEqual(done.progress, { step: 3000, total: 3000 });
  });
});
