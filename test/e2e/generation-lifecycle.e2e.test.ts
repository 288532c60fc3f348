import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EXAMPLE_GENERATION_REQUEST, type GenerationView } from '@atelier/contracts';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng, pixel } from '../support/png.js';

const SMALL = { model: 'demo-sd15', img_width: 64, img_height: 64, num_inference_steps: 6, scheduler: 'Euler' } as const;

async function metricValue(url: string, name: string, labels: Record<string, string> = {}, apiKey?: string): Promise<number> {
  const text = await (await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} })).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

describe('generation lifecycle through the farm (real Redis, s3rver, webhooks, processes)', () => {
  let fixture: FarmFixture;

  before(async () => {
    fixture = await startFarmFixture();
  });
  after(async () => {
    await fixture?.stop();
  });

  it('runs the README example body verbatim (default model, 1024×1024, refiner) end to end: 202 → succeeded → presigned PNG → signed webhooks → metrics', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      ...EXAMPLE_GENERATION_REQUEST,
      webhook: { url: fixture.receiver.url },
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.equal(submitted.body.status, 'queued');
    assert.equal(submitted.headers.get('location'), `/v1/generations/${submitted.body.id}`);
    assert.ok(submitted.body.warnings.some((warning) => warning.includes('strength')));

    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(done.progress, { step: 25, total: 25 });
    assert.equal(done.outputs.length, 1);
    const [output] = done.outputs;
    assert.equal(output.seed, 468685);
    assert.equal(output.content_type, 'image/png');
    assert.ok(output.url?.startsWith(fixture.s3.endpoint), output.url);
    assert.ok((done.timings.inference_ms ?? -1) >= 0 && (done.timings.queue_wait_ms ?? -1) >= 0 && (done.timings.upload_ms ?? -1) >= 0);

    const image = await fetch(output.url as string);
    assert.equal(image.status, 200);
    const png = decodePng(Buffer.from(await image.arrayBuffer()));
    assert.equal(png.width, 1024);
    assert.equal(png.height, 1024);
    const [r, g, b] = pixel(png, 512, 512);
    assert.ok(r > 230 && g < 25 && b < 25, `centre should be red, got ${[r, g, b]}`);
    const [cr, cg, cb] = pixel(png, 3, 3);
    assert.ok(cb > 230 && cr < 25 && cg < 25, `corner should be blue, got ${[cr, cg, cb]}`);
    assert.match(png.text.parameters, /^a red circle on a blue background\nNegative prompt: blurry, ugly\nSteps: 25, Sampler: UniPC.*Seed: 468685, Size: 1024x1024/);

    await waitUntil(() => fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id)).length >= 2, 10_000, 'webhooks');
    const hooks = fixture.receiver.received.filter((hook) => hook.body.includes(submitted.body.id));
    assert.ok(hooks.every((hook) => hook.verificationError === undefined), 'every webhook verifies with the standardwebhooks library');
    const types = hooks.map((hook) => (hook.payload as { type: string }).type);
    assert.deepEqual(types.sort(), ['generation.started', 'generation.succeeded']);
    const succeeded = hooks.find((hook) => (hook.payload as { type: string }).type === 'generation.succeeded')?.payload as { data: GenerationView };
    assert.equal(succeeded.data.id, submitted.body.id);
    assert.equal(succeeded.data.status, 'succeeded');
    assert.equal(succeeded.data.outputs.length, 1);

    const apiMetrics = `${fixture.farm.apiUrl}/metrics`;
    assert.ok((await metricValue(apiMetrics, 'atelier_generations_submitted_total', { kind: 'single' }, fixture.farm.apiKey)) >= 1);
    assert.ok((await metricValue(apiMetrics, 'atelier_webhook_deliveries_total', { outcome: 'delivered' }, fixture.farm.apiKey)) >= 2);
    const workerMetrics = fixture.farm.workers[0].metricsUrl;
    assert.ok((await metricValue(workerMetrics, 'atelier_images_generated_total')) >= 1);
    assert.ok((await metricValue(workerMetrics, 'atelier_jobs_completed_total', { outcome: 'succeeded' })) >= 1);
    assert.ok((await metricValue(workerMetrics, 'atelier_denoising_step_seconds_count')) >= 1);
  });

  it('returns images inline with base64: true', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SMALL, prompt: 'a green square on a white background', base64: true, samples: 2, seed: 7 });
    assert.equal(submitted.status, 202);
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual(
      done.outputs.map((output) => output.seed),
      [7, 8],
    );
    for (const output of done.outputs) {
      assert.equal(output.url, undefined);
      const png = decodePng(Buffer.from(output.base64 as string, 'base64'));
      assert.equal(png.width, 64);
      const [r, g, b] = pixel(png, 32, 32);
      assert.ok(g > 230 && r < 25 && b < 25, `centre should be green, got ${[r, g, b]}`);
    }
  });

  it('rejects bad input with 400 naming the field, and enqueues nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ prompt: 'x', upscale: 2 }, 'upscale'],
      [{ prompt: 'x', img_width: 100 }, 'img_width'],
      [{ prompt: 'x', scheduler: 'Warp Drive' }, 'scheduler'],
      [{ prompt: 'x', model: 'no-such-model' }, 'model'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x', samples: 0 }, 'samples'],
      [{ prompt: 'x', style: 'vaporwave-deluxe' }, 'style'],
      [{ prompt: 'x', webhook: { url: 'ftp://example.com' } }, 'webhook.url'],
      [{ prompt: 'x', mask_image: 'aGVsbG8=' }, 'mask_image'],
    ];
    for (const [body, field] of cases) {
      const response = await fixture.api.request<{ error: { code: string; message: string; details: Array<{ field: string }> } }>('POST', '/v1/generations', body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${response.status}`);
      assert.equal(response.body.error.code, 'validation_failed');
      assert.ok(
        response.body.error.details.some((detail) => detail.field === field),
        `${JSON.stringify(body)}: expected field ${field}, got ${JSON.stringify(response.body.error.details)}`,
      );
    }
    const malformed = await fetch(`${fixture.farm.apiUrl}/v1/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json' },
      body: '{"prompt": ',
    });
    assert.equal(malformed.status, 400);
    const unauthorized = await fetch(`${fixture.farm.apiUrl}/v1/generations/x`);
    assert.equal(unauthorized.status, 401);
    const missing = await fixture.api.request('GET', '/v1/generations/gen_missing');
    assert.equal(missing.status, 404);
  });

  it('cancels a running job at the next step and a queued job before it runs', async () => {
    // Long enough (1024², 150 steps) that the cancel lands mid-flight even on a fast machine.
    const slow = { ...SMALL, prompt: 'a yellow triangle', img_width: 1024, img_height: 1024, num_inference_steps: 150, scheduler: 'DDIM' };
    const running = await fixture.api.request<GenerationView>('POST', '/v1/generations', slow);
    const queued = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...SMALL, prompt: 'a black ring' });
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`, (body) => body.status === 'running' && body.progress.step >= 1);

    const cancelQueued = await fixture.api.request<GenerationView>('POST', `/v1/generations/${queued.body.id}/cancel`);
    assert.equal(cancelQueued.status, 200);
    assert.equal(cancelQueued.body.status, 'canceled');

    const cancelRunning = await fixture.api.request<GenerationView>('POST', `/v1/generations/${running.body.id}/cancel`);
    assert.equal(cancelRunning.status, 202);
    const canceled = await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`);
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.progress.step < 150, `stopped early, at step ${canceled.progress.step}`);
    assert.equal(canceled.outputs.length, 0);

    const stillCanceled = await fixture.api.request<GenerationView>('GET', `/v1/generations/${queued.body.id}`);
    assert.equal(stillCanceled.body.status, 'canceled');
    assert.equal(stillCanceled.body.started_at, null, 'the queued job never ran');
    const again = await fixture.api.request('POST', `/v1/generations/${running.body.id}/cancel`);
    assert.equal(again.status, 200);
  });

  it('runs a batch of 50 and reports batch.completed once', async () => {
    const requests = Array.from({ length: 50 }, (_, index) => ({
      ...SMALL,
      num_inference_steps: 2,
      prompt: index % 2 ? 'a red circle' : 'a blue square',
      seed: index,
    }));
    const submitted = await fixture.api.request<{ id: string; total: number }>('POST', '/v1/batches', { requests, webhook: { url: fixture.receiver.url } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    assert.equal(submitted.body.total, 50);
    const done = await fixture.api.waitFor<{ status: string; counts: Record<string, number>; generations: { data: Array<{ status: string }> } }>(
      `/v1/batches/${submitted.body.id}?limit=50`,
      (body) => body.status === 'completed',
      180_000,
    );
    assert.equal(done.counts.succeeded, 50);
    assert.equal(done.counts.queued, 0);
    assert.equal(done.counts.running, 0);
    assert.equal(done.generations.data.length, 50);
    assert.ok(done.generations.data.every((item) => item.status === 'succeeded'));
    await waitUntil(() => fixture.receiver.received.some((hook) => hook.body.includes(submitted.body.id) && hook.body.includes('batch.completed')), 10_000, 'batch webhook');
    const completions = fixture.receiver.received.filter((hook) => hook.body.includes('"batch.completed"') && hook.body.includes(submitted.body.id));
    assert.equal(completions.length, 1);
    assert.equal((completions[0].payload as { data: { counts: Record<string, number> } }).data.counts.succeeded, 50);

    const tooBig = await fixture.api.request('POST', '/v1/batches', { requests: [] });
    assert.equal(tooBig.status, 400);
  });

  it('serves discovery endpoints, health, readiness and the OpenAPI document', async () => {
    const models = await fixture.api.request<{ data: Array<{ id: string; default_width: number }> }>('GET', '/v1/models');
    assert.ok(models.body.data.some((model) => model.id === 'demo-sd15' && model.default_width === 256));
    const schedulers = await fixture.api.request<{ data: Array<{ id: string }> }>('GET', '/v1/schedulers');
    assert.ok(schedulers.body.data.some((scheduler) => scheduler.id === 'unipc'));
    const styles = await fixture.api.request<{ data: Array<{ id: string }> }>('GET', '/v1/styles');
    assert.ok(styles.body.data.some((style) => style.id === 'cinematic'));
    assert.equal((await fetch(`${fixture.farm.apiUrl}/healthz`)).status, 200);
    const ready = await fetch(`${fixture.farm.apiUrl}/readyz`);
    assert.equal(ready.status, 200);
    const openapi = (await (await fetch(`${fixture.farm.apiUrl}/docs/openapi.json`)).json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    assert.ok(openapi.paths['/v1/generations']);
    assert.ok(openapi.components.schemas.GenerationRequest.properties?.high_noise_fraction);
    const swagger = await fetch(`${fixture.farm.apiUrl}/docs`);
    assert.equal(swagger.status, 200);
    assert.match(await swagger.text(), /swagger/i);
    const secret = await fixture.api.request<{ secret: string }>('GET', '/v1/webhooks/secret');
    assert.equal(secret.body.secret, fixture.webhookSecret);
  });
});
