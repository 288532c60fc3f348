// LCM-LoRA on SD 1.5 and on SDXL through the farm (real API, worker, Redis, S3): kohya-keyed
// LCM-LoRAs, written here for the attention projections of a tiny SD 1.x UNet (the shared
// controlnet-tiny pipeline, real diffusers layer names) and of the tiny full-layout SDXL export
// (sdxl-turbo-tiny: 70 transformer layers), run with the LCM sampler, 4 steps, guidance 1, as the
// published lcm-lora-sdv1-5 / lcm-lora-sdxl are used; each is compared with the same request
// without the LoRA.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { assembleDistilledExport } from '@atelier/testing';
import { waitUntil } from '../support/api-client.js';
import { bareSd1Export } from '../support/bare-unet-export.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { attentionProjections, kohyaLcmLora } from '../support/lcm-lora-files.js';
import { decodePng, type DecodedPng } from '../support/png.js';

const MODELS = ['sd15-tiny', 'sdxl-turbo-tiny'];

describe('LCM-LoRA on SD 1.5 and SDXL through the farm: LCM sampler, 4 steps, guidance 1', () => {
  let fixture: FarmFixture;
  let modelsDir: string;
  const projections = new Map<string, number>();

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'lcm-lora-models-'));
    await bareSd1Export(path.join(modelsDir, 'sd15-tiny'));
    await assembleDistilledExport('sdxl-turbo-tiny', path.join(modelsDir, 'sdxl-turbo-tiny'));
    await mkdir(path.join(modelsDir, 'loras'));
    const sd1 = await attentionProjections(path.join(modelsDir, 'sd15-tiny', 'unet', 'config.json'));
    const sdxl = await attentionProjections(path.join(modelsDir, 'sdxl-turbo-tiny', 'unet', 'config.json'));
    projections.set('sd15-tiny', sd1.length).set('sdxl-turbo-tiny', sdxl.length);
    // Each file also carries one layer of the other family's layout that its UNet lacks: SDXL's
    // second down block has two transformer layers (SD 1.5's one), SD 1.5's first down block attends
    // (SDXL's does not).
    const sdxlLayer = { module: 'down_blocks.1.attentions.0.transformer_blocks.1.attn1.to_q', out: 32, in: 32 };
    const sd1Layer = { module: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q', out: 8, in: 8 };
    await writeFile(path.join(modelsDir, 'loras', 'lcm-lora-sdv1-5-tiny.safetensors'), kohyaLcmLora(sd1, [sdxlLayer], 'sd_v1'));
    await writeFile(path.join(modelsDir, 'loras', 'lcm-lora-sdxl-tiny.safetensors'), kohyaLcmLora(sdxl, [sd1Layer], 'sdxl_base_v1-0'));
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir });
    await waitUntil(
      async () => {
        const listed = (await fixture.api.request<{ data: Array<{ id: string }> }>('GET', '/v1/models?kind=pipeline')).body.data;
        return MODELS.every((id) => listed.some((model) => model.id === id));
      },
      60_000,
      'the worker to announce the tiny SD 1.x and SDXL exports',
    );
  });
  after(async () => {
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  async function generate(model: string, lora: string | null): Promise<{ done: GenerationView; png: DecodedPng }> {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model,
      prompt: 'a red circle on a blue field',
      img_width: 64,
      img_height: 64,
      scheduler: 'LCM',
      num_inference_steps: 4,
      guidance_scale: 1,
      ...(lora === null ? {} : { loras: [{ name: lora, weight: 1 }] }),
      base64: true,
      seed: 23,
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return { done, png: decodePng(Buffer.from(done.outputs[0].base64 as string, 'base64')) };
  }

  const cases = [
    { model: 'sd15-tiny', lora: 'lcm-lora-sdv1-5-tiny', applied: 32, family: 'SD 1.x', listedFamily: 'sd1' },
    { model: 'sdxl-turbo-tiny', lora: 'lcm-lora-sdxl-tiny', applied: 560, family: 'SDXL', listedFamily: 'sdxl' },
  ];
  for (const { model, lora, applied, family, listedFamily } of cases) {
    it(`${family} (${model}) + a kohya-keyed LCM-LoRA: every attention projection merged, the foreign key reported, pixels changed`, async () => {
      const listed = (await fixture.api.request<{ data: Array<{ id: string; family: string }> }>('GET', '/v1/models?kind=pipeline')).body.data;
      assert.equal(listed.find((entry) => entry.id === model)?.family, listedFamily);
      const adapted = await generate(model, lora);
      const plain = await generate(model, null);
      const report = adapted.done.adapters?.loras[0];
      const changed = meanAbsoluteDifference(adapted.png, plain.png);
      console.log(
        `${model} + ${lora}: applied ${report?.applied} of ${projections.get(model)} projections, unmatched ${report?.unmatched} (${report?.unmatched_examples.join('; ')}), merge ${adapted.done.adapters?.merge_ms} ms; mean |Δ| vs no LoRA ${changed.toFixed(2)} / 255`,
      );
      assert.equal(projections.get(model), applied, 'the config-derived layer count');
      assert.equal(report?.name, lora);
      assert.equal(report.applied, applied, 'every attention projection of the UNet');
      assert.equal(report.unmatched, 1, 'the one layer this UNet does not have');
      assert.deepEqual([adapted.png.width, adapted.png.height], [64, 64]);
      assert.match(adapted.png.text.parameters, /Steps: 4, Sampler: LCM, CFG scale: 1,/);
      assert.match(adapted.png.text.parameters, new RegExp(`Lora: ${lora}:1`));
      assert.equal(plain.done.adapters?.loras.length ?? 0, 0);
      assert.ok(changed > 0, 'the LoRA changes the picture');
    });
  }
});

function meanAbsoluteDifference(a: DecodedPng, b: DecodedPng): number {
  assert.equal(a.rgba.length, b.rgba.length);
  let sum = 0;
  for (let i = 0; i < a.rgba.length; i++) if (i % 4 !== 3) sum += Math.abs(a.rgba[i] - b.rgba[i]);
  return sum / ((a.rgba.length / 4) * 3);
}
