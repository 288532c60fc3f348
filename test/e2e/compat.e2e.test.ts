import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { ImageGenerateParams } from 'openai/resources/images';
import type { GenerationView } from '@atelier/contracts';
import { encodePng } from '@atelier/diffusion';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng, pixel, type DecodedPng } from '../support/png.js';

const PROMPT = 'a red circle on a blue background';
/** The OpenAI SDK types `size` as OpenAI's own sizes; Atelier takes any multiple of 8. */
const SIZE_64 = '64x64' as string as ImageGenerateParams['size'];

interface A1111Result {
  readonly images: string[];
  readonly parameters: Record<string, unknown>;
  readonly info: string;
}
interface A1111Error {
  readonly error: string;
  readonly detail: string;
  readonly errors: Array<{ field: string; message: string }>;
}

/** A 64×64 picture of flat 8×8 blocks (which the demo VAE reproduces): orange with a navy square. */
function blockImage(): Buffer {
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) rgb.set(x >= 16 && x < 48 && y >= 16 && y < 48 ? [0, 0, 128] : [255, 128, 0], (y * 64 + x) * 3);
  }
  return encodePng(rgb, 64, 64);
}

function assertRedCentre(png: DecodedPng): void {
  const [r, g, b] = pixel(png, png.width / 2, png.height / 2);
  assert.ok(r > 230 && g < 25 && b < 25, `centre should be red, got ${[r, g, b]}`);
}

