import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePng } from '@atelier/diffusion';
import { writeScrfdGraph } from '@atelier/face-restoration/testing';
import { upscalerGraph } from '@atelier/registry/testing';
import { writeOfficialDecoderGraph, writeSamEncoderGraph } from '@atelier/segmentation/testing';
import { writeUpscalerGraph } from '@atelier/upscaling/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { pngDeclaring } from '../support/png-header.js';
import { ProbeTable } from '../support/probe-table.js';
import { rawRequest } from '../support/raw-request.js';

const table = new ProbeTable('Upscale, face restoration and segmentation tasks: POST /v1/upscales, /v1/face-restorations, /v1/segmentations, their aliases, A1111 extras');
const TIMEOUT_MS = 15_000;
const MAX_UPSCALE_PIXELS = 1024 * 1024;

interface FieldError {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

/** The spellings an attacker tries for one path: as registered, `/V1/…`, last segment upper-cased, all upper-case. */
function casings(route: string): string[] {
  const segments = route.split('/');
  const last = segments.length - 1;
  return [...new Set([route, route.replace(/^\/v1\//, '/V1/'), segments.map((segment, index) => (index === last ? segment.toUpperCase() : segment)).join('/'), route.toUpperCase()])];
}

describe('upscale, face restoration and segmentation security probes (real API and worker)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let ownTask: string;
  let ownGeneration: string;
  let otherKey: string;
  const png = encodePng(new Uint8Array(32 * 32 * 3).fill(120), 32, 32);
  const image = png.toString('base64');

  const call = (method: string, route: string, key: string | undefined, body?: unknown) =>
    rawRequest(fixture.farm.apiUrl, {
      method,
      path: route,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      timeoutMs: TIMEOUT_MS,
    });
  const fieldOf = (text: string): string => {
    try {
      const parsed = JSON.parse(text) as FieldError & { errors?: Array<{ field: string }> };
      return parsed.error?.details?.[0]?.field ?? parsed.errors?.[0]?.field ?? '(none)';
    } catch {
      return '(not json)';
    }
  };

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'atelier-postprocess-security-'));
    await writeUpscalerGraph(path.join(modelsDir, 'upscalers', 'x4', 'model.onnx'), { scale: 4 });
    await writeFile(path.join(modelsDir, 'upscalers', 'x4', 'config.json'), JSON.stringify({ scale: 4 }));
    await writeScrfdGraph(path.join(modelsDir, 'face_detectors', 'scrfd', 'model.onnx'), []);
    await writeSamEncoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'encoder.onnx'), { inputName: 'x' });
    await writeOfficialDecoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'decoder.onnx'));
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, MAX_UPSCALE_PIXELS: String(MAX_UPSCALE_PIXELS), RATE_LIMIT_PER_MINUTE: '100000' });
    const created = await fixture.api.request<{ id: string }>('POST', '/v1/upscales', { image, model: 'x4' });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    ownTask = created.body.id;
    assert.equal((await fixture.api.waitFor<{ status: string }>(`/v1/tasks/${ownTask}`)).status, 'succeeded');
    const generation = await fixture.api.request<{ id: string }>('POST', '/v1/generations', { prompt: 'a lighthouse', img_width: 64, img_height: 64, num_inference_steps: 2, refiner: false });
    assert.equal(generation.status, 202, JSON.stringify(generation.body));
    ownGeneration = generation.body.id;
    await fixture.api.waitFor(`/v1/generations/${ownGeneration}`);
    // A private upscaler of the farm key's tenant: nobody else may name it.
    const form = new FormData();
    form.set('kind', 'upscaler');
    form.set('name', 'private-x2');
    form.set('scale', '2');
    form.set('file', new Blob([Buffer.from(upscalerGraph({ scale: 2 }))]), 'model.onnx');
    const uploaded = await fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${fixture.farm.apiKey}` }, body: form });
    assert.equal(uploaded.status, 201, await uploaded.text());
    await waitUntil(async () => (await call('POST', '/v1/upscales', fixture.farm.apiKey, { image, model: 'private-x2' })).status === 202, 30_000, 'the worker to announce the private upscaler');
    const other = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'mallory', scopes: ['generate'] });
    assert.equal(other.status, 201);
    otherKey = other.body.key;
  });
  after(async () => {
    await fixture?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('needs a key on every route, however it is spelled', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/upscales', { image }],
      ['POST', '/v1/face-restorations', { image }],
      ['POST', '/v1/segmentations', { image, points: [{ x: 1, y: 1 }] }],
      ['GET', '/sdapi/v1/upscalers'],
      ['POST', '/sdapi/v1/extra-single-image', { image, upscaler_1: 'x4' }],
    ];
    for (const base of ['/v1/upscales', '/v1/face-restorations', '/v1/segmentations']) {
      routes.push(['GET', `${base}/${ownTask}`], ['POST', `${base}/${ownTask}/cancel`], ['GET', `${base}/${ownTask}/events`]);
    }
    for (const [method, route, body] of routes) {
      for (const spelling of casings(route)) {
        const response = await call(method, spelling, undefined, body);
        table.record(`${method} ${spelling} without key`, '401 or 404', response.status);
        assert.ok(response.status === 401 || response.status === 404, `${method} ${spelling}: ${response.status}`);
      }
    }
  });

  it("answers another tenant's task like a missing one (404), and refuses its generation and its private model by field", async () => {
    const missing = `tsk_${'0'.repeat(32)}`;
    for (const template of ['/v1/upscales/:id', '/v1/upscales/:id/cancel', '/v1/face-restorations/:id', '/v1/segmentations/:id/events']) {
      const method = template.endsWith('cancel') ? 'POST' : 'GET';
      const other = await call(method, template.replace(':id', ownTask), otherKey);
      const none = await call(method, template.replace(':id', missing), otherKey);
      table.record(`${method} ${template} another tenant's task`, '404 like a missing id', `${other.status} / missing ${none.status}`);
      assert.equal(other.status, 404);
      assert.equal(other.body.replaceAll(ownTask, 'ID'), none.body.replaceAll(missing, 'ID'));
    }
    const missingGeneration = `gen_${'0'.repeat(32)}`;
    for (const route of ['/v1/upscales', '/v1/face-restorations', '/v1/segmentations']) {
      const body = route === '/v1/segmentations' ? { points: [{ x: 1, y: 1 }] } : {};
      const other = await call('POST', route, otherKey, { generation_id: ownGeneration, ...body });
      const none = await call('POST', route, otherKey, { generation_id: missingGeneration, ...body });
      table.record(`POST ${route} another tenant's generation_id`, '400 generation_id like a missing one', `${other.status} ${fieldOf(other.body)}`);
      assert.equal(other.status, 400);
      assert.equal(fieldOf(other.body), 'generation_id');
      assert.equal(other.body.replaceAll(ownGeneration, 'ID'), none.body.replaceAll(missingGeneration, 'ID'));
    }
    const privateModel = await call('POST', '/v1/upscales', otherKey, { image, model: 'private-x2' });
    table.record("POST /v1/upscales another tenant's private model", '400 model', `${privateModel.status} ${fieldOf(privateModel.body)}`);
    assert.deepEqual([privateModel.status, fieldOf(privateModel.body)], [400, 'model']);
    const listed = JSON.parse((await call('GET', '/sdapi/v1/upscalers', otherKey)).body) as Array<{ name: string }>;
    assert.deepEqual(listed.map((entry) => entry.name), ['None', 'x4'], "another tenant's private upscaler is not listed");
    assert.equal((await fixture.api.request<{ status: string }>('GET', `/v1/tasks/${ownTask}`)).body.status, 'succeeded', 'the task itself is untouched');
  });

  it('refuses loopback, private and metadata image URLs with a 400 naming image', async () => {
    for (const url of ['http://127.0.0.1:9/in.png', 'http://[::1]/in.png', 'http://0x7f000001/in.png', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.7/in.png', 'file:///etc/passwd']) {
      for (const [route, extra] of [['/v1/upscales', {}], ['/v1/face-restorations', {}], ['/v1/segmentations', { points: [{ x: 1, y: 1 }] }]] as const) {
        const response = await call('POST', route, fixture.farm.apiKey, { image: url, ...extra });
        table.record(`POST ${route} image=${url}`, '400 image', `${response.status} ${fieldOf(response.body)}`);
        assert.deepEqual([response.status, fieldOf(response.body)], [400, 'image'], `${route} ${url}`);
      }
    }
  });

  it('answers huge scales and pixels, hostile points and unknown fields with a 4xx naming the field, never a 5xx', async () => {
    const tenThousand = Array.from({ length: 10_000 }, (_, index) => ({ x: index % 32, y: 1 }));
    const probes: Array<[string, string, unknown, string]> = [
      ['/v1/upscales', 'scale 1e9', { image, scale: 1e9 }, 'scale'],
      ['/v1/upscales', "scale above the model's", { image, scale: 8 }, 'scale'],
      ['/v1/upscales', 'result over MAX_UPSCALE_PIXELS (declared 512×512 ×4)', { image: pngDeclaring(512, 512).toString('base64'), scale: 4 }, 'scale'],
      ['/v1/upscales', 'decompression bomb (declares 8192×8192)', { image: pngDeclaring(8192, 8192).toString('base64') }, 'image'],
      ['/v1/upscales', 'huge tile_size', { image, tile_size: 1e9 }, 'tile_size'],
      ['/v1/upscales', 'overlap above half the tile', { image, tile_size: 64, tile_overlap: 40 }, 'tile_overlap'],
      ['/v1/upscales', 'no source', { model: 'x4' }, 'image'],
      ['/v1/upscales', 'image and generation_id', { image, generation_id: `gen_${'0'.repeat(32)}` }, 'image'],
      ['/v1/upscales', 'output_index without generation_id', { image, output_index: 1 }, 'output_index'],
      ['/v1/upscales', 'malformed generation_id', { generation_id: '../../x' }, 'generation_id'],
      ['/v1/upscales', 'output_index out of range', { generation_id: 'GEN', output_index: 5 }, 'output_index'],
      ['/v1/upscales', 'model path traversal', { image, model: '../../etc/passwd' }, 'model'],
      ['/v1/upscales', 'unknown model', { image, model: 'nope' }, 'model'],
      ['/v1/upscales', 'face step without any restorer', { image, face_restore: {} }, 'face_restore.model'],
      ['/v1/upscales', 'unknown field', { image, tenant: 'mallory' }, 'tenant'],
      ['/v1/upscales', 'internal webhook', { image, webhook: { url: 'https://10.0.0.7/hook' } }, 'webhook.url'],
      ['/v1/face-restorations', 'fidelity 2', { image, fidelity: 2 }, 'fidelity'],
      ['/v1/face-restorations', 'unknown detector', { image, detector: 'nope', model: 'x' }, 'model'],
      ['/v1/face-restorations', 'unknown field', { image, faces: 3 }, 'faces'],
      ['/v1/segmentations', 'NaN coordinate (null in JSON)', { image, points: [{ x: Number.NaN, y: 1 }] }, 'points.0.x'],
      ['/v1/segmentations', 'coordinate as a string', { image, points: [{ x: 'NaN', y: 1 }] }, 'points.0.x'],
      ['/v1/segmentations', 'negative coordinate', { image, points: [{ x: -1, y: 1 }] }, 'points.0.x'],
      ['/v1/segmentations', 'point outside the image', { image, points: [{ x: 1000, y: 1000 }] }, 'points.0'],
      ['/v1/segmentations', 'box outside the image', { image, boxes: [{ x0: 0, y0: 0, x1: 500, y1: 20 }] }, 'boxes.0'],
      ['/v1/segmentations', 'inverted box', { image, boxes: [{ x0: 10, y0: 10, x1: 5, y1: 20 }] }, 'boxes.0'],
      ['/v1/segmentations', 'two boxes', { image, boxes: [{ x0: 0, y0: 0, x1: 5, y1: 5 }, { x0: 1, y0: 1, x1: 6, y1: 6 }] }, 'boxes'],
      ['/v1/segmentations', '10,000 points', { image, points: tenThousand }, 'points'],
      ['/v1/segmentations', 'no prompt', { image }, 'points'],
      ['/v1/segmentations', 'unknown label', { image, points: [{ x: 1, y: 1, label: 'maybe' }] }, 'points.0.label'],
      ['/v1/segmentations', 'prototype key in a point', JSON.parse(`{"image":"${image}","points":[{"x":1,"y":1,"__proto__":{"admin":true}}]}`), 'points.0.__proto__'],
      ['/sdapi/v1/extra-single-image', 'resize_mode 1', { image, upscaler_1: 'x4', resize_mode: 1 }, 'resize_mode'],
      ['/sdapi/v1/extra-single-image', 'a second upscaler', { image, upscaler_1: 'x4', upscaler_2: 'x4' }, 'upscaler_2'],
      ['/sdapi/v1/extra-single-image', 'unknown field', { image, upscaler_1: 'x4', denoising_strength: 0.4 }, 'denoising_strength'],
      ['/sdapi/v1/extra-single-image', 'huge upscaling_resize', { image, upscaler_1: 'x4', upscaling_resize: 1e6 }, 'upscaling_resize'],
      ['/sdapi/v1/extra-batch-images', 'too many images', { imageList: Array.from({ length: 100 }, () => ({ data: image })), upscaler_1: 'x4' }, 'imageList'],
    ];
    for (const [route, what, body, field] of probes) {
      const sent = JSON.parse(JSON.stringify(body).replace('"GEN"', JSON.stringify(ownGeneration))) as unknown;
      const response = await call('POST', route, fixture.farm.apiKey, sent);
      table.record(`POST ${route} ${what}`, `400 ${field}`, `${response.status} ${fieldOf(response.body)}`);
      assert.equal(response.status, 400, `${what}: ${response.body.slice(0, 300)}`);
      assert.equal(fieldOf(response.body), field, `${what}: ${response.body.slice(0, 300)}`);
    }
    for (const [what, raw] of [
      ['malformed JSON', '{"image": '],
      ['Infinity coordinate', `{"image":"${image}","points":[{"x":1e999,"y":1}]}`],
      ['deeply nested points', `{"image":"aGk=","points":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ] as const) {
      const response = await call('POST', '/v1/segmentations', fixture.farm.apiKey, raw);
      table.record(`POST /v1/segmentations ${what}`, '4xx', response.status);
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status}`);
    }
  });
});
