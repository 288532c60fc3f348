import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { encodePng } from '@atelier/diffusion';
import { FFHQ_TEMPLATE_512 } from '@atelier/face-restoration';
import { writeDepthGraph } from '@atelier/preprocessors/testing';
import { writeRestorerGraph, writeScrfdGraph, type ScrfdEntry } from '@atelier/face-restoration/testing';
import { OFFICIAL_SCORES, writeOfficialDecoderGraph, writeSamEncoderGraph } from '@atelier/segmentation/testing';
import { shuffleGain, writeUpscalerGraph } from '@atelier/upscaling/testing';
import { TestApiClient } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

/** dist/test/e2e → the repository root. */
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'apps', 'cli', 'bin', 'atelier.js');

interface TaskView {
  id: string;
  kind: string;
  status: string;
  progress: { step: number; total: number };
  outputs: Array<{ index: number; kind: string; url: string; width: number; height: number; content_type: string }>;
  metadata: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  parameters: Record<string, unknown>;
}

interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** A deterministic RGB pattern (no two neighbours equal), PNG-encoded. */
function pattern(width: number, height: number): { png: Buffer; rgb: Uint8Array } {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set([(x * 7 + y * 3) & 255, (y * 11 + x) & 255, (x ^ (y * 5)) & 255], (y * width + x) * 3);
  }
  return { png: encodePng(rgb, width, height), rgb };
}

async function fetchPixels(url: string, channels: 1 | 3 = 3): Promise<Pixels> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const image = sharp(Buffer.from(await response.arrayBuffer()));
  const { data, info } = await (channels === 1 ? image.extractChannel(0) : image.removeAlpha().toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data) };
}

/** What the pixel-shuffle graph makes of an RGB image, computed independently: each sub-pixel is the source times its gain. */
function expectedShuffle(rgb: Uint8Array, width: number, height: number, scale: number): Uint8Array {
  const out = new Uint8Array(width * scale * height * scale * 3);
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      const gain = shuffleGain(y % scale, x % scale, scale);
      for (let c = 0; c < 3; c++) out[(y * width * scale + x) * 3 + c] = Math.round(rgb[(Math.floor(y / scale) * width + Math.floor(x / scale)) * 3 + c] * gain);
    }
  }
  return out;
}

/** A stride-32 SCRFD anchor at (column, row) reporting one face whose landmarks are the FFHQ template shifted by `shift`. */
function faceEntry(column: number, row: number, shift: { x: number; y: number }): ScrfdEntry {
  const cx = column * 32;
  const cy = row * 32;
  return { stride: 32, index: 2 * (row * 20 + column), score: 0.9, box: [4, 4, 4, 4], landmarks: FFHQ_TEMPLATE_512.flatMap((p) => [(p.x + shift.x - cx) / 32, (p.y + shift.y - cy) / 32]) };
}

