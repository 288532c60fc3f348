import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { encodePng } from '@atelier/diffusion';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { pngDeclaring } from '../support/png-header.js';
import { ProbeTable } from '../support/probe-table.js';

const TINY = { model: 'demo-sd15', prompt: 'a red circle', img_width: 64, img_height: 64, num_inference_steps: 3, scheduler: 'Euler' } as const;

interface FieldError {
  error: { code: string; details?: Array<{ field: string; message: string }> };
}
interface A1111Error {
  errors: Array<{ field: string; message: string }>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('server-side request forgery through image, dataset, import and webhook URLs (real API and worker)', () => {
  const table = new ProbeTable('SSRF: URLs the farm fetches');
  const png = encodePng(new Uint8Array(64 * 64 * 3).fill(90), 64, 64);
  let fixture: FarmFixture;
  let pngServer: Server;
  let errorServer: Server;
  let pngPort = 0;
  let errorPort = 0;
  let closedPort = 0;
  let pngHits = 0;

  before(async () => {
    // An internal service on the farm's loopback that serves a picture: what an attacker wants to read.
    pngServer = createServer((_request, response) => {
      pngHits++;
      response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    });
    pngPort = await listen(pngServer);
    // An allowlisted internal service that answers an error, and an allowlisted port nobody listens on.
    errorServer = createServer((_request, response) => response.writeHead(500, { 'content-type': 'text/plain' }).end('internal error detail'));
    errorPort = await listen(errorServer);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    fixture = await startFarmFixture({ OUTBOUND_ALLOWED_HOSTS: `127.0.0.1:${errorPort},127.0.0.1:${closedPort}` });
  });
  after(async () => {
    pngServer?.close();
    errorServer?.close();
    await fixture?.stop();
  });

  const submit = (body: Record<string, unknown>) => fixture.api.request<FieldError & { id: string }>('POST', '/v1/generations', { ...TINY, ...body });
  const fieldOf = (body: FieldError): string => body.error?.details?.[0]?.field ?? '(none)';

  it('refuses image URLs on a forbidden address, in every spelling, with a 400 naming the field', async () => {
    const spellings = [
      `http://127.0.0.1:${pngPort}/in.png`,
      `http://2130706433:${pngPort}/in.png`,
      `http://0x7f000001:${pngPort}/in.png`,
      `http://0177.0.0.1:${pngPort}/in.png`,
      `http://127.1:${pngPort}/in.png`,
      `http://[::ffff:127.0.0.1]:${pngPort}/in.png`,
      `http://[::ffff:7f00:1]:${pngPort}/in.png`,
      `http://[::1]:${pngPort}/in.png`,
      `http://0.0.0.0:${pngPort}/in.png`,
      `http://localhost:${pngPort}/in.png`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://user:secret@example.com/in.png',
    ];
    for (const url of spellings) {
      const response = await submit({ init_image: url });
      table.record(`POST /v1/generations init_image=${url}`, '400 init_image', `${response.status} ${fieldOf(response.body)}`);
      assert.equal(response.status, 400, url);
      assert.equal(fieldOf(response.body), 'init_image', url);
    }
    const mask = await submit({ init_image: png.toString('base64'), mask_image: `http://2130706433:${pngPort}/mask.png` });
    table.record('POST /v1/generations mask_image=http://2130706433:…', '400 mask_image', `${mask.status} ${fieldOf(mask.body)}`);
    assert.equal(mask.status, 400);
    assert.equal(fieldOf(mask.body), 'mask_image');

    const batch = await fixture.api.request<FieldError>('POST', '/v1/batches', { requests: [TINY, TINY, TINY, { ...TINY, init_image: `http://[::ffff:7f00:1]:${pngPort}/in.png` }] });
    table.record('POST /v1/batches requests.3.init_image=[::ffff:7f00:1]', '400 requests.3.init_image', `${batch.status} ${fieldOf(batch.body)}`);
    assert.equal(batch.status, 400);
    assert.equal(fieldOf(batch.body), 'requests.3.init_image');

    const a1111 = await fixture.api.request<A1111Error>('POST', '/sdapi/v1/img2img', { prompt: 'x', steps: 3, width: 64, height: 64, init_images: [`http://0x7f000001:${pngPort}/in.png`] });
    table.record('POST /sdapi/v1/img2img init_images=[http://0x7f000001:…]', '400 init_images.0', `${a1111.status} ${a1111.body.errors?.[0]?.field}`);
    assert.equal(a1111.status, 400);
    assert.equal(a1111.body.errors[0].field, 'init_images.0');
    assert.equal(pngHits, 0, 'the internal service was never reached');
  });

  it('fails a job whose image URL cannot be fetched with one uniform error: unresolvable, error answer, closed port', async () => {
    const outcomes: string[] = [];
    for (const [what, url] of [
      ['DNS failure', 'http://atelier-ssrf-probe.invalid/in.png'],
      ['allowlisted port answering 500', `http://127.0.0.1:${errorPort}/in.png`],
      ['allowlisted closed port', `http://127.0.0.1:${closedPort}/in.png`],
    ] as const) {
      const submitted = await submit({ init_image: url });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
      const observed = `${done.status} ${done.error?.code}: ${done.error?.message}`;
      table.record(`init_image fetched by the worker: ${what}`, 'failed invalid_image: init_image: could not fetch', observed);
      outcomes.push(observed);
    }
    assert.deepEqual(outcomes, Array(3).fill('failed invalid_image: init_image: could not fetch'));
  });

  it('refuses a training dataset URL on loopback with a 400 naming dataset', async () => {
    for (const dataset of [`https://127.0.0.1:${pngPort}/d.zip`, 'https://2130706433/d.zip', 'https://[::1]/d.zip']) {
      const response = await fixture.api.request<FieldError>('POST', '/v1/trainings', { base_model: 'demo-trainable', dataset, trigger_word: 'zxq' });
      table.record(`POST /v1/trainings dataset=${dataset}`, '400 dataset', `${response.status} ${fieldOf(response.body)}`);
      assert.equal(response.status, 400);
      assert.equal(fieldOf(response.body), 'dataset');
    }
  });

  it('answers a model import from an unreachable or failing source the same way (no port-state oracle)', async () => {
    const messages: string[] = [];
    for (const port of [errorPort, closedPort]) {
      const response = await fixture.api.request<FieldError & { error: { message: string } }>('POST', '/v1/models', { kind: 'lora', name: `probe-${port}`, source: `https://127.0.0.1:${port}/x.safetensors` });
      table.record(`POST /v1/models source=https://127.0.0.1:${port === errorPort ? '<open>' : '<closed>'}`, '400 source: could not fetch', `${response.status} ${response.body.error.message}`);
      assert.equal(response.status, 400);
      messages.push(response.body.error.message);
    }
    assert.deepEqual(messages, ['source: could not fetch', 'source: could not fetch']);
    const literal = await fixture.api.request<FieldError>('POST', '/v1/models', { kind: 'lora', name: 'probe-literal', source: `https://2130706433:${pngPort}/x.safetensors` });
    table.record('POST /v1/models source=https://2130706433:<port>', '400 source', `${literal.status} ${fieldOf(literal.body)}`);
    assert.equal(literal.status, 400);
    assert.equal(fieldOf(literal.body), 'source');
  });

  it('refuses a webhook on an allowlisted host but another port', async () => {
    const receiverHost = new URL(fixture.receiver.url).host;
    const url = `http://127.0.0.1:${pngPort}/hooks`;
    assert.notEqual(new URL(url).host, receiverHost);
    const response = await submit({ webhook: { url } });
    table.record('POST /v1/generations webhook on 127.0.0.1, not the allowlisted port', '400 webhook.url', `${response.status} ${fieldOf(response.body)}`);
    assert.equal(response.status, 400);
    assert.equal(fieldOf(response.body), 'webhook.url');
  });

  it('refuses at submission an inline image the worker would refuse (MAX_PIXELS), naming the full field path', async () => {
    const huge = pngDeclaring(8192, 8192).toString('base64');
    const single = await submit({ init_image: huge });
    table.record('POST /v1/generations init_image 8192×8192', '400 init_image', `${single.status} ${fieldOf(single.body)}`);
    assert.equal(single.status, 400);
    assert.equal(fieldOf(single.body), 'init_image');

    const batch = await fixture.api.request<FieldError>('POST', '/v1/batches', { requests: [TINY, { ...TINY, init_image: png.toString('base64'), mask_image: huge }] });
    table.record('POST /v1/batches requests.1.mask_image 8192×8192', '400 requests.1.mask_image', `${batch.status} ${fieldOf(batch.body)}`);
    assert.equal(batch.status, 400);
    assert.equal(fieldOf(batch.body), 'requests.1.mask_image');

    const a1111 = await fixture.api.request<A1111Error>('POST', '/sdapi/v1/img2img', { prompt: 'x', steps: 3, width: 64, height: 64, init_images: [huge] });
    table.record('POST /sdapi/v1/img2img init_images=[8192×8192]', '400 init_images.0', `${a1111.status} ${a1111.body.errors?.[0]?.field}`);
    assert.equal(a1111.status, 400);
    assert.equal(a1111.body.errors[0].field, 'init_images.0');
  });
});
