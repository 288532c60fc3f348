import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { encodePng } from '@atelier/diffusion';
import { PreprocessorModels, decodeControlImage, hwc3, preprocess } from '@atelier/preprocessors';
import { writeDepthGraph } from '@atelier/preprocessors/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';

/** dist/test/e2e → the repository root. */
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'apps', 'cli', 'bin', 'atelier.js');

interface TaskView {
  id: string;
  object: string;
  kind: string;
  status: string;
  progress: { step: number; total: number };
  outputs: Array<{ index: number; kind: string; url: string; width: number; height: number; content_type: string }>;
  metadata: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  parameters: { preprocessor: string; model: string | null };
}

/** A photo-like 96×80 scene: a soft gradient, a disc, a slanted bar and a ring (edges in every direction). */
function scene(): Buffer {
  const width = 96;
  const height = 80;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - 30) ** 2 + (y - 34) ** 2 < 18 ** 2;
      const bar = Math.abs(y - 0.6 * x - 10) < 5 && x > 50;
      const ring = Math.abs(Math.hypot(x - 72, y - 58) - 12) < 3;
      const base = [40 + x, 60 + y, 120];
      rgb.set(disc ? [220, 40, 30] : bar ? [20, 200, 60] : ring ? [250, 240, 30] : base, (y * width + x) * 3);
    }
  }
  return encodePng(rgb, width, height);
}