describe('compatibility APIs: OpenAI Images and AUTOMATIC1111 (real farm)', () => {
  let fixture: FarmFixture;
  let openai: OpenAI;

  const sdapi = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: T }> => {
    const response = await fetch(`${fixture.farm.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  };

  before(async () => {
    // MAX_STEPS lets one job run for seconds (the demo model takes ~20 ms a step at 2048×2048); it is canceled when done with.
    fixture = await startFarmFixture({ RATE_LIMIT_PER_MINUTE: '1000', MAX_STEPS: '500' });
    openai = new OpenAI({ apiKey: fixture.farm.apiKey, baseURL: `${fixture.farm.apiUrl}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('OpenAI SDK: b64_json gives n PNGs of the requested size drawing the prompt', async () => {
    const result = await openai.images.generate({ model: 'demo-sd15', prompt: PROMPT, n: 2, size: SIZE_64, response_format: 'b64_json' });
    assert.ok(result.created > 0);
    assert.equal(result.data?.length, 2);
    for (const image of result.data ?? []) {
      assert.equal(image.url, undefined);
      const png = decodePng(Buffer.from(image.b64_json ?? '', 'base64'));
      assert.equal(png.width, 64);
      assert.equal(png.height, 64);
      assertRedCentre(png);
    }
  });

  it('OpenAI SDK: url gives fetchable URLs; dall-e-3 maps to the default model', async () => {
    const result = await openai.images.generate({ model: 'dall-e-3', prompt: PROMPT, size: SIZE_64, response_format: 'url', quality: 'standard', style: 'natural', user: 'someone' });
    assert.equal(result.data?.length, 1);
    const url = result.data?.[0].url;
    assert.ok(url?.startsWith('http'), String(url));
    const fetched = await fetch(url as string);
    assert.equal(fetched.status, 200);
    const png = decodePng(Buffer.from(await fetched.arrayBuffer()));
    assert.equal(png.width, 64);
    assertRedCentre(png);
    assert.match(png.text.parameters, /Model: demo-sd15/);
  });

  it('OpenAI SDK: an invalid size, an unknown parameter and a bad key raise the SDK error types', async () => {
    await assert.rejects(
      openai.images.generate({ model: 'demo-sd15', prompt: PROMPT, size: '100x100' as string as ImageGenerateParams['size'] }),
      (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError, String(error));
        assert.equal(error.status, 400);
        assert.equal(error.param, 'size');
        assert.equal(error.type, 'invalid_request_error');
        assert.match(error.message, /multiples of 8/);
        return true;
      },
    );
    const raw = await fetch(`${fixture.farm.apiUrl}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: PROMPT, size: '64x64', mystery: 1 }),
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(((await raw.json()) as { error: unknown }).error, { message: 'mystery: is not a supported field', type: 'invalid_request_error', param: 'mystery', code: 'unknown_parameter' });
    const stranger = new OpenAI({ apiKey: 'atl_000000000000_notarealkeynotarealkey', baseURL: `${fixture.farm.apiUrl}/v1`, maxRetries: 0 });
    await assert.rejects(stranger.images.generate({ prompt: PROMPT, size: SIZE_64 }), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401);
  });

  it('A1111 txt2img: DPM++ 2M Karras, batch_size 2 and a seed give 2 images with seeds [seed, seed+1] in info', async () => {
    const seed = 424242;
    const response = await sdapi<A1111Result>('POST', '/sdapi/v1/txt2img', {
      prompt: PROMPT,
      negative_prompt: '',
      sampler_name: 'DPM++ 2M Karras',
      scheduler: 'Automatic',
      steps: 12,
      cfg_scale: 7,
      seed,
      width: 64,
      height: 64,
      batch_size: 2,
      n_iter: 1,
      enable_hr: false,
      restore_faces: false,
      do_not_save_samples: true,
      hr_upscaler: 'Latent',
      override_settings: { sd_model_checkpoint: 'demo-sd15' },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.images.length, 2);
    for (const image of response.body.images) {
      const png = decodePng(Buffer.from(image, 'base64'));
      assert.equal(png.width, 64);
      assertRedCentre(png);
    }
    const info = JSON.parse(response.body.info) as { seed: number; all_seeds: number[]; infotexts: string[]; sd_model_name: string; sampler_name: string };
    assert.equal(info.seed, seed);
    assert.deepEqual(info.all_seeds, [seed, seed + 1]);
    assert.equal(info.sd_model_name, 'demo-sd15');
    assert.equal(info.infotexts.length, 2);
    assert.match(info.infotexts[1], new RegExp(`Seed: ${seed + 1}`));
    assert.match(info.sampler_name, /DPM\+\+ 2M/);
    // The full A1111 name, so re-running from the infotext gives the same (Karras) schedule.
    for (const infotext of info.infotexts) assert.match(infotext, /, Sampler: DPM\+\+ 2M Karras, /);
    assert.equal(response.body.parameters.prompt, PROMPT);
    assert.equal(response.body.parameters.steps, 12);
  });

  it('A1111 img2img: denoising_strength 0 returns the init image', async () => {
    const source = blockImage();
    const response = await sdapi<A1111Result>('POST', '/sdapi/v1/img2img', {
      prompt: PROMPT,
      init_images: [source.toString('base64')],
      denoising_strength: 0,
      steps: 10,
      width: 64,
      height: 64,
      resize_mode: 0,
      inpainting_fill: 0,
      inpaint_full_res: true,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.images.length, 1);
    assert.equal(response.body.parameters.init_images, null, 'source images are not echoed unless include_init_images');
    const out = decodePng(Buffer.from(response.body.images[0], 'base64'));
    const input = decodePng(source);
    let worst = 0;
    for (let y = 4; y < 60; y++) {
      for (let x = 4; x < 60; x++) {
        // Away from colour edges (the VAE's bilinear upsampling blends the 8-px border bands).
        if ([16, 48].some((edge) => Math.abs(x - edge) < 8 || Math.abs(y - edge) < 8)) continue;
        const a = pixel(out, x, y);
        const b = pixel(input, x, y);
        worst = Math.max(worst, ...a.map((value, channel) => Math.abs(value - b[channel])));
      }
    }
    assert.ok(worst <= 1, `denoising_strength 0 should give the input back, worst channel difference ${worst}`);
  });

  it('A1111 sd-models, samplers, schedulers and options have A1111 shapes', async () => {
    const models = await sdapi<Array<Record<string, unknown>>>('GET', '/sdapi/v1/sd-models');
    assert.equal(models.status, 200);
    const demo = models.body.find((model) => model.model_name === 'demo-sd15');
    assert.deepEqual(demo, { title: 'demo-sd15', model_name: 'demo-sd15', hash: null, sha256: null, filename: 'demo-sd15', config: null });

    const samplers = await sdapi<Array<{ name: string; aliases: string[]; options: Record<string, string> }>>('GET', '/sdapi/v1/samplers');
    assert.equal(samplers.status, 200);
    const dpm = samplers.body.find((sampler) => sampler.name === 'DPM++ 2M');
    assert.ok(dpm?.aliases.includes('DPM++ 2M Karras'), JSON.stringify(dpm));
    assert.ok(samplers.body.some((sampler) => sampler.name === 'Euler a'));
    for (const sampler of samplers.body) assert.equal(typeof sampler.options, 'object');

    const schedules = await sdapi<Array<{ name: string; label: string }>>('GET', '/sdapi/v1/schedulers');
    assert.deepEqual(
      schedules.body.map((schedule) => schedule.label),
      ['Automatic', 'Karras'],
    );
    const options = await sdapi<{ sd_model_checkpoint: string }>('GET', '/sdapi/v1/options');
    assert.equal(options.body.sd_model_checkpoint, 'demo-sd15');
  });

  it('A1111 progress follows the caller’s running job; a short Prefer: wait gives 504 with the job id', async () => {
    const slow = { model: 'demo-sd15', prompt: 'a yellow triangle', img_width: 2048, img_height: 2048, num_inference_steps: 500, scheduler: 'DDIM' };
    const running = await fixture.api.request<GenerationView>('POST', '/v1/generations', slow);
    assert.equal(running.status, 202);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`, (body) => body.status === 'running' && body.progress.step >= 1);

    const progress = await sdapi<{ progress: number; eta_relative: number; state: Record<string, unknown>; current_image: null }>('GET', '/sdapi/v1/progress?skip_current_image=true');
    assert.equal(progress.status, 200);
    assert.ok(progress.body.progress > 0 && progress.body.progress <= 1, String(progress.body.progress));
    assert.equal(typeof progress.body.eta_relative, 'number');
    assert.equal(progress.body.current_image, null);
    assert.equal(progress.body.state.job, running.body.id);
    assert.equal(progress.body.state.sampling_steps, 500);
    assert.ok(Number(progress.body.state.sampling_step) >= 1);
    assert.ok(Number(progress.body.state.job_count) >= 1);

    const started = Date.now();
    const waited = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, steps: 2, width: 64, height: 64 }, { prefer: 'wait=1' });
    assert.equal(waited.status, 504, JSON.stringify(waited.body));
    assert.ok(Date.now() - started < 20_000);
    assert.equal(waited.body.error, 'generation_timeout');
    const queuedId = /gen_[0-9a-f]+/.exec(waited.body.detail)?.[0];
    assert.ok(queuedId, waited.body.detail);
    assert.equal((await fixture.api.request('GET', `/v1/generations/${queuedId}`)).status, 200, 'the job keeps existing and can be polled');

    for (const id of [queuedId, running.body.id]) await fixture.api.request('POST', `/v1/generations/${id}/cancel`);
    await fixture.api.waitFor<GenerationView>(`/v1/generations/${running.body.id}`);
  });

  it('A1111 refuses image-changing and unknown fields with a 400 naming them', async () => {
    const refused = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, tiling: true, s_churn: 0.5, width: 64, height: 64 });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'validation_failed');
    assert.deepEqual(
      refused.body.errors.map((problem) => problem.field).sort(),
      ['s_churn', 'tiling'],
    );
    assert.match(refused.body.detail, /tiling: tiling \(seamless textures\)/);
    // restore_faces works when the farm has face models (test/e2e/chained-steps); this farm has none.
    const noFaces = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, restore_faces: true, width: 64, height: 64 });
    assert.equal(noFaces.status, 400);
    assert.deepEqual(noFaces.body.errors.map((problem) => problem.field), ['restore_faces', 'restore_faces']);

    const unknown = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, sampler_name: 'Euler', cfg_rescale: 0.7 });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors, [{ field: 'cfg_rescale', message: 'is not a supported field' }]);

    const badSampler = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, sampler_name: 'DPM adaptive', width: 64, height: 64 });
    assert.equal(badSampler.status, 400);
    assert.equal(badSampler.body.errors[0].field, 'sampler_name');

    const badSize = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, width: 100, height: 64 });
    assert.equal(badSize.status, 400);
    assert.equal(badSize.body.errors[0].field, 'width');

    const badModel = await sdapi<A1111Error>('POST', '/sdapi/v1/txt2img', { prompt: PROMPT, override_settings: { sd_model_checkpoint: 'sdxl.safetensors [abcdef]' } });
    assert.equal(badModel.status, 400);
    assert.equal(badModel.body.errors[0].field, 'override_settings.sd_model_checkpoint');

    const twoImages = await sdapi<A1111Error>('POST', '/sdapi/v1/img2img', { prompt: PROMPT, init_images: ['aGVsbG8=', 'aGVsbG8='] });
    assert.equal(twoImages.status, 400);
    assert.equal(twoImages.body.errors[0].field, 'init_images');
  });

  it('A1111 routes need a key: 401 without one; Bearer and basic auth (key as password) work', async () => {
    const anonymous = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/sd-models`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal(((await anonymous.json()) as A1111Error).error, 'unauthorized');
    const anonymousTxt2img = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/txt2img`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: PROMPT }) });
    assert.equal(anonymousTxt2img.status, 401);
    const wrong = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/progress`, { headers: { authorization: `Basic ${Buffer.from('user:wrong').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const basic = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/sd-models`, { headers: { authorization: `Basic ${Buffer.from(`atelier:${fixture.farm.apiKey}`).toString('base64')}` } });
    assert.equal(basic.status, 200);
  });
});
