import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { upscalerGraph } from '@atelier/registry/testing';
import { TestApiClient, waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { ProbeTable } from '../support/probe-table.js';

const table = new ProbeTable('Chained steps on generations (upscale, face_restore, hires, mask_prompt)');
const BASE = { model: 'demo-sd15', prompt: 'a probe', img_width: 64, img_height: 64, num_inference_steps: 3 } as const;
const INIT = 'https://example.com/photo.png';

interface Refusal {
  error?: { code: string; details?: Array<{ field: string; message: string }> };
  errors?: Array<{ field: string; message: string }>;
}
const fieldsOf = (body: Refusal): string[] => (body.error?.details ?? body.errors ?? []).map((detail) => detail.field);

describe('security: steps chained on generations (keys, tenants, hostile input; real farm)', () => {
  let fixture: FarmFixture;
  let alpha: TestApiClient;
  let alphaKey: string;
  let beta: TestApiClient;

  before(async () => {
    fixture = await startFarmFixture({ RATE_LIMIT_PER_MINUTE: '1000' });
    const keyOf = async (tenant: string): Promise<string> => (await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant, scopes: ['generate', 'models:write'] })).body.key;
    alphaKey = await keyOf('alpha');
    alpha = new TestApiClient(fixture.farm.apiUrl, alphaKey);
    beta = new TestApiClient(fixture.farm.apiUrl, await keyOf('beta'));
    // alpha's private upscaler, uploaded to the registry and synced to the worker.
    const form = new FormData();
    form.set('kind', 'upscaler');
    form.set('name', 'secret-x2');
    form.set('scale', '2');
    form.set('file', new Blob([Buffer.from(upscalerGraph({ scale: 2 }))]), 'model.onnx');
    const uploaded = await fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${alphaKey}` }, body: form });
    assert.equal(uploaded.status, 201, await uploaded.text());
    await waitUntil(
      async () => (await fixture.api.request<{ data: Array<{ onnx_models: Array<{ name: string }> }> }>('GET', '/v1/workers/classes')).body.data.some((entry) => entry.onnx_models.some((model) => model.name === 'alpha/secret-x2')),
      30_000,
      "the worker to announce alpha's private upscaler",
    );
  });
  after(async () => {
    await fixture?.stop();
  });

  it('needs a key: chained steps without one are 401 on every path', async () => {
    for (const [path, body] of [
      ['/v1/generations', { ...BASE, upscale: { model: 'secret-x2' } }],
      ['/v1/batches', { requests: [{ ...BASE, hires: {} }] }],
      ['/sdapi/v1/txt2img', { prompt: 'x', enable_hr: true, restore_faces: true }],
    ] as const) {
      const response = await fetch(`${fixture.farm.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      table.record(`POST ${path} with chained steps, no key`, '401', response.status);
      assert.equal(response.status, 401, path);
    }
  });

  it("another tenant's private upscaler is as unknown as a missing one; its owner's job runs on it", async () => {
    for (const [body, field] of [
      [{ ...BASE, upscale: { model: 'secret-x2' } }, 'upscale.model'],
      [{ ...BASE, hires: { upscaler: 'secret-x2' } }, 'hires.upscaler'],
      [{ ...BASE, upscale: { model: 'alpha/secret-x2' } }, 'upscale.model'],
    ] as const) {
      const refused = await beta.request<Refusal>('POST', '/v1/generations', body);
      table.record(`beta names alpha's private upscaler (${field})`, `400 ${field}`, `${refused.status} ${fieldsOf(refused.body).join(',')}`);
      assert.equal(refused.status, 400);
      assert.deepEqual(fieldsOf(refused.body), [field]);
      assert.doesNotMatch(JSON.stringify(refused.body), /available: [^"]*secret/, 'the refusal does not list it');
    }
    const own = await alpha.request<GenerationView>('POST', '/v1/generations', { ...BASE, upscale: { model: 'secret-x2' } });
    assert.equal(own.status, 202, JSON.stringify(own.body));
    const done = await alpha.waitFor<GenerationView>(`/v1/generations/${own.body.id}`);
    table.record("alpha's own private upscaler", 'succeeded, 128×128 upscaled output', `${done.status}, ${done.outputs.map((output) => `${output.kind} ${output.width}×${output.height}`).join(' + ')}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.outputs.map((output) => [output.kind, output.width]), [['image', 64], ['upscaled', 128]]);
  });

  it('hostile values are 400s naming the field, never 5xx', async () => {
    const probes: Array<[string, Record<string, unknown>, string]> = [
      ['upscale scale 100', { upscale: { model: 'secret-x2', scale: 100 } }, 'upscale.scale'],
      ['upscale scale -1', { upscale: { model: 'secret-x2', scale: -1 } }, 'upscale.scale'],
      ['upscale model 10 kB', { upscale: { model: 'x'.repeat(10_000) } }, 'upscale.model'],
      ['face_restore fidelity 7', { face_restore: { fidelity: 7 } }, 'face_restore.fidelity'],
      ['hires scale 100', { hires: { scale: 100 } }, 'hires.scale'],
      ['hires width 100000', { hires: { width: 100_000 } }, 'hires.width'],
      ['hires unknown field', { hires: { scale: 2, evil: true } }, 'hires.evil'],
      ['mask_prompt NaN point', { init_image: INIT, mask_prompt: { points: [{ x: 'NaN', y: 1 }] } }, 'mask_prompt.points.0.x'],
      ['mask_prompt coordinate 1e300', { init_image: INIT, mask_prompt: { points: [{ x: 1e300, y: 1 }] } }, 'mask_prompt.points.0.x'],
      ['mask_prompt 10,000 points', { init_image: INIT, mask_prompt: { points: Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: i })) } }, 'mask_prompt.points'],
      ['mask_prompt 2 boxes', { init_image: INIT, mask_prompt: { boxes: [{ x0: 0, y0: 0, x1: 5, y1: 5 }, { x0: 0, y0: 0, x1: 5, y1: 5 }] } }, 'mask_prompt.boxes'],
      ['mask_prompt without init_image', { mask_prompt: { points: [{ x: 1, y: 1 }] } }, 'mask_prompt'],
      ['mask_prompt bad label', { init_image: INIT, mask_prompt: { points: [{ x: 1, y: 1, label: 'evil' }] } }, 'mask_prompt.points.0.label'],
    ];
    for (const [probe, body, field] of probes) {
      const refused = await alpha.request<Refusal>('POST', '/v1/generations', { ...BASE, ...body });
      table.record(probe, `400 ${field}`, `${refused.status} ${fieldsOf(refused.body).join(',')}`);
      assert.equal(refused.status, 400, probe);
      assert.ok(fieldsOf(refused.body).includes(field), `${probe}: ${JSON.stringify(refused.body).slice(0, 300)}`);
    }
    const a1111 = await alpha.request<Refusal>('POST', '/sdapi/v1/txt2img', { prompt: 'x', enable_hr: true, hr_scale: 100 });
    table.record('A1111 hr_scale 100', '400 hr_scale', `${a1111.status} ${fieldsOf(a1111.body).join(',')}`);
    assert.equal(a1111.status, 400);
    assert.deepEqual(fieldsOf(a1111.body), ['hr_scale']);
  });
});
