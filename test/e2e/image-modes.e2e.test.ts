import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { GenerationView } from '@atelier/contracts';
import { encodePng } from '@atelier/diffusion';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng, pixel } from '../support/png.js';

/** A 64×64 picture built from flat 8×8 blocks (which the demo VAE reproduces): orange with a navy square. */
function blockImage(): Buffer {
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inSquare = x >= 16 && x < 48 && y >= 16 && y < 48;
      rgb.set(inSquare ? [0, 0, 128] : [255, 128, 0], (y * 64 + x) * 3);
    }
  }
  return encodePng(rgb, 64, 64);
}

async function fetchOutput(output: GenerationView['outputs'][number]): Promise<Buffer> {
  const response = await fetch(output.url as string);
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

describe('image modes through the farm: img2img, outpainting, output formats', () => {
  let fixture: FarmFixture;
  let imageServer: Server;
  let imageUrl: string;
  const source = blockImage();

  before(async () => {
    imageServer = createServer((request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(request.url?.includes('junk') ? Buffer.from('not an image at all') : source));
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/in.png`;
    // Loopback is off limits to image URLs unless the operator allowlists it (host AND port).
    fixture = await startFarmFixture({ OUTBOUND_ALLOWED_HOSTS: new URL(imageUrl).host });
  });
  after(async () => {
    imageServer?.close();
    await fixture?.stop();
  });

  const run = async (body: Record<string, unknown>): Promise<GenerationView> => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { model: 'demo-sd15', img_width: 64, img_height: 64, ...body });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done;
  };

  it('img2img with strength 0 returns the input (URL source); strength 1 draws the prompt (base64 source)', async () => {
    const kept = await run({ prompt: 'a red circle on a blue background', init_image: imageUrl, strength: 0, num_inference_steps: 10 });
    const keptPng = decodePng(await fetchOutput(kept.outputs[0]));
    const input = decodePng(source);
    let worst = 0;
    for (let y = 4; y < 60; y++) {
      for (let x = 4; x < 60; x++) {
        // Away from colour edges (the VAE's bilinear upsampling blends the 8-px border bands).
        if ([16, 48].some((edge) => Math.abs(x - edge) < 8 || Math.abs(y - edge) < 8)) continue;
        const a = pixel(keptPng, x, y);
        const b = pixel(input, x, y);
        worst = Math.max(worst, ...a.map((value, channel) => Math.abs(value - b[channel])));
      }
    }
    assert.ok(worst <= 1, `strength 0 should give the input back, worst channel difference ${worst}`);

    const redrawn = await run({
      prompt: 'a red circle on a blue background',
      init_image: `data:image/png;base64,${source.toString('base64')}`,
      strength: 1,
      num_inference_steps: 20,
      scheduler: 'DDIM',
    });
    const [r, g, b] = pixel(decodePng(await fetchOutput(redrawn.outputs[0])), 32, 32);
    assert.ok(r > 230 && g < 25 && b < 25, `the prompt's red circle replaces the navy square, got ${[r, g, b]}`);
    assert.match(decodePng(await fetchOutput(redrawn.outputs[0])).text.parameters, /Denoising strength: 1/);
  });

  it('outpaints: the original stays, the new area is generated from the prompt', async () => {
    const done = await run({
      prompt: 'a white background',
      init_image: source.toString('base64'),
      outpaint: { left: 32, right: 32 },
      strength: 1,
      num_inference_steps: 20,
      scheduler: 'Euler',
    });
    const png = decodePng(await fetchOutput(done.outputs[0]));
    assert.equal(png.width, 128);
    assert.equal(png.height, 64);
    assert.deepEqual(pixel(png, 32 + 32, 32), pixel(decodePng(source), 32, 32), 'original centre unchanged');
    assert.deepEqual(pixel(png, 32 + 4, 4), pixel(decodePng(source), 4, 4), 'original corner unchanged');
    const [r, g, b] = pixel(png, 2, 32);
    assert.ok(r > 230 && g > 230 && b > 230, `new area follows the prompt (white), got ${[r, g, b]}`);
  });

  it('writes JPEG and WebP with the parameters in EXIF', async () => {
    for (const [format, contentType] of [
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ] as const) {
      const done = await run({ prompt: 'a pink square on a black background', output_format: format, output_quality: 85, num_inference_steps: 8 });
      assert.equal(done.outputs[0].content_type, contentType);
      assert.match(done.outputs[0].url as string, new RegExp(`/0\\.${format === 'jpeg' ? 'jpg' : 'webp'}\\?`));
      const bytes = await fetchOutput(done.outputs[0]);
      const meta = await sharp(bytes).metadata();
      assert.equal(meta.format, format);
      assert.ok(meta.exif?.toString('latin1').includes('a pink square on a black background'), 'parameters in EXIF');
    }
  });

  it('refuses unusable images and unavailable LoRA tags up front or with a stable code', async () => {
    const lora = await fixture.api.request<{ error: { details: Array<{ field: string; message: string }> } }>('POST', '/v1/generations', {
      prompt: 'a red circle <lora:pixel-art:0.8>',
    });
    assert.equal(lora.status, 400);
    assert.ok(lora.body.error.details.some((detail) => detail.field === 'prompt' && detail.message.includes('pixel-art')));
    const outpaintAlone = await fixture.api.request('POST', '/v1/generations', { prompt: 'x', outpaint: { left: 64 } });
    assert.equal(outpaintAlone.status, 400);

    const inline = await fixture.api.request<{ error: { details: Array<{ field: string }> } }>('POST', '/v1/generations', {
      prompt: 'x',
      init_image: Buffer.from('not an image at all').toString('base64'),
    });
    assert.equal(inline.status, 400, 'inline images are checked before anything is queued');
    assert.ok(inline.body.error.details.some((detail) => detail.field === 'init_image'));
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { prompt: 'x', init_image: imageUrl.replace('in.png', 'junk.png') });
    assert.equal(submitted.status, 202);
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_image');
    assert.equal(failed.attempts, 1, 'a permanent failure is not retried');
  });
});
