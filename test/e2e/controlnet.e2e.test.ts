import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { sharedFixture } from '@atelier/testing';
import { decodeControlImage, preprocess, PreprocessorModels, type PreprocessorFolders } from '@atelier/preprocessors';
import { writeDepthGraph, writeHedGraph } from '@atelier/preprocessors/testing';
import { chromium } from 'playwright-core';
import { controlNetModelsDir, edgePicture } from '../support/controlnet-models.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng, type DecodedPng } from '../support/png.js';

function maxDifference(a: DecodedPng, b: DecodedPng): number {
  assert.equal(a.rgba.length, b.rgba.length);
  let worst = 0;
  for (let i = 0; i < a.rgba.length; i++) worst = Math.max(worst, Math.abs(a.rgba[i] - b.rgba[i]));
  return worst;
}

/**
 * The canny map the library makes of `picture` (what the farm must store as the control output).
 * Detected at 64 px: at the default 512 the one-pixel edges fall between the samples of
 * controlnet_aux's INTER_LINEAR resize back to 64 (a real photo is larger than the detector size).
 */
async function expectedCanny(picture: Buffer, low: number, high: number): Promise<Uint8Array> {
  const options = { low_threshold: low, high_threshold: high, detect_resolution: 64, width: 64, height: 64 };
  const map = await preprocess('canny', await decodeControlImage(picture), options, new PreprocessorModels({}));
  const rgb = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = map.image.channels === 3 ? map.image.data[i * 3 + c] : map.image.data[i];
  return rgb;
}

function rgbOf(png: DecodedPng): Uint8Array {
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.rgba[i * 4 + c];
  return rgb;
}

interface Refusal {
  error: { code: string; details: Array<{ field: string; message: string }> };
}