describe('upscale, face restoration and segmentation tasks through the farm (real API, worker, Redis, s3rver, webhooks)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let api: TestApiClient;

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'atelier-postprocess-models-'));
    // Graphs written by our code with the real exports' names and shapes, shipped as MODELS_DIR folders.
    await writeUpscalerGraph(path.join(modelsDir, 'upscalers', 'x4', 'model.onnx'), { scale: 4 });
    await writeFile(path.join(modelsDir, 'upscalers', 'x4', 'config.json'), JSON.stringify({ scale: 4 }));
    await writeScrfdGraph(path.join(modelsDir, 'face_detectors', 'scrfd', 'model.onnx'), [faceEntry(10, 10, { x: 100, y: 60 })]);
    await writeSamEncoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'encoder.onnx'), { inputName: 'x' });
    await writeOfficialDecoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'decoder.onnx'));
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir });
    api = fixture.api;
  });
  after(async () => {
    await fixture?.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  const finished = (route: string, id: string) => api.waitFor<TaskView>(`/v1/${route}/${id}`);
  const eventsFor = (id: string): string[] =>
    fixture.receiver.received.flatMap((delivery) => {
      const payload = delivery.payload as { type: string; data: { id: string } };
      return payload.data.id === id && delivery.verificationError === undefined ? [payload.type] : [];
    });

  it('upscale x4 (tiled pixel shuffle): the result equals the graph computed independently, the source is kept, progress per tile, webhooks upscale.*', async () => {
    const { png, rgb } = pattern(40, 36);
    const submitted = await api.request<TaskView>('POST', '/v1/upscales', { image: png.toString('base64'), model: 'x4', tile_size: 32, tile_overlap: 8, webhook: { url: fixture.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.equal(submitted.headers.get('location'), `/v1/upscales/${submitted.body.id}`);
    assert.equal(submitted.body.kind, 'upscale');
    const done = await finished('upscales', submitted.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.outputs.map((output) => [output.kind, output.width, output.height]), [['image', 160, 144], ['source', 40, 36]]);
    const result = await fetchPixels(done.outputs[0].url);
    assert.deepEqual(result.data, expectedShuffle(rgb, 40, 36, 4), 'every pixel as the pixel-shuffle graph gives it');
    assert.deepEqual((await fetchPixels(done.outputs[1].url)).data, rgb, 'the source kept as it came');
    assert.equal(done.metadata?.tiles, 4);
    assert.deepEqual(done.progress, { step: 4, total: 4 });
    assert.equal(done.parameters.image, `(inline image, ${png.toString('base64').length} base64 characters)`);
    assert.equal((await api.request<TaskView>('GET', `/v1/tasks/${done.id}`)).body.kind, 'upscale');
    assert.equal((await api.request('GET', `/v1/preprocess/${done.id}`)).status, 404, 'another kind\'s alias does not answer');
    await api.waitFor(`/v1/upscales/${done.id}`, () => eventsFor(done.id).includes('upscale.succeeded'));
    assert.deepEqual(eventsFor(done.id), ['upscale.started', 'upscale.succeeded']);
  });

  it('upscale by less than the model\'s scale resizes its result; a scale above it is a 400 naming scale', async () => {
    const { png } = pattern(20, 18);
    const submitted = await api.request<TaskView>('POST', '/v1/upscales', { image: png.toString('base64'), scale: 2 });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await finished('upscales', submitted.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([done.outputs[0].width, done.outputs[0].height, done.metadata?.model, done.metadata?.scale], [40, 36, 'x4', 2]);
    const refused = await api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/upscales', { image: png.toString('base64'), scale: 8 });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].field, 'scale');
  });

  it('upscale of a generation output (generation_id + output_index): the generation\'s image through the graph', async () => {
    const generation = await api.request<{ id: string }>('POST', '/v1/generations', { prompt: 'a lighthouse at dusk', img_width: 64, img_height: 64, num_inference_steps: 2, seed: 7, refiner: false });
    assert.equal(generation.status, 202, JSON.stringify(generation.body));
    const generated = await api.waitFor<{ status: string; outputs: Array<{ url: string }> }>(`/v1/generations/${generation.body.id}`);
    assert.equal(generated.status, 'succeeded');
    const base = await fetchPixels(generated.outputs[0].url);
    const submitted = await api.request<TaskView>('POST', '/v1/upscales', { generation_id: generation.body.id, output_index: 0, model: 'x4' });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await finished('upscales', submitted.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual((await fetchPixels(done.outputs[0].url)).data, expectedShuffle(base.data, 64, 64, 4));
    assert.deepEqual([done.parameters.generation_id, done.parameters.output_index, done.parameters.source], [generation.body.id, 0, undefined], 'the storage key stays internal');
    const missing = await api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/upscales', { generation_id: generation.body.id, output_index: 3 });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.details[0].field, 'output_index');
  });

  it('face restoration with a restorer uploaded to the registry (private) and a MODELS_DIR detector: the face inverted inside the mask, the rest untouched, webhooks face_restore.*', async () => {
    const restorerDir = await mkdtemp(path.join(tmpdir(), 'atelier-restorer-'));
    const file = await writeRestorerGraph(path.join(restorerDir, 'model.onnx'), { kind: 'gfpgan', transform: 'invert' });
    const form = new FormData();
    form.set('kind', 'face_restorer');
    form.set('name', 'inverter');
    form.set('file', new Blob([await readFile(file)]), 'model.onnx');
    const uploaded = await fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${fixture.farm.apiKey}` }, body: form });
    assert.equal(uploaded.status, 201, await uploaded.text());
    await rm(restorerDir, { recursive: true, force: true });
    const size = 640;
    const { png, rgb } = pattern(size, size);
    // The worker syncs the upload within a heartbeat; until it announces the model the API refuses it by name.
    let submitted = await api.request<TaskView & { error?: { details?: Array<{ field: string }> } }>('POST', '/v1/face-restorations', { image: png.toString('base64'), model: 'inverter', webhook: { url: fixture.receiver.url } });
    const deadline = Date.now() + 30_000;
    while (submitted.status === 400 && Date.now() < deadline) {
      assert.equal(submitted.body.error?.details?.[0]?.field, 'model');
      await new Promise((resolve) => setTimeout(resolve, 250));
      submitted = await api.request('POST', '/v1/face-restorations', { image: png.toString('base64'), model: 'inverter', webhook: { url: fixture.receiver.url } });
    }
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await finished('face-restorations', submitted.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([done.parameters.model, done.parameters.detector], ['inverter', 'scrfd'], 'the only detector is the default');
    assert.equal((done.metadata?.faces as unknown[]).length, 1);
    assert.deepEqual(done.progress, { step: 1, total: 1 });
    const result = await fetchPixels(done.outputs[0].url);
    // The aligned face is the 512 square at (100, 60); well inside the feathered mask the restorer's inversion shows exactly.
    for (const [x, y] of [[356, 316], [300, 250], [420, 400]] as const) {
      for (let c = 0; c < 3; c++) assert.equal(result.data[(y * size + x) * 3 + c], 255 - rgb[(y * size + x) * 3 + c], `(${x},${y}) inverted`);
    }
    for (const [x, y] of [[10, 10], [630, 20], [20, 630]] as const) {
      for (let c = 0; c < 3; c++) assert.equal(result.data[(y * size + x) * 3 + c], rgb[(y * size + x) * 3 + c], `(${x},${y}) untouched`);
    }
    assert.equal(done.outputs[1].kind, 'source');
    await api.waitFor(`/v1/face-restorations/${done.id}`, () => eventsFor(done.id).includes('face_restore.succeeded'));
    assert.deepEqual(eventsFor(done.id), ['face_restore.started', 'face_restore.succeeded']);
  });

  it('segmentation: a click selects the disc around it (mask PNG, score in metadata); a second click on the same image hits the embedding cache', async () => {
    const width = 96;
    const height = 80;
    const { png } = pattern(width, height);
    const click = { x: 30, y: 34 };
    const first = await api.request<TaskView>('POST', '/v1/segmentations', { image: png.toString('base64'), points: [click] });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const done = await finished('segmentations', first.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.outputs.map((output) => [output.kind, output.width, output.height, output.content_type]), [['mask', width, height, 'image/png']]);
    assert.deepEqual(done.metadata?.scores, [Math.fround(OFFICIAL_SCORES[2])]);
    assert.equal(done.metadata?.embeddings_cached, false);
    const mask = await fetchPixels(done.outputs[0].url, 1);
    // The graph draws a disc of radius 120 (1024 frame) around the click: 120 · 96/1024 ≈ 11 image pixels.
    assert.equal(mask.data[click.y * width + click.x], 255, 'the clicked pixel is selected');
    assert.equal(mask.data[(click.y + 5) * width + click.x + 5], 255);
    assert.equal(mask.data[70 * width + 90], 0, 'a far pixel is not');
    assert.equal(mask.data[0], 0);
    const again = await api.request<TaskView>('POST', '/v1/segmentations', { image: png.toString('base64'), points: [{ x: 70, y: 50 }], output: 'all' });
    const second = await finished('segmentations', again.body.id);
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.equal(second.metadata?.embeddings_cached, true, 'only the decoder ran');
    assert.equal(second.outputs.length, 3);
  });

  it('A1111 extras: extra-single-image and extra-batch-images answer synchronously with the upscaled PNGs; /sdapi/v1/upscalers lists None and the models; other resize modes and unknown fields are refused by name', async () => {
    const sdapi = async <T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${fixture.farm.apiUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${fixture.farm.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as T };
    };
    const upscalers = await sdapi<Array<{ name: string; scale: number }>>('GET', '/sdapi/v1/upscalers');
    assert.equal(upscalers.status, 200);
    assert.deepEqual(upscalers.body.map((entry) => [entry.name, entry.scale]), [['None', 4], ['x4', 4]]);
    const { png, rgb } = pattern(24, 20);
    const single = await sdapi<{ html_info: string; image: string }>('POST', '/sdapi/v1/extra-single-image', { image: png.toString('base64'), upscaler_1: 'x4', upscaling_resize: 4, resize_mode: 0, show_extras_results: true, upscale_first: false });
    assert.equal(single.status, 200, JSON.stringify(single.body));
    const decoded = await sharp(Buffer.from(single.body.image, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([decoded.info.width, decoded.info.height], [96, 80]);
    assert.deepEqual(new Uint8Array(decoded.data), expectedShuffle(rgb, 24, 20, 4));
    assert.match(single.body.html_info, /Postprocess upscaler: x4/);
    const batch = await sdapi<{ images: string[] }>('POST', '/sdapi/v1/extra-batch-images', { imageList: [{ data: png.toString('base64'), name: 'a.png' }, { data: pattern(10, 8).png.toString('base64'), name: 'b.png' }], upscaler_1: 'x4', upscaling_resize: 2 });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const sizes = await Promise.all(batch.body.images.map(async (image) => (await sharp(Buffer.from(image, 'base64')).metadata()).width));
    assert.deepEqual(sizes, [48, 20]);
    for (const [body, field] of [
      [{ image: png.toString('base64'), upscaler_1: 'x4', resize_mode: 1 }, 'resize_mode'],
      [{ image: png.toString('base64'), upscaler_1: 'x4', denoise: 0.5 }, 'denoise'],
      [{ image: png.toString('base64'), upscaler_1: 'nope' }, 'upscaler_1'],
      [{ image: png.toString('base64'), upscaler_1: 'x4', upscaling_resize: 6 }, 'upscaling_resize'],
    ] as const) {
      const refused = await sdapi<{ errors: Array<{ field: string }> }>('POST', '/sdapi/v1/extra-single-image', body);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.errors[0]?.field, field);
    }
  });

  it('atelier upscale and atelier segment (the CLI as a process) write the result, the source and the mask the API stored', async () => {
    const { png, rgb } = pattern(16, 12);
    const input = path.join(modelsDir, 'cli-in.png');
    const out = path.join(modelsDir, 'cli-out');
    await writeFile(input, png);
    const env = { ...process.env, ATELIER_API_URL: fixture.farm.apiUrl, ATELIER_API_KEY: fixture.farm.apiKey };
    const upscaled = await promisify(execFile)(process.execPath, [CLI, 'upscale', input, '--model', 'x4', '--out', out], { env });
    const files = upscaled.stdout.trim().split('\n');
    assert.deepEqual(files.map((file) => path.basename(file).replace(/^tsk_[0-9a-f]{32}/, 'TASK')), ['TASK-image.png', 'TASK-source.png']);
    const written = await sharp(await readFile(files[0])).removeAlpha().raw().toBuffer();
    assert.deepEqual(new Uint8Array(written), expectedShuffle(rgb, 16, 12, 4));
    const segmented = await promisify(execFile)(process.execPath, [CLI, 'segment', input, '--point', '8,6', '--all', '--out', out], { env });
    assert.deepEqual(segmented.stdout.trim().split('\n').map((file) => path.basename(file).replace(/^tsk_[0-9a-f]{32}/, 'TASK')), ['TASK-mask-0.png', 'TASK-mask-1.png', 'TASK-mask-2.png']);
  });

  it('the OpenAPI document describes the three routes from their validating schemas; the worker times each kind in atelier_postprocess_seconds', async () => {
    const openapi = (await (await fetch(`${fixture.farm.apiUrl}/docs/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    for (const base of ['/v1/upscales', '/v1/face-restorations', '/v1/segmentations']) {
      for (const route of [base, `${base}/{id}`, `${base}/{id}/cancel`, `${base}/{id}/events`]) assert.ok(openapi.paths[route], route);
    }
    for (const route of ['/sdapi/v1/extra-single-image', '/sdapi/v1/extra-batch-images', '/sdapi/v1/upscalers']) assert.ok(openapi.paths[route], route);
    assert.deepEqual(Object.keys(openapi.components.schemas.SegmentationRequest.properties ?? {}).sort(), ['boxes', 'generation_id', 'image', 'model', 'output', 'output_index', 'points', 'webhook']);
    assert.ok(openapi.components.schemas.UpscaleRequest.properties?.face_restore);
    const text = await (await fetch(fixture.farm.workers[0].metricsUrl)).text();
    for (const kind of ['upscale', 'face_restore', 'segment']) {
      const count = Number(new RegExp(`^atelier_postprocess_seconds_count\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      assert.ok(count >= 1, `${kind} tasks timed: ${count}`);
    }
  });

  it("POST /v1/preprocess finds preprocessor models through the registry: a tenant's private upload runs for it and is unknown to another tenant", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'atelier-private-depth-'));
    const file = await writeDepthGraph(folder, { inputName: 'pixel_values', outputName: 'predicted_depth' });
    const form = new FormData();
    form.set('kind', 'preprocessor');
    form.set('name', 'my-depth');
    form.set('preprocessor', 'depth');
    form.set('file', new Blob([await readFile(file)]), 'model.onnx');
    const uploaded = await fetch(`${fixture.farm.apiUrl}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${fixture.farm.apiKey}` }, body: form });
    assert.equal(uploaded.status, 201, await uploaded.text());
    await rm(folder, { recursive: true, force: true });
    const { png } = pattern(48, 40);
    const body = { image: png.toString('base64'), preprocessor: 'depth', model: 'my-depth' };
    let submitted = await api.request<TaskView>('POST', '/v1/preprocess', body);
    const deadline = Date.now() + 30_000;
    while (submitted.status === 400 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      submitted = await api.request<TaskView>('POST', '/v1/preprocess', body);
    }
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await finished('preprocess', submitted.body.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([done.outputs[0].kind, done.outputs[0].width, done.outputs[0].height, done.metadata?.model], ['control', 48, 40, 'my-depth']);
    const other = await api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'mallory', scopes: ['generate'] });
    const refused = await fetch(`${fixture.farm.apiUrl}/v1/preprocess`, { method: 'POST', headers: { authorization: `Bearer ${other.body.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { details: Array<{ field: string }> } }).error.details[0].field, 'model');
  });
});
