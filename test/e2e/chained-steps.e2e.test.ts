import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { FaceDetector, FaceRestorer, FFHQ_TEMPLATE_512, restoreFaces } from '@atelier/face-restoration';
import { writeRestorerGraph, writeScrfdGraph, type ScrfdEntry } from '@atelier/face-restoration/testing';
import { segment, SegmentationModels } from '@atelier/segmentation';
import { writeOfficialDecoderGraph, writeSamEncoderGraph } from '@atelier/segmentation/testing';
import { upscale, UpscalerModel, type PixelImage } from '@atelier/upscaling';
import sharp from 'sharp';
import { shuffleGain, writeUpscalerGraph } from '@atelier/upscaling/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

/** A stride-32 SCRFD anchor reporting one face: the FFHQ template shifted by (100, 60) in the detector's 640² frame. */
function faceEntry(): ScrfdEntry {
  const [column, row] = [10, 10];
  return {
    stride: 32,
    index: 2 * (row * 20 + column),
    score: 0.9,
    box: [4, 4, 4, 4],
    landmarks: FFHQ_TEMPLATE_512.flatMap((p) => [(p.x + 100 - column * 32) / 32, (p.y + 60 - row * 32) / 32]),
  };
}

function rgb(png: ReturnType<typeof decodePng>): PixelImage {
  const data = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = png.rgba[i * 4 + c];
  return { width: png.width, height: png.height, channels: 3, data };
}

interface Refusal {
  error: { code: string; details?: Array<{ field: string; message: string }> };
}

