import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePng, toRgb8 } from '@atelier/diffusion';
import { writeZip } from '@atelier/model-formats/testing';
import { checkerboard } from '@atelier/training/testing';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const table = new ProbeTable('DreamBooth: hostile fields, names and scopes');
const BASE = 'demo-trainable';
const DB = { method: 'dreambooth', base_model: BASE, identifier: 'zxq', instance_prompt: 'a photo of zxq', steps: 10, save_every: 0 } as const;

function datasetZip(): Uint8Array {
  const image = checkerboard(64, 16);
  return writeZip([0, 1].map((i) => ({ name: `${i}.png`, data: encodePng(toRgb8(image.data), 64, 64) })));
}

const finished = (body: { status: string }): boolean => ['succeeded', 'failed', 'canceled'].includes(body.status);

describe('security: DreamBooth fields and the pipelines it registers (real farm)', () => {
  let fixture: FarmFixture;
  let tenant: TestApiClient;
  let upload: string;

  before(async () => {
    fixture = await startFarmFixture({ WORKER_TRAINS: 'true', MODELS_STORAGE_PREFIX: 'models', MODEL_REFRESH_MS: '1000' });
    tenant = new TestApiClient(fixture.farm.apiUrl, (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes: ['generate', 'train', 'models:write'] })).body.key);
    const ticket = await fixture.api.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(datasetZip()) })).status, 200);
    upload = ticket.body.id;
  });
  after(async () => {
    await fixture?.stop();
  });

  it('refuses hostile identifiers, prompts, counts and names with a 400 naming the field, never a 5xx', async () => {
    const long = 'x'.repeat(10_000);
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['identifier <lora:x:1>', { identifier: '<lora:x:1>', instance_prompt: 'a <lora:x:1>' }, 'identifier'],
      ['identifier with a space', { identifier: 'z q', instance_prompt: 'a z q' }, 'identifier'],
      ['identifier of 10,000 characters', { identifier: long, instance_prompt: long }, 'identifier'],
      ['identifier with NUL', { identifier: 'zx\u0000q', instance_prompt: 'zx\u0000q' }, 'identifier'],
      ['identifier as a number', { identifier: 42 }, 'identifier'],
      ['instance_prompt without the identifier', { instance_prompt: 'a photo' }, 'instance_prompt'],
      ['instance_prompt of 10,000 characters', { instance_prompt: `zxq ${long}` }, 'instance_prompt'],
      ['class_prompt with the identifier', { class_prompt: 'a photo of zxq' }, 'class_prompt'],
      ['class_prompt of 10,000 characters', { class_prompt: long }, 'class_prompt'],
      ['num_class_images 1e9', { class_prompt: 'a photo of', num_class_images: 1e9 }, 'num_class_images'],
      ['num_class_images -1', { class_prompt: 'a photo of', num_class_images: -1 }, 'num_class_images'],
      ['num_class_images "4"', { class_prompt: 'a photo of', num_class_images: '4' }, 'num_class_images'],
      ['prior_loss_weight 0', { prior_loss_weight: 0 }, 'prior_loss_weight'],
      ['prior_loss_weight 1e9', { prior_loss_weight: 1e9 }, 'prior_loss_weight'],
      ['output_name ../../models/demo-sd15', { output_name: '../../models/demo-sd15' }, 'output_name'],
      ['output_name with a slash', { output_name: 'a/b' }, 'output_name'],
      ['output_name of a served model (demo-sd15)', { output_name: 'demo-sd15' }, 'output_name'],
      ['output_name of the base model itself', { output_name: BASE }, 'output_name'],
      ['LoRA rank with DreamBooth', { rank: 4 }, 'rank'],
      ['trigger_word with DreamBooth', { trigger_word: 'zxq' }, 'trigger_word'],
      ['placeholder_token with DreamBooth', { placeholder_token: 'zxq' }, 'placeholder_token'],
      ['LoRA alpha with DreamBooth (a pipeline)', { alpha: 4 }, 'alpha'],
      ['DreamBooth LoRA with identifier <lora:x:1>', { method: 'dreambooth_lora', identifier: '<lora:x:1>', instance_prompt: 'a <lora:x:1>' }, 'identifier'],
      ['DreamBooth LoRA with rank 1e6', { method: 'dreambooth_lora', rank: 1e6 }, 'rank'],
      ['DreamBooth LoRA with output_name ../x', { method: 'dreambooth_lora', output_name: '../x' }, 'output_name'],
      ['finetune with identifier', { method: 'finetune', identifier: 'zxq', instance_prompt: undefined }, 'identifier'],
      ['finetune with num_class_images', { method: 'finetune', identifier: undefined, instance_prompt: undefined, num_class_images: 2 }, 'num_class_images'],
      ['finetune with output_name of a served model', { method: 'finetune', identifier: undefined, instance_prompt: undefined, output_name: 'demo-sd15' }, 'output_name'],
    ];
    for (const [probe, fields, field] of probes) {
      const response = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { ...DB, dataset: upload, ...fields });
      const named = response.body.error?.details?.some((detail) => detail.field === field) ?? false;
      table.record(probe, `400 naming ${field}`, `${response.status}${named ? ` naming ${field}` : ''}`);
      assert.equal(response.status, 400, `${probe}: ${JSON.stringify(response.body)}`);
      assert.ok(named, `${probe}: ${JSON.stringify(response.body)}`);
    }
    const lora = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { base_model: BASE, dataset: upload, trigger_word: 'zxq', identifier: 'zxq', num_class_images: 2 });
    table.record('LoRA request with identifier and num_class_images', '400 naming both', `${lora.status} ${lora.body.error.details.map((detail) => detail.field).join(',')}`);
    assert.deepEqual(lora.body.error.details.map((detail) => detail.field).sort(), ['identifier', 'num_class_images']);
  });

  it('a tenant key cannot register a farm-wide pipeline: DreamBooth needs the admin scope, like importing one', async () => {
    const response = await tenant.request<{ error: { code: string } }>('POST', '/v1/trainings', { ...DB, dataset: `upl_${'0'.repeat(32)}` });
    table.record('tenant key (train scope) asks for DreamBooth', '403 insufficient_scope', `${response.status} ${response.body.error?.code ?? ''}`);
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'insufficient_scope');
    const finetune = await tenant.request<{ error: { code: string } }>('POST', '/v1/trainings', { method: 'finetune', base_model: BASE, dataset: `upl_${'0'.repeat(32)}` });
    table.record('tenant key (train scope) asks for finetune', '403 insufficient_scope', `${finetune.status} ${finetune.body.error?.code ?? ''}`);
    assert.equal(finetune.status, 403);
    // A DreamBooth LoRA is the tenant's own private LoRA, like any LoRA training: the train scope suffices.
    const ticket = await tenant.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(datasetZip()) })).status, 200);
    const lora = await tenant.request('POST', '/v1/trainings', { ...DB, method: 'dreambooth_lora', dataset: ticket.body.id });
    table.record('tenant key asks for DreamBooth LoRA (a private LoRA)', '202', lora.status);
    assert.equal(lora.status, 202, JSON.stringify(lora.body));
  });

  it('a second training cannot overwrite a registered pipeline of the same name: it fails validation, the first is still served', async () => {
    const first = await fixture.api.request<{ id: string }>('POST', '/v1/trainings', { ...DB, dataset: upload, output_name: 'probe-pipeline' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const firstDone = await fixture.api.waitFor<{ status: string; model_id: string | null; error: unknown }>(`/v1/trainings/${first.body.id}`, finished, 120_000);
    assert.equal(firstDone.status, 'succeeded', JSON.stringify(firstDone.error));
    // Refused at submission once a worker has announced the pipeline, else by the worker before importing.
    const second = await fixture.api.request<{ id: string; error?: { details: Array<{ field: string }> } }>('POST', '/v1/trainings', { ...DB, dataset: upload, output_name: 'probe-pipeline', seed: 9 });
    if (second.status === 400) {
      table.record('second DreamBooth with an existing output_name', '400 naming output_name, or failed validation_failed', `400 naming ${second.body.error?.details.map((detail) => detail.field).join(',')}`);
      assert.deepEqual(second.body.error?.details.map((detail) => detail.field), ['output_name']);
    } else {
      assert.equal(second.status, 202, JSON.stringify(second.body));
      const secondDone = await fixture.api.waitFor<{ status: string; error: { code: string; message: string } | null }>(`/v1/trainings/${second.body.id}`, finished, 120_000);
      table.record('second DreamBooth with an existing output_name', '400 naming output_name, or failed validation_failed', `${secondDone.status} ${secondDone.error?.code ?? ''}`);
      assert.equal(secondDone.status, 'failed');
      assert.equal(secondDone.error?.code, 'validation_failed');
      assert.match(secondDone.error?.message ?? '', /probe-pipeline.*already|already exists/);
    }
    // The import refuses an existing folder before writing anything, so the first one is intact.
    await waitUntil(
      async () => (await fixture.api.request('POST', '/v1/generations', { model: 'pipeline:probe-pipeline', prompt: 'a photo of zxq', img_width: 64, img_height: 64, num_inference_steps: 2 })).status === 202,
      30_000,
      'the first pipeline to be served',
    );
  });
});