/** The output as 8-bit RGB bytes. */
async function fetchRgb(url: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer())).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('image tasks through the farm: POST /v1/preprocess (real API, worker, Redis, s3rver, webhook receiver)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let imageServer: Server;
  let imageUrl: string;
  const source = scene();

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'atelier-preprocess-models-'));
    // A small depth graph written by our code with Depth Anything's input/output names.
    await writeDepthGraph(path.join(modelsDir, 'preprocessors', 'depth'), { inputName: 'pixel_values', outputName: 'predicted_depth' });
    imageServer = createServer((request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(request.url?.includes('junk') ? Buffer.from('not an image') : source));
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/in.png`;
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, OUTBOUND_ALLOWED_HOSTS: new URL(imageUrl).host });
  });
  after(async () => {
    await fixture?.stop();
    await new Promise<void>((resolve) => imageServer?.close(() => resolve()));
    await rm(modelsDir, { recursive: true, force: true });
  });

  const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${fixture.api.baseUrl}/v1/preprocess`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as TaskView & { error?: { code: string } } };
  };
  const eventsFor = (id: string): string[] =>
    fixture.receiver.received.flatMap((delivery) => {
      const payload = delivery.payload as { type: string; data: { id: string } };
      return payload.data.id === id && delivery.verificationError === undefined ? [payload.type] : [];
    });

  it('canny end to end: 202 with a task id, the control map equals @atelier/preprocessors on the same image, SSE, webhooks preprocess.started/.succeeded', async () => {
    const created = await submit({ image: source.toString('base64'), preprocessor: 'canny', options: { low_threshold: 50, high_threshold: 150 }, webhook: { url: fixture.receiver.url } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.match(created.body.id, /^tsk_[0-9a-f]{32}$/);
    assert.equal(created.headers.get('location'), `/v1/preprocess/${created.body.id}`);
    assert.deepEqual([created.body.object, created.body.kind, created.body.status], ['image_task', 'preprocess', 'queued']);
    const done = await fixture.api.waitFor<TaskView>(`/v1/preprocess/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.progress, { step: 1, total: 1 });
    assert.equal(done.outputs.length, 1);
    const [output] = done.outputs;
    assert.deepEqual([output.kind, output.width, output.height, output.content_type], ['control', 96, 80, 'image/png']);
    const map = await fetchRgb(output.url);
    const expected = hwc3((await preprocess('canny', await decodeControlImage(source), { width: 96, height: 80, low_threshold: 50, high_threshold: 150 }, new PreprocessorModels({}))).image);
    assert.equal(map.data.length, expected.data.length);
    assert.ok(Buffer.from(map.data).equals(Buffer.from(expected.data)), 'the stored map is the library\'s map, byte for byte');
    // Edges drawn at detect_resolution and resized back to the source size: bright, interpolated lines.
    const edges = expected.data.filter((value) => value > 64).length;
    assert.ok(edges > 100, `the scene has edges (${edges} bright values)`);
    const generic = await fixture.api.request<TaskView>('GET', `/v1/tasks/${created.body.id}`);
    assert.deepEqual([generic.status, generic.body.id, generic.body.status], [200, created.body.id, 'succeeded'], 'the generic route shows the same task');
    // SSE on a finished task: its final event with the task view, then the server closes the stream.
    const stream = await fetch(`${fixture.api.baseUrl}/v1/preprocess/${created.body.id}/events`, { headers: { authorization: `Bearer ${fixture.farm.apiKey}` } });
    assert.equal(stream.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    const sse = await stream.text();
    const final = /event: succeeded\ndata: (.*)\n/.exec(sse);
    assert.ok(final, sse);
    assert.deepEqual([(JSON.parse(final[1]) as TaskView).id, (JSON.parse(final[1]) as TaskView).outputs.length], [created.body.id, 1]);
    await waitUntil(() => eventsFor(created.body.id).includes('preprocess.succeeded'), 15_000, 'preprocess.succeeded webhook');
    assert.deepEqual(eventsFor(created.body.id).sort(), ['preprocess.started', 'preprocess.succeeded']);
  });

  it("depth end to end with the worker's model: routed by the announced model, map equal to the library with the same graph", async () => {
    const created = await submit({ image: imageUrl, preprocessor: 'depth', options: { width: 128, height: 112, detect_resolution: 256 } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.parameters.model, 'depth', 'the default model: the folder named like the preprocessor');
    const done = await fixture.api.waitFor<TaskView>(`/v1/tasks/${created.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([done.outputs[0].width, done.outputs[0].height], [128, 112]);
    assert.equal(done.metadata?.model, 'depth');
    const map = await fetchRgb(done.outputs[0].url);
    const models = new PreprocessorModels({ depth: path.join(modelsDir, 'preprocessors', 'depth') });
    const expected = hwc3((await preprocess('depth', await decodeControlImage(source), { width: 128, height: 112, detect_resolution: 256 }, models)).image);
    assert.ok(Buffer.from(map.data).equals(Buffer.from(expected.data)), 'the stored depth map is the library\'s map');
    assert.ok(new Set(expected.data).size > 8, 'the depth map is not flat');
    const unknown = await submit({ image: imageUrl, preprocessor: 'depth', model: 'no-such-model' });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body as unknown as { error: { details: Array<{ field: string }> } }).error.details[0].field, 'model');
  });

  it('idempotency: the same key and body replay the same task; the same key with another body is a 409', async () => {
    const body = { image: source.toString('base64'), preprocessor: 'canny' };
    const key = { 'idempotency-key': `prep-${Date.now()}` };
    const first = await submit(body, key);
    const again = await submit(body, key);
    assert.deepEqual([first.status, again.status], [202, 202]);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const other = await submit({ ...body, options: { low_threshold: 10 } }, key);
    assert.equal(other.status, 409);
    assert.equal((other.body as unknown as { error: { code: string } }).error.code, 'idempotency_key_reused');
  });

  it('cancel: a queued task never runs (200, preprocess.canceled delivered) and gives its queue-quota place back; a permanent failure ends failed with its code', async () => {
    const workers = async () => (await fixture.api.request<{ data: Array<{ id: string; draining: boolean }> }>('GET', '/v1/workers')).body.data;
    for (const worker of await workers()) assert.equal((await fixture.api.request('POST', `/v1/workers/${worker.id}/drain`)).status, 202);
    await waitUntil(async () => (await workers()).every((worker) => worker.draining), 10_000, 'draining flags');
    const queued = await submit({ image: source.toString('base64'), preprocessor: 'canny', webhook: { url: fixture.receiver.url } });
    assert.equal(queued.status, 202);
    const canceled = await fixture.api.request<TaskView>('POST', `/v1/preprocess/${queued.body.id}/cancel`);
    assert.deepEqual([canceled.status, canceled.body.status], [200, 'canceled']);
    // The tenant's queue quota counts tasks like generations; a task's ending move releases its place.
    const quota = await fixture.api.request<{ key: string }>('POST', '/v1/admin/keys', { tenant: 'quota-probe', scopes: ['generate'] });
    assert.equal((await fixture.api.request('PATCH', '/v1/admin/tenants/quota-probe/limits', { max_queued_jobs: 1 })).status, 200);
    const asQuota = (body: Record<string, unknown>) => submit(body, { authorization: `Bearer ${quota.body.key}` });
    const first = await asQuota({ image: source.toString('base64'), preprocessor: 'canny' });
    const refused = await asQuota({ image: source.toString('base64'), preprocessor: 'canny' });
    assert.deepEqual([first.status, refused.status, (refused.body as unknown as { error: { code: string } }).error.code], [202, 429, 'queue_limit_reached']);
    const quotaCancel = await fetch(`${fixture.api.baseUrl}/v1/tasks/${first.body.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${quota.body.key}` } });
    assert.equal(quotaCancel.status, 200);
    const admitted = await asQuota({ image: source.toString('base64'), preprocessor: 'canny' });
    assert.equal(admitted.status, 202, 'the canceled task gave its place back');
    for (const worker of await workers()) await fixture.api.request('POST', `/v1/workers/${worker.id}/undrain`);
    // Queued after the canceled one: once it has run, the canceled one had its chance to run too.
    const later = await submit({ image: imageUrl.replace('in.png', 'junk.png'), preprocessor: 'canny', webhook: { url: fixture.receiver.url } });
    const failed = await fixture.api.waitFor<TaskView>(`/v1/tasks/${later.body.id}`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_image');
    assert.match(failed.error?.message ?? '', /^image: /);
    assert.equal((await fixture.api.request<TaskView>('GET', `/v1/tasks/${queued.body.id}`)).body.status, 'canceled');
    await waitUntil(() => eventsFor(later.body.id).includes('preprocess.failed') && eventsFor(queued.body.id).includes('preprocess.canceled'), 15_000, 'webhooks');
    assert.deepEqual(eventsFor(queued.body.id), ['preprocess.canceled'], 'the canceled task never started');
    const conflict = await fixture.api.request<{ error: { code: string } }>('POST', `/v1/tasks/${later.body.id}/cancel`);
    assert.deepEqual([conflict.status, conflict.body.error.code], [409, 'already_finished']);
  });

  it('atelier preprocess (the CLI as a process) writes the control map the API stored', async () => {
    const input = path.join(modelsDir, 'scene.png');
    const out = path.join(modelsDir, 'cli-out');
    await writeFile(input, source);
    const run = await promisify(execFile)(process.execPath, [CLI, 'preprocess', input, '--preprocessor', 'canny', '--low', '50', '--high', '150', '--out', out], {
      env: { ...process.env, ATELIER_API_URL: fixture.farm.apiUrl, ATELIER_API_KEY: fixture.farm.apiKey },
    });
    const file = run.stdout.trim();
    assert.match(path.basename(file), /^tsk_[0-9a-f]{32}-control\.png$/);
    const written = await sharp(await readFile(file)).removeAlpha().raw().toBuffer();
    const expected = hwc3((await preprocess('canny', await decodeControlImage(source), { width: 96, height: 80, low_threshold: 50, high_threshold: 150 }, new PreprocessorModels({}))).image);
    assert.ok(written.equals(Buffer.from(expected.data)), 'the file holds the same map');
  });

  it('the OpenAPI document describes POST /v1/preprocess from its validating schema, and the task routes', async () => {
    const openapi = (await (await fetch(`${fixture.farm.apiUrl}/docs/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    for (const route of ['/v1/preprocess', '/v1/preprocess/{id}', '/v1/preprocess/{id}/cancel', '/v1/tasks/{id}', '/v1/tasks/{id}/cancel', '/v1/tasks/{id}/events']) assert.ok(openapi.paths[route], route);
    assert.deepEqual(Object.keys(openapi.components.schemas.PreprocessRequest.properties ?? {}).sort(), ['image', 'model', 'options', 'output_format', 'preprocessor', 'webhook']);
  });

  it('the worker times each task in atelier_postprocess_seconds{kind="preprocess"}', async () => {
    const text = await (await fetch(fixture.farm.workers[0].metricsUrl)).text();
    const count = Number(/^atelier_postprocess_seconds_count\{[^}]*kind="preprocess"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0);
    assert.ok(count >= 3, `preprocess tasks timed: ${count}`);
  });
});