describe('steps chained on a generation: upscale, face restoration, hires fix, mask from clicks (real processes)', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  const files = { upscaler: '', detector: '', restorer: '' };
  const base = { model: 'demo-sd15', prompt: 'a portrait', img_width: 64, img_height: 64, num_inference_steps: 4, seed: 5 };

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'chained-steps-'));
    // Small graphs written by our code, in the layouts MODELS_DIR/<kind>s/<name>/model.onnx.
    files.upscaler = await writeUpscalerGraph(path.join(modelsDir, 'upscalers', 'shuffle-x2', 'model.onnx'), { scale: 2 });
    // Dynamic shapes: the scale comes from config.json, as for a real dynamic export.
    await writeFile(path.join(modelsDir, 'upscalers', 'shuffle-x2', 'config.json'), JSON.stringify({ scale: 2 }));
    files.detector = await writeScrfdGraph(path.join(modelsDir, 'face_detectors', 'scrfd', 'model.onnx'), [faceEntry()]);
    files.restorer = await writeRestorerGraph(path.join(modelsDir, 'face_restorers', 'invert', 'model.onnx'), { kind: 'codeformer', transform: 'invert' });
    await writeSamEncoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'encoder.onnx'), { inputName: 'x' });
    await writeOfficialDecoderGraph(path.join(modelsDir, 'segmenters', 'sam', 'decoder.onnx'));
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir, RATE_LIMIT_PER_MINUTE: '1000', MAX_UPSCALE_PIXELS: String(1024 * 1024) });
    // The worker announces its ONNX models with its first heartbeat.
    await waitUntil(
      async () => {
        const classes = await fixture.api.request<{ data: Array<{ onnx_models: Array<{ kind: string; name: string }> }> }>('GET', '/v1/workers/classes');
        return classes.status === 200 && classes.body.data.some((entry) => entry.onnx_models.some((model) => model.name === 'shuffle-x2'));
      },
      30_000,
      'the worker to announce its upscaler',
    );
  });
  after(async () => {
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
  const image = async (output: GenerationView['outputs'][number]): Promise<PixelImage> => {
    const response = await fetch(output.url as string);
    assert.equal(response.status, 200);
    return rgb(decodePng(Buffer.from(await response.arrayBuffer())));
  };

  it('upscale: base and upscaled images kept and labelled; the upscaled one is the pixel-shuffle of the base, exactly', async () => {
    const done = await run({ samples: 2, upscale: { model: 'shuffle-x2' } });
    assert.deepEqual(
      done.outputs.map((output) => [output.kind, output.width, output.height, output.source_index]),
      [
        ['image', 64, 64, undefined],
        ['image', 64, 64, undefined],
        ['upscaled', 128, 128, 0],
        ['upscaled', 128, 128, 1],
      ],
    );
    assert.deepEqual(done.parameters.upscale, { model: 'shuffle-x2' });
    // Progress counts one unit per image and chained step after the denoising steps.
    const plain = await run({ samples: 2 });
    assert.deepEqual(done.progress, { step: plain.progress.total + 2, total: plain.progress.total + 2 });
    for (const sample of [0, 1]) {
      const baseImage = await image(done.outputs[sample]);
      const upscaled = await image(done.outputs[2 + sample]);
      let worst = 0;
      for (let y = 0; y < 128; y++) {
        for (let x = 0; x < 128; x++) {
          for (let c = 0; c < 3; c++) {
            const expected = Math.round(baseImage.data[((y >> 1) * 64 + (x >> 1)) * 3 + c] * shuffleGain(y % 2, x % 2, 2));
            worst = Math.max(worst, Math.abs(upscaled.data[(y * 128 + x) * 3 + c] - expected));
          }
        }
      }
      // The graph works on [0,1] floats: one 8-bit step of rounding at most.
      assert.ok(worst <= 1, `max difference ${worst}`);
    }
  });

  it('upscale with another scale: the model output resized to base × scale', async () => {
    const done = await run({ upscale: { model: 'shuffle-x2', scale: 3 } });
    assert.deepEqual(
      done.outputs.map((output) => [output.kind, output.width, output.height]),
      [
        ['image', 64, 64],
        ['upscaled', 192, 192],
      ],
    );
  });

  it('face_restore then upscale (A1111 order): equal to the libraries run on the stored base image', async () => {
    const restoredOnly = await run({ face_restore: { model: 'invert', detector: 'scrfd', fidelity: 0.3 } });
    assert.deepEqual(restoredOnly.outputs.map((output) => [output.kind, output.source_index]), [['image', undefined], ['restored', 0]]);
    assert.deepEqual(restoredOnly.parameters.face_restore, { model: 'invert', detector: 'scrfd', fidelity: 0.3, visibility: 1 });
    const both = await run({ face_restore: {}, upscale: { model: 'shuffle-x2' } });
    assert.deepEqual(both.parameters.face_restore, { model: 'invert', detector: 'scrfd', fidelity: 0.5, visibility: 1 });
    assert.deepEqual(both.outputs.map((output) => [output.kind, output.width]), [['image', 64], ['upscaled', 128]]);

    const detector = await FaceDetector.open(files.detector);
    const restorer = await FaceRestorer.open(files.restorer);
    const upscaler = await UpscalerModel.open(files.upscaler);
    try {
      const restoredBase = await image(restoredOnly.outputs[0]);
      const expectedRestored = await restoreFaces(restoredBase, { detector, restorer }, { fidelity: 0.3 });
      assert.equal(expectedRestored.faces.length, 1);
      const restored = await image(restoredOnly.outputs[1]);
      assert.deepEqual(restored.data, expectedRestored.image.data);
      assert.notDeepEqual(restored.data, restoredBase.data);

      const bothBase = await image(both.outputs[0]);
      const expectedBoth = await upscale((await restoreFaces(bothBase, { detector, restorer }, { fidelity: 0.5 })).image, upscaler);
      assert.deepEqual((await image(both.outputs[1])).data, expectedBoth.data);
    } finally {
      await Promise.all([detector.release(), restorer.release(), upscaler.release()]);
    }
  });

  it('hires fix (latent): twice the size, the same picture for the same seed, another for another seed; A1111 enable_hr gives the same pixels', async () => {
    const hires = { scale: 2, upscaler: 'latent', strength: 0.6 };
    const body = { scheduler: 'Euler', guidance_scale: 7, hires };
    const [a, b, other] = [await run(body), await run(body), await run({ ...body, seed: 6 })];
    assert.deepEqual(a.outputs.map((output) => [output.kind, output.width, output.height]), [['image', 128, 128]]);
    assert.deepEqual(a.parameters.hires, { width: 128, height: 128, upscaler: 'latent', strength: 0.6, steps: 4 });
    const [first, second, third] = [await image(a.outputs[0]), await image(b.outputs[0]), await image(other.outputs[0])];
    assert.deepEqual(first.data, second.data);
    assert.notDeepEqual(first.data, third.data);
    // Progress ran over both passes: 4 steps, then ⌊4 · 0.6⌋ = 2.
    assert.equal(a.progress.total, (await run({ scheduler: 'Euler', guidance_scale: 7 })).progress.total + 2);

    const a1111 = await fixture.api.request<{ images: string[]; info: string }>('POST', '/sdapi/v1/txt2img', {
      prompt: base.prompt, width: 64, height: 64, steps: 4, cfg_scale: 7, seed: 5, sampler_name: 'Euler', override_settings: { sd_model_checkpoint: 'demo-sd15' },
      enable_hr: true, hr_scale: 2, hr_upscaler: 'Latent', denoising_strength: 0.6,
    });
    assert.equal(a1111.status, 200, JSON.stringify(a1111.body));
    assert.equal(a1111.body.images.length, 1);
    assert.deepEqual(rgb(decodePng(Buffer.from(a1111.body.images[0], 'base64'))).data, first.data);
  });

  it('hires fix through an upscaler model and latent-nearest: the larger size, each its own picture', async () => {
    const viaModel = await run({ hires: { upscaler: 'shuffle-x2', strength: 0.5 } });
    const nearest = await run({ hires: { upscaler: 'latent-nearest', strength: 0.5, width: 96 } });
    assert.deepEqual(viaModel.outputs.map((output) => [output.width, output.height]), [[128, 128]]);
    assert.deepEqual(nearest.outputs.map((output) => [output.width, output.height]), [[96, 96]]);
    assert.notDeepEqual((await image(viaModel.outputs[0])).data.subarray(0, 96 * 3), (await image(nearest.outputs[0])).data.subarray(0, 96 * 3));
  });

  it('A1111 restore_faces: true maps onto face_restore with the first face models; the response image is the restored one', async () => {
    const native = await run({ scheduler: 'Euler', guidance_scale: 7, face_restore: {} });
    const a1111 = await fixture.api.request<{ images: string[]; info: string }>('POST', '/sdapi/v1/txt2img', {
      prompt: base.prompt, width: 64, height: 64, steps: 4, cfg_scale: 7, seed: 5, sampler_name: 'Euler', override_settings: { sd_model_checkpoint: 'demo-sd15' }, restore_faces: true,
    });
    assert.equal(a1111.status, 200, JSON.stringify(a1111.body));
    assert.equal(a1111.body.images.length, 1);
    assert.deepEqual(rgb(decodePng(Buffer.from(a1111.body.images[0], 'base64'))).data, (await image(native.outputs[1])).data);
    const info = JSON.parse(a1111.body.info) as { restore_faces: boolean; face_restoration_model: string };
    assert.deepEqual([info.restore_faces, info.face_restoration_model], [true, 'invert']);
  });

  it('mask_prompt: one click makes the SAM mask (stored as a mask output), the generation inpaints it and keeps every other pixel', async () => {
    const pixels = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < 64 * 64; i++) pixels.set([(i * 7) & 255, (i >> 6) * 4, 200 - ((i & 63) * 3)], i * 3);
    const initPng = await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    const click = { x: 30, y: 34, label: 'positive' };
    const done = await run({ init_image: `data:image/png;base64,${initPng.toString('base64')}`, strength: 1, mask_prompt: { points: [click] } });
    assert.deepEqual(done.outputs.map((output) => [output.kind, output.width, output.height]), [['image', 64, 64], ['mask', 64, 64]]);
    assert.deepEqual(done.parameters.mask_prompt, { points: [click], boxes: [], model: 'sam' });

    const models = await SegmentationModels.fromFolder('sam', path.join(modelsDir, 'segmenters', 'sam'));
    const expected = (await segment(initPng, { points: [click] }, models)).masks[0];
    const maskResponse = await fetch(done.outputs[1].url as string);
    const mask = decodePng(Buffer.from(await maskResponse.arrayBuffer()));
    const stored = Uint8Array.from({ length: 64 * 64 }, (_, i) => mask.rgba[i * 4]);
    assert.deepEqual(stored, expected.data);
    // The decoder graph's best one-click candidate is a disc of radius 120 in SAM's 1024 frame: 7.5 px here.
    const selected = stored.reduce((sum, value) => sum + (value === 255 ? 1 : 0), 0);
    assert.ok(selected > 150 && selected < 200, `disc area ${selected}`);
    assert.equal(stored[34 * 64 + 30], 255);
    assert.equal(stored[0], 0);

    const generated = await image(done.outputs[0]);
    let kept = 0;
    let changed = 0;
    for (let i = 0; i < 64 * 64; i++) {
      const same = [0, 1, 2].every((c) => generated.data[i * 3 + c] === pixels[i * 3 + c]);
      if (stored[i] === 0) {
        assert.ok(same, `pixel ${i} outside the mask changed`);
        kept++;
      } else if (!same) changed++;
    }
    assert.equal(kept, 64 * 64 - selected);
    assert.ok(changed > 0, 'the masked area was repainted');
  });

  it('refusals name the field: an unknown upscaler, scale 100, a size past MAX_UPSCALE_PIXELS, an unknown face model', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ upscale: { model: 'nope' } }, 'upscale.model'],
      [{ upscale: { model: 'shuffle-x2', scale: 100 } }, 'upscale.scale'],
      [{ img_width: 512, img_height: 512, upscale: { model: 'shuffle-x2', scale: 4 } }, 'upscale.scale'],
      [{ face_restore: { model: 'nope' } }, 'face_restore.model'],
      [{ face_restore: { detector: 'nope' } }, 'face_restore.detector'],
      [{ hires: { upscaler: 'nope' } }, 'hires.upscaler'],
      [{ hires: { scale: 4 }, img_width: 1024, img_height: 1024 }, 'hires.scale'],
      [{ hires: { scale: 100 } }, 'hires.scale'],
      [{ hires: {}, init_image: 'https://example.com/a.png' }, 'hires'],
      [{ mask_prompt: { points: [{ x: 1, y: 1 }] } }, 'mask_prompt'],
      [{ init_image: 'https://example.com/a.png', mask_image: 'https://example.com/m.png', mask_prompt: { points: [{ x: 1, y: 1 }] } }, 'mask_prompt'],
      [{ init_image: 'https://example.com/a.png', mask_prompt: { points: [{ x: 'NaN', y: 1 }] } }, 'mask_prompt.points.0.x'],
      [{ init_image: 'https://example.com/a.png', mask_prompt: { points: Array.from({ length: 10_000 }, () => ({ x: 1, y: 1 })) } }, 'mask_prompt.points'],
      [{ init_image: 'https://example.com/a.png', mask_prompt: { points: [] } }, 'mask_prompt'],
      [{ init_image: 'https://example.com/a.png', mask_prompt: { points: [{ x: 1, y: 1 }], model: 'nope' } }, 'mask_prompt.model'],
    ];
    for (const [body, field] of cases) {
      const refused = await fixture.api.request<Refusal>('POST', '/v1/generations', { ...base, ...body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.ok(refused.body.error.details?.some((detail) => detail.field === field), `${JSON.stringify(body)} → ${JSON.stringify(refused.body)}`);
    }
  });

  it('a model size past MAX_UPSCALE_PIXELS known only on the worker fails the job with a code, not a 5xx', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { ...base, img_width: 768, img_height: 768, upscale: { model: 'shuffle-x2' } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'failed');
    assert.equal(done.error?.code, 'validation_failed');
  });
});
