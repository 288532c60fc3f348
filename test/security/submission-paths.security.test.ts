import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng } from '@atelier/diffusion';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 2, scheduler: 'Euler' } as const;
const PRIVATE_LORA = 'alpha-private-style';
const table = new ProbeTable('One submission path: what v1 refuses, the compatibility APIs refuse');

/** A valid one-module LoRA, so a leak would be an applied adapter, not a format error. */
function lora(): Uint8Array {
  const base = 'lora_unet_nowhere_0_proj';
  return serializeSafetensors(
    new Map([
      [`${base}.lora_down.weight`, float32Tensor(new Float32Array(2 * 8).fill(0.1), [2, 8])],
      [`${base}.lora_up.weight`, float32Tensor(new Float32Array(8 * 2).fill(0.1), [8, 2])],
    ]),
  );
}

/** Who answered, with what status and which fields its error names, in each API's own error shape. */
interface Answer {
  readonly status: number;
  readonly fields: string[];
}

async function post(apiUrl: string, key: string, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const parsed = (await response.json()) as {
    error?: { details?: Array<{ field: string }>; param?: string | null } | string;
    errors?: Array<{ field: string }>;
  };
  const fields =
    typeof parsed.error === 'object'
      ? [...(parsed.error.details ?? []).map((detail) => detail.field), ...(parsed.error.param ? [parsed.error.param] : [])]
      : (parsed.errors ?? []).map((detail) => detail.field);
  return { status: response.status, fields: [...new Set(fields)] };
}

const shown = (answer: Answer): string => `${answer.status} ${answer.fields.join(',') || '(no field)'}`;