describe('ControlNet through the farm: API, worker, control outputs, A1111 (real processes)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  let imageServer: Server;
  let imageUrl: string;
  let preprocessorFolders: PreprocessorFolders;
  const picture = edgePicture();
  const inline = `data:image/png;base64,${picture.toString('base64')}`;
  const base = { model: 'cn-tiny', prompt: 'a tiny test picture', img_width: 64, img_height: 64, num_inference_steps: 6, seed: 11, scheduler: 'Euler' };

  before(async () => {
    modelsDir = await controlNetModelsDir();
    // ONNX preprocessors: small graphs with the real exports' names and shapes (Depth Anything, HED).
    preprocessorFolders = { depth: path.join(modelsDir, 'preprocessors', 'depth'), softedge: path.join(modelsDir, 'preprocessors', 'softedge') };
    await writeDepthGraph(preprocessorFolders.depth as string, { inputName: 'pixel_values', outputName: 'predicted_depth', modelType: 'depth_anything' });
    await writeHedGraph(preprocessorFolders.softedge as string);
    imageServer = createServer((request, response) => response.writeHead(200, { 'content-type': 'image/png' }).end(request.url?.includes('junk') ? Buffer.from('not an image at all') : picture));
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/edges.png`;
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, OUTBOUND_ALLOWED_HOSTS: new URL(imageUrl).host, RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => {
    imageServer?.close();
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  const run = async (body: Record<string, unknown>): Promise<GenerationView> => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...base, ...body });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return done;
  };
  const png = async (output: GenerationView['outputs'][number]): Promise<DecodedPng> => {
    const response = await fetch(output.url as string);
    assert.equal(response.status, 200);
    return decodePng(Buffer.from(await response.arrayBuffer()));
  };

  it('a canny-conditioned generation: the image is steered, the canny map is stored as a control output equal to the library’s', async () => {
    const plain = await run({});
    assert.deepEqual(
      plain.outputs.map((output) => output.kind),
      ['image'],
    );
    const unit = { model: 'canny', image: inline, preprocessor: 'canny', preprocessor_options: { low_threshold: 50, high_threshold: 150, detect_resolution: 64 } };
    const steered = await run({ controlnets: [unit] });
    assert.deepEqual(
      steered.outputs.map((output) => [output.kind, output.controlnet]),
      [
        ['image', undefined],
        ['control', { index: 0, model: 'canny', preprocessor: 'canny' }],
      ],
    );
    assert.deepEqual(steered.parameters.controlnets, [{ ...unit, conditioning_scale: 1, guidance_start: 0, guidance_end: 1 }]);
    assert.equal(steered.parameters.guess_mode, false);
    const image = await png(steered.outputs[0]);
    const difference = maxDifference(image, await png(plain.outputs[0]));
    console.log(`canny ControlNet vs none, same seed: max channel difference ${difference}`);
    assert.ok(difference > 0, 'the ControlNet changes the image');
    assert.match(image.text.parameters, /ControlNet 0: "Module: canny, Model: canny, Weight: 1, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced"/);
    const control = await png(steered.outputs[1]);
    assert.equal(control.width, 64);
    assert.equal(control.height, 64);
    const expected = await expectedCanny(picture, 50, 150);
    assert.deepEqual(rgbOf(control), expected, 'the stored map is the library’s canny map, pixel for pixel');
    const edges = expected.filter((value, index) => index % 3 === 0 && value > 0).length;
    console.log(`canny map: ${edges} non-black pixels of ${64 * 64}`);
    assert.ok(edges > 50 && edges < (64 * 64) / 2, `an edge map, ${edges} edge pixels`);

    const unscaled = await run({ controlnets: [{ ...unit, conditioning_scale: 0 }] });
    const zero = maxDifference(await png(unscaled.outputs[0]), await png(plain.outputs[0]));
    console.log(`conditioning_scale 0 vs no ControlNet: max channel difference ${zero}`);
    assert.ok(zero <= 1, `scale 0 is the plain UNet (the residual UNet shares its weights), got ${zero}`);
  });

  it('a Multi-ControlNet generation (canny from a URL + a map as is, own scale and window, guess mode): two control outputs', async () => {
    const single = await run({ controlnets: [{ model: 'canny', image: imageUrl, preprocessor: 'canny' }] });
    const multi = await run({
      controlnets: [
        { model: 'canny', image: imageUrl, preprocessor: 'canny' },
        { model: 'depth', image: inline, preprocessor: 'none', conditioning_scale: 0.6, guidance_start: 0.1, guidance_end: 0.7 },
      ],
    });
    assert.deepEqual(
      multi.outputs.map((output) => [output.kind, output.controlnet?.index, output.controlnet?.model]),
      [
        ['image', undefined, undefined],
        ['control', 0, 'canny'],
        ['control', 1, 'depth'],
      ],
    );
    const both = maxDifference(await png(multi.outputs[0]), await png(single.outputs[0]));
    console.log(`canny + depth vs canny alone: max channel difference ${both}`);
    assert.ok(both > 0, 'the second net adds its residuals');
    assert.deepEqual(rgbOf(await png(multi.outputs[2])), rgbOf(decodePng(picture)), 'preprocessor none stores the image as given (already 64×64)');
    const guessed = await run({ controlnets: [{ model: 'canny', image: imageUrl, preprocessor: 'canny' }], guess_mode: true });
    assert.ok(maxDifference(await png(guessed.outputs[0]), await png(single.outputs[0])) > 0, 'guess mode changes how the net steers');
  });

  it('runs the ONNX preprocessors from MODELS_DIR/preprocessors (depth, scribble): the stored maps equal the library’s', async () => {
    const done = await run({
      controlnets: [
        { model: 'depth', image: inline, preprocessor: 'depth', preprocessor_options: { detect_resolution: 64 } },
        { model: 'canny', image: imageUrl, preprocessor: 'scribble', preprocessor_options: { detect_resolution: 64 } },
      ],
    });
    assert.deepEqual(done.outputs.map((output) => output.controlnet?.preprocessor), [undefined, 'depth', 'scribble']);
    const models = new PreprocessorModels(preprocessorFolders);
    for (const [index, kind] of [[1, 'depth'], [2, 'scribble']] as const) {
      const map = await preprocess(kind, await decodeControlImage(picture), { detect_resolution: 64, width: 64, height: 64 }, models);
      const rgb = map.image.channels === 3 ? map.image.data : Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => map.image.data[Math.floor(i / 3)]);
      assert.deepEqual(rgbOf(await png(done.outputs[index])), rgb, kind);
    }
  });

  it('img2img and inpainting take ControlNets too', async () => {
    const init = await readFile(sharedFixture('controlnet-tiny-onnx/reference/init_64x64.png'));
    const mask = await readFile(sharedFixture('controlnet-tiny-onnx/reference/mask_64x64.png'));
    const unit = { model: 'canny', image: inline, preprocessor: 'canny' };
    const img2img = await run({ init_image: init.toString('base64'), strength: 0.7, controlnets: [unit] });
    const inpaint = await run({ init_image: init.toString('base64'), mask_image: mask.toString('base64'), strength: 0.9, controlnets: [unit] });
    for (const done of [img2img, inpaint]) assert.deepEqual(done.outputs.map((output) => output.kind), ['image', 'control']);
  });

  it('an A1111 ControlNet request (alwayson_scripts.controlnet.args) equals the native one; its map follows the image', async () => {
    const native = await run({ guidance_scale: 7, controlnets: [{ model: 'canny', image: inline, preprocessor: 'canny', preprocessor_options: { low_threshold: 40, high_threshold: 120, detect_resolution: 64 }, conditioning_scale: 0.8 }] });
    const response = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/txt2img`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        prompt: base.prompt,
        seed: base.seed,
        steps: base.num_inference_steps,
        sampler_name: 'Euler',
        cfg_scale: 7,
        width: 64,
        height: 64,
        override_settings: { sd_model_checkpoint: 'cn-tiny' },
        alwayson_scripts: {
          controlnet: {
            args: [
              { enabled: false, model: 'None' },
              { enabled: true, module: 'canny', model: 'canny [d14c016b]', image: picture.toString('base64'), weight: 0.8, threshold_a: 40, threshold_b: 120, processor_res: 64, control_mode: 'Balanced', resize_mode: 'Just Resize', low_vram: false, pixel_perfect: false },
            ],
          },
        },
      }),
    });
    const body = (await response.json()) as { images: string[]; info: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.images.length, 2, 'the image, then the detected map');
    assert.equal(maxDifference(decodePng(Buffer.from(body.images[0], 'base64')), await png(native.outputs[0])), 0, 'same pixels as the native request');
    assert.deepEqual(rgbOf(decodePng(Buffer.from(body.images[1], 'base64'))), await expectedCanny(picture, 40, 120));
    assert.equal((JSON.parse(body.info) as { all_seeds: number[] }).all_seeds.length, 1, 'info describes the generated image only');

    const sdapi = async (args: unknown[]): Promise<{ status: number; body: { errors: Array<{ field: string; message: string }> } }> => {
      const refused = await fetch(`${fixture.farm.apiUrl}/sdapi/v1/txt2img`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fixture.farm.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x', width: 64, height: 64, override_settings: { sd_model_checkpoint: 'cn-tiny' }, alwayson_scripts: { controlnet: { args } } }),
      });
      return { status: refused.status, body: (await refused.json()) as { errors: Array<{ field: string; message: string }> } };
    };
    const unit = { enabled: true, module: 'canny', model: 'canny', image: picture.toString('base64') };
    const unknownField = await sdapi([unit, { ...unit, effective_region_mask: 'x' }]);
    assert.equal(unknownField.status, 400);
    assert.deepEqual(unknownField.body.errors.map((problem) => problem.field), ['alwayson_scripts.controlnet.args.1.effective_region_mask']);
    const refusedValues = await sdapi([{ ...unit, module: 'lineart_anime', control_mode: 'My prompt is more important' }]);
    assert.deepEqual(refusedValues.body.errors.map((problem) => problem.field).sort(), ['alwayson_scripts.controlnet.args.0.control_mode', 'alwayson_scripts.controlnet.args.0.module']);
    const heavy = await sdapi([{ enabled: false }, { ...unit, weight: 9 }]);
    assert.deepEqual(heavy.body.errors.map((problem) => problem.field), ['alwayson_scripts.controlnet.args.1.weight'], JSON.stringify(heavy.body));
    const missing = await sdapi([{ enabled: false }, { ...unit, model: 'control_v11p_sd15_lineart [43d4be0d]' }]);
    assert.deepEqual(missing.body.errors.map((problem) => problem.field), ['alwayson_scripts.controlnet.args.1.model'], JSON.stringify(missing.body));
    assert.match(missing.body.errors[0].message, /unknown ControlNet "control_v11p_sd15_lineart"/);
  });

  it('the CLI sends --controlnet (a local file, repeated for Multi-ControlNet) and saves the maps beside the image', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'atelier-cn-cli-'));
    try {
      await writeFile(path.join(work, 'edges.png'), picture);
      const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../apps/cli/bin/atelier.js');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [bin, 'generate', base.prompt, '--model', 'cn-tiny', '--width', '64', '--height', '64', '--steps', '4', '--seed', '3', '--out', 'out',
          '--controlnet', 'model=canny,image=edges.png,preprocessor=canny,low=50,high=150,detect=64',
          '--controlnet', `model=depth,image=${imageUrl},scale=0.5,end=0.8`],
        { cwd: work, env: { ...process.env, ATELIER_API_URL: fixture.farm.apiUrl, ATELIER_API_KEY: fixture.farm.apiKey } },
      );
      const files = (await readdir(path.join(work, 'out'))).sort();
      assert.equal(files.length, 3, stdout);
      assert.ok(files.some((file) => /-0\.png$/.test(file)) && files.some((file) => /-control-0\.png$/.test(file)) && files.some((file) => /-control-1\.png$/.test(file)), files.join(' '));
      const canny = decodePng(await readFile(path.join(work, 'out', files.find((file) => file.endsWith('-control-0.png')) as string)));
      assert.deepEqual(rgbOf(canny), await expectedCanny(picture, 50, 150));
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('the console form sends one ControlNet unit (file input) and shows its map beside the image', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${fixture.farm.apiUrl}/`);
      await page.fill('#api-key', fixture.farm.apiKey);
      await page.click('#save-key');
      await page.waitForSelector('#model option[value="cn-tiny"]', { state: 'attached' });
      await page.selectOption('#model', 'cn-tiny');
      await page.fill('#prompt', base.prompt);
      await page.fill('#width', '64');
      await page.fill('#height', '64');
      await page.fill('#steps', '4');
      await page.fill('#controlnet-model', 'canny');
      await page.setInputFiles('#controlnet-image', { name: 'edges.png', mimeType: 'image/png', buffer: picture });
      await page.selectOption('#controlnet-preprocessor', 'canny');
      await page.fill('#controlnet-scale', '0.7');
      await page.click('#submit');
      await page.waitForSelector('#result figcaption:has-text("ControlNet 0: canny (canny map)")', { timeout: 60_000 });
      assert.equal(await page.locator('#result img').count(), 2, 'the image and the map');
      await page.fill('#controlnet-model', '');
      await page.click('#submit');
      await page.waitForSelector('#form-error:has-text("give both a ControlNet name and a control image")');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

  it('announces what it can steer: models with a residual UNet, ControlNets with their base family', async () => {
    const models = await fixture.api.request<{ data: Array<{ id: string; controlnet: boolean; cross_attention_dim: number | null }> }>('GET', '/v1/models');
    const byId = new Map(models.body.data.map((model) => [model.id, model]));
    assert.deepEqual([byId.get('cn-tiny')?.controlnet, byId.get('cn-tiny')?.cross_attention_dim], [true, 32]);
    assert.equal(byId.get('demo-sd15')?.controlnet, false);
    // One announcement: the registry's onnx_models (MODELS_DIR folders count as public models).
    const workers = await fixture.api.request<{ data: Array<Record<string, unknown> & { onnx_models: Array<{ kind: string }> }> }>('GET', '/v1/workers');
    assert.ok(!('controlnets' in workers.body.data[0]), 'no separate ControlNet announcement');
    assert.deepEqual(workers.body.data[0].onnx_models.filter((model) => model.kind === 'controlnet' || model.kind === 'preprocessor'), [
      { kind: 'controlnet', name: 'canny', base_family: 'sd1', cross_attention_dim: 32 },
      { kind: 'controlnet', name: 'canny-xl', base_family: 'sdxl', cross_attention_dim: 64 },
      { kind: 'controlnet', name: 'depth', base_family: 'sd1', cross_attention_dim: 32 },
      { kind: 'preprocessor', name: 'depth', preprocessor: 'depth' },
      { kind: 'preprocessor', name: 'softedge', preprocessor: 'softedge' },
    ]);
  });

  it('documents the fields in the OpenAPI document (native controlnets, A1111 alwayson_scripts)', async () => {
    type Schema = { properties?: Record<string, Schema>; items?: Schema; enum?: string[] };
    const openapi = (await (await fetch(`${fixture.farm.apiUrl}/docs/openapi.json`)).json()) as { components: { schemas: Record<string, Schema> } };
    const unit = openapi.components.schemas.GenerationRequest.properties?.controlnets?.items;
    assert.deepEqual(Object.keys(unit?.properties ?? {}).sort(), ['conditioning_scale', 'guidance_end', 'guidance_start', 'image', 'model', 'preprocessor', 'preprocessor_options']);
    assert.deepEqual(unit?.properties?.preprocessor.enum, ['none', 'canny', 'depth', 'openpose', 'scribble', 'softedge']);
    assert.ok(openapi.components.schemas.GenerationRequest.properties?.guess_mode);
    const a1111Unit = openapi.components.schemas.A1111Txt2ImgRequest.properties?.alwayson_scripts?.properties?.controlnet?.properties?.args?.items;
    assert.ok(a1111Unit?.properties?.module && a1111Unit.properties.threshold_a && a1111Unit.properties.control_mode, JSON.stringify(a1111Unit));
  });

  it('refuses a wrong-family ControlNet, a missing one, a bad control image and a pipeline without a residual UNet; an unreadable URL image fails the job', async () => {
    const submit = (body: Record<string, unknown>) => fixture.api.request<Refusal>('POST', '/v1/generations', { ...base, ...body });
    const fields = (refusal: { body: Refusal }) => refusal.body.error.details.map((detail) => detail.field);
    const wrongFamily = await submit({ controlnets: [{ model: 'canny', image: inline }, { model: 'canny-xl', image: inline }] });
    assert.equal(wrongFamily.status, 400);
    assert.deepEqual(fields(wrongFamily), ['controlnets.1.model']);
    assert.match(wrongFamily.body.error.details[0].message, /canny-xl" is for SDXL; model cn-tiny is sd1/);
    const missing = await submit({ controlnets: [{ model: 'no-such-net', image: inline }] });
    assert.equal(missing.status, 400);
    assert.deepEqual(fields(missing), ['controlnets.0.model']);
    const badImage = await submit({ controlnets: [{ model: 'canny', image: Buffer.from('not an image at all').toString('base64') }] });
    assert.equal(badImage.status, 400);
    assert.deepEqual(fields(badImage), ['controlnets.0.image']);
    const plainPipeline = await submit({ model: 'demo-sd15', controlnets: [{ model: 'canny', image: inline }] });
    assert.equal(plainPipeline.status, 400);
    // The demo model also reads wider text features than the tiny net: both problems are named.
    assert.deepEqual(fields(plainPipeline), ['controlnets', 'controlnets.0.model']);
    assert.match(plainPipeline.body.error.details[0].message, /no residual-accepting UNet/);
    const noPoseModel = await submit({ controlnets: [{ model: 'canny', image: inline, preprocessor: 'openpose' }] });
    assert.deepEqual(fields(noPoseModel), ['controlnets.0.preprocessor']);
    assert.match(noPoseModel.body.error.details[0].message, /needs its ONNX model \(a preprocessor named openpose: registry or MODELS_DIR\/preprocessors\/openpose\/\)/);

    const junk = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...base, controlnets: [{ model: 'canny', image: imageUrl.replace('edges', 'junk'), preprocessor: 'canny' }] });
    assert.equal(junk.status, 202);
    const failed = await fixture.api.waitFor<GenerationView>(`/v1/generations/${junk.body.id}`);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'invalid_image');
    assert.match(failed.error?.message ?? '', /^controlnets\.0\.image: /);
  });
});
