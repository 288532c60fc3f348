// Distilled SDXL families through the farm (real API, worker, Redis, S3): tiny architecture-true
// SSD-1B, Segmind-Vega and SDXL-Turbo exports (test/fixtures/distilled-sdxl) are detected, listed
// with their recommended defaults, and generate — with LoRAs applied (the VegaRT-style LCM-LoRA
// with the LCM sampler, 4 steps, guidance 1) and, for Turbo, on nothing but the detected defaults.
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationView } from '@atelier/contracts';
import { assembleDistilledExport, distilledFixture, DISTILLED_VARIANTS } from '@atelier/testing';
import { waitUntil } from '../support/api-client.js';
import { startFarmFixture, type FarmFixture } from '../support/farm-fixture.js';
import { decodePng } from '../support/png.js';

interface ListedModel {
  id: string;
  kind: string;
  family: string;
  variant: string | null;
  variant_evidence: string | null;
  default_width: number;
  default_height: number;
  default_steps: number;
  default_guidance_scale: number;
  default_scheduler: string;
  timestep_spacing?: string;
}

describe('distilled SDXL families through the farm: detection, defaults, LoRAs', () => {
  let fixture: FarmFixture;
  let modelsDir: string;

  before(async () => {
    modelsDir = await mkdtemp(path.join(tmpdir(), 'distilled-models-'));
    for (const variant of DISTILLED_VARIANTS) await assembleDistilledExport(variant, path.join(modelsDir, variant));
    await mkdir(path.join(modelsDir, 'loras'));
    for (const lora of ['vegart-lcm-tiny', 'ssd-1b-style-tiny']) {
      await copyFile(distilledFixture(`loras/${lora}.safetensors`), path.join(modelsDir, 'loras', `${lora}.safetensors`));
    }
    fixture = await startFarmFixture({ MODELS_DIR: modelsDir });
    await waitUntil(
      async () => {
        const listed = (await fixture.api.request<{ data: ListedModel[] }>('GET', '/v1/models?kind=pipeline')).body.data;
        return DISTILLED_VARIANTS.every((variant) => listed.some((model) => model.id === variant));
      },
      60_000,
      'the worker to announce the distilled exports',
    );
  });
  after(async () => {
    await fixture?.stop();
    if (modelsDir) await rm(modelsDir, { recursive: true, force: true });
  });

  it('GET /v1/models reports each variant, what it was read from, and its recommended defaults', async () => {
    const listed = (await fixture.api.request<{ data: ListedModel[] }>('GET', '/v1/models?kind=pipeline')).body.data;
    const byId = new Map(listed.map((model) => [model.id, model]));
    for (const variant of DISTILLED_VARIANTS) {
      const model = byId.get(variant);
      assert.ok(model, variant);
      console.log(
        `${model.id}: family ${model.family}, variant ${model.variant} (${model.variant_evidence}); ${model.default_width}x${model.default_height}, ${model.default_steps} steps, guidance ${model.default_guidance_scale}, ${model.default_scheduler}, ${model.timestep_spacing} spacing`,
      );
    }
    const row = (id: string) => {
      const model = byId.get(id);
      assert.ok(model);
      return [model.family, model.variant, model.default_width, model.default_height, model.default_steps, model.default_guidance_scale];
    };
    assert.deepEqual(row('ssd-1b-tiny'), ['sdxl', 'ssd-1b', 1024, 1024, 25, 9]);
    assert.deepEqual(row('vega-tiny'), ['sdxl', 'vega', 1024, 1024, 25, 9]);
    assert.deepEqual(row('sdxl-turbo-tiny'), ['sdxl', 'sdxl-turbo', 512, 512, 1, 0]);
    assert.equal(byId.get('sdxl-turbo-tiny')?.timestep_spacing, 'trailing');
    const demo = byId.get('demo-sd15');
    assert.deepEqual([demo?.variant, demo?.default_steps, demo?.default_guidance_scale], [null, 25, 7.5], 'a plain model keeps the plain defaults');
  });

  it('Vega + the VegaRT-style LCM-LoRA (kohya keys) generates with the LCM sampler, 4 steps, guidance 1, reporting matched keys', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model: 'vega-tiny',
      prompt: 'a red circle',
      img_width: 64,
      img_height: 64,
      scheduler: 'LCM',
      num_inference_steps: 4,
      guidance_scale: 1,
      loras: [{ name: 'vegart-lcm-tiny', weight: 1 }],
      base64: true,
      seed: 11,
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const lora = done.adapters?.loras[0];
    console.log(`vega-tiny + vegart-lcm-tiny: applied ${lora?.applied}, unmatched ${lora?.unmatched} (${lora?.unmatched_examples.join('; ')}), merge ${done.adapters?.merge_ms} ms`);
    assert.equal(lora?.name, 'vegart-lcm-tiny');
    assert.equal(lora.applied, 120, 'every attention projection of the Vega UNet');
    assert.equal(lora.unmatched, 1, 'the one key of a layer Vega does not have');
    const png = decodePng(Buffer.from(done.outputs[0].base64 as string, 'base64'));
    assert.deepEqual([png.width, png.height], [64, 64]);
    assert.match(png.text.parameters, /Steps: 4, Sampler: LCM, CFG scale: 1,/);
    assert.match(png.text.parameters, /Lora: vegart-lcm-tiny:1/);
  });

  it('SSD-1B + a PEFT LoRA generates; guidance left out comes from the SSD-1B defaults (9), explicit steps win', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', {
      model: 'ssd-1b-tiny',
      prompt: 'a blue square',
      img_width: 64,
      img_height: 64,
      num_inference_steps: 3,
      loras: [{ name: 'ssd-1b-style-tiny', weight: 0.8 }],
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const lora = done.adapters?.loras[0];
    console.log(`ssd-1b-tiny + ssd-1b-style-tiny: applied ${lora?.applied}, unmatched ${lora?.unmatched}; steps ${done.parameters.num_inference_steps}, guidance ${done.parameters.guidance_scale}`);
    assert.deepEqual([lora?.applied, lora?.unmatched], [272, 0]);
    assert.deepEqual([done.parameters.num_inference_steps, done.parameters.guidance_scale], [3, 9]);
  });

  it('a Turbo-like folder generates on the detected defaults alone: 512x512, 1 step, guidance 0, Euler a with trailing timesteps', async () => {
    const submitted = await fixture.api.request<GenerationView>('POST', '/v1/generations', { model: 'sdxl-turbo-tiny', prompt: 'a green ring', base64: true, seed: 5 });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const done = await fixture.api.waitFor<GenerationView>(`/v1/generations/${submitted.body.id}`);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const { num_inference_steps: steps, guidance_scale: guidance, width, height } = done.parameters;
    const png = decodePng(Buffer.from(done.outputs[0].base64 as string, 'base64'));
    console.log(`sdxl-turbo-tiny on defaults: ${width}x${height}, ${steps} step(s), guidance ${guidance}; infotext: ${png.text.parameters.split('\n').at(-1)}`);
    assert.deepEqual([width, height, steps, guidance], [512, 512, 1, 0]);
    assert.deepEqual([png.width, png.height], [512, 512]);
    assert.match(png.text.parameters, /Steps: 1, Sampler: Euler a, CFG scale: 0,/);
  });
});