describe('security: every submission path checks the same access (tenant beta vs alpha’s LoRA and upload; real farm)', () => {
  let fixture: FarmFixture;
  let alphaKey: string;
  let betaKey: string;
  let alphaUpload: { s3: string; direct: string };

  before(async () => {
    fixture = await startFarmFixture({ RATE_LIMIT_PER_MINUTE: '1000' });
    const scopes = ['generate', 'train', 'models:write'];
    alphaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'alpha', scopes })).body.key;
    betaKey = (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'beta', scopes })).body.key;
    const alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
    const form = new FormData();
    form.set('kind', 'lora');
    form.set('name', PRIVATE_LORA);
    form.set('file', new Blob([Buffer.from(lora())]), `${PRIVATE_LORA}.safetensors`);
    const uploaded = await fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${alphaKey}` }, body: form });
    assert.equal(uploaded.status, 201, await uploaded.text());
    // Alpha can use it through v1 once a worker synced it: from then on a refusal to beta is access, not availability.
    await waitUntil(async () => (await alpha.request('POST', '/v1/generations', { ...TINY, loras: [{ name: PRIVATE_LORA, weight: 1 }] })).status === 202, 30_000, "a worker to sync alpha's LoRA");
    // Alpha's upload holds a real PNG, so a leak would be a picture generated from it.
    const ticket = await alpha.request<{ id: string; upload_url: string; headers: Record<string, string> }>('POST', '/v1/uploads', {});
    const png = encodePng(new Uint8Array(64 * 64 * 3).fill(200), 64, 64);
    assert.equal((await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: Buffer.from(png) })).status, 200);
    const key = `uploads/alpha/${ticket.body.id}.zip`;
    alphaUpload = { s3: `s3://${fixture.s3.bucket}/${key}`, direct: `${fixture.s3.endpoint}/${fixture.s3.bucket}/${key}` };
  });
  after(async () => {
    await fixture?.stop();
  });

  it("refuses alpha's private LoRA to beta on v1, OpenAI and A1111 alike, each naming the field", async () => {
    const tag = `a red circle <lora:${PRIVATE_LORA}:1>`;
    const probes: Array<[string, string, unknown, string]> = [
      ['v1 loras[]', '/v1/generations', { ...TINY, loras: [{ name: PRIVATE_LORA, weight: 1 }] }, 'loras.0.name'],
      ['v1 prompt tag', '/v1/generations', { ...TINY, prompt: tag }, 'prompt'],
      ['v1 batch item prompt tag', '/v1/batches', { requests: [TINY, { ...TINY, prompt: tag }] }, 'requests.1.prompt'],
      ['OpenAI images prompt tag', '/v1/images/generations', { prompt: tag, size: '64x64', quality: 'low' }, 'prompt'],
      ['A1111 txt2img prompt tag', '/sdapi/v1/txt2img', { prompt: tag, width: 64, height: 64, steps: 2 }, 'prompt'],
      ['A1111 txt2img negative prompt tag', '/sdapi/v1/txt2img', { prompt: 'x', negative_prompt: `<lora:${PRIVATE_LORA}:0.5>`, width: 64, height: 64, steps: 2 }, 'negative_prompt'],
    ];
    for (const [probe, path, body, field] of probes) {
      const answer = await post(fixture.farm.apiUrl, betaKey, path, body);
      table.record(`beta: alpha's LoRA via ${probe}`, `400 ${field}`, shown(answer));
      assert.equal(answer.status, 400, `${probe}: ${shown(answer)}`);
      assert.ok(answer.fields.includes(field), `${probe} names ${field}: ${shown(answer)}`);
    }
  });

  it("refuses alpha's upload as beta's init image on v1 and A1111 alike, each naming the field", async () => {
    const probes: Array<[string, string, unknown, string]> = [
      ['v1 init_image s3://', '/v1/generations', { ...TINY, init_image: alphaUpload.s3 }, 'init_image'],
      ['v1 init_image storage URL', '/v1/generations', { ...TINY, init_image: alphaUpload.direct }, 'init_image'],
      ['A1111 img2img init_images s3://', '/sdapi/v1/img2img', { prompt: 'x', init_images: [alphaUpload.s3], width: 64, height: 64, steps: 2 }, 'init_images.0'],
      ['A1111 img2img init_images storage URL', '/sdapi/v1/img2img', { prompt: 'x', init_images: [alphaUpload.direct], width: 64, height: 64, steps: 2 }, 'init_images.0'],
    ];
    for (const [probe, path, body, field] of probes) {
      const answer = await post(fixture.farm.apiUrl, betaKey, path, body);
      table.record(`beta: alpha's upload via ${probe}`, `400 ${field}`, shown(answer));
      assert.equal(answer.status, 400, `${probe}: ${shown(answer)}`);
      assert.ok(answer.fields.includes(field), `${probe} names ${field}: ${shown(answer)}`);
    }
  });

  it('lets alpha use its own private LoRA through the compatibility APIs as through v1', async () => {
    const tag = `a red circle <lora:${PRIVATE_LORA}:1>`;
    const a1111 = await post(fixture.farm.apiUrl, alphaKey, '/sdapi/v1/txt2img', { prompt: tag, width: 64, height: 64, steps: 2, sampler_name: 'Euler' });
    table.record("alpha: own LoRA via A1111 txt2img", '200', shown(a1111));
    assert.equal(a1111.status, 200, shown(a1111));
    const openai = await post(fixture.farm.apiUrl, alphaKey, '/v1/images/generations', { prompt: tag, size: '64x64', quality: 'low' });
    table.record("alpha: own LoRA via OpenAI images", '200', shown(openai));
    assert.equal(openai.status, 200, shown(openai));
    const listed = await new TestApiClient(fixture.farm.apiUrl, alphaKey).request<{ data: GenerationView[] }>('GET', '/v1/generations?limit=2');
    for (const generation of listed.body.data) {
      assert.deepEqual(generation.parameters.loras, [{ name: PRIVATE_LORA, weight: 1 }]);
      assert.equal(generation.adapters?.loras[0]?.name, PRIVATE_LORA, 'the worker applied it');
    }
  });
});
