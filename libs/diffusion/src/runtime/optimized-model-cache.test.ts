import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDemoModel } from '@atelier/demo-model';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { StableDiffusionPipeline, type GenerationParams } from '../pipeline/stable-diffusion.js';
import { SessionPool } from './session-pool.js';

const params: GenerationParams = { prompt: 'a red circle on a blue background', negativePrompt: 'blurry', steps: 2, guidanceScale: 5, scheduler: 'Euler', width: 64, height: 64, seeds: [7] };

async function pixels(model: LoadedModel, optimizedModelDir?: string): Promise<{ pixels: Float32Array[]; hits: number; writes: number }> {
  const pool = new SessionPool('cpu', 1024 ** 3, {}, { optimizedModelDir });
  try {
    const result = await new StableDiffusionPipeline(pool).generate(model, params);
    return { pixels: result.images.map((image) => image.pixels), hits: pool.optimizedModels?.stats.hits ?? 0, writes: pool.optimizedModels?.stats.writes ?? 0 };
  } finally {
    await pool.close();
  }
}

function assertIdentical(actual: Float32Array[], expected: Float32Array[], what: string): void {
  assert.equal(actual.length, expected.length);
  for (const [index, image] of actual.entries()) {
    let differing = 0;
    for (let i = 0; i < image.length; i++) if (!(image[i] === expected[index][i])) differing++;
    assert.equal(differing, 0, `${what}: image ${index} has ${differing} values that differ`);
  }
}

describe('ONNX Runtime optimized-model cache', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'optimized-models-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, open] of [
    ['sd2-tiny fixture (real architecture, inline weights)', async () => LoadedModel.open(await readModelFolder(sharedFixture(path.join('sd2-tiny-onnx', 'model')), 'sd2-tiny'))],
    ['demo model (UNet with external data)', async () => LoadedModel.open(await readModelFolder(await ensureDemoModel(path.join(dir, 'demo')), 'demo-sd15'))],
  ] as const) {
    it(`${name}: pictures are bit-identical without the cache, writing it and reading it`, async () => {
      const model = await open();
      const cache = path.join(dir, `cache-${model.id}`);
      const components = [model.folder.components.textEncoder, model.folder.components.unet, model.folder.components.vaeDecoder].filter(Boolean).length;
      const plain = await pixels(model);
      const writing = await pixels(model, cache);
      assert.deepEqual([writing.hits, writing.writes], [0, components], 'the first load writes one copy per component');
      const reading = await pixels(model, cache);
      assert.deepEqual([reading.hits, reading.writes], [components, 0], 'later loads open the copies');
      assertIdentical(writing.pixels, plain.pixels, 'while writing the cache');
      assertIdentical(reading.pixels, plain.pixels, 'from the cache');
    });
  }

  it('rebuilds a copy when the model file changes, and keeps one copy per file', async () => {
    const model = await LoadedModel.open(await readModelFolder(await ensureDemoModel(path.join(dir, 'demo')), 'demo-sd15'));
    const cache = path.join(dir, 'cache-changes');
    await pixels(model, cache);
    const unet = model.folder.components.unet;
    const later = new Date(Date.now() + 60_000);
    await utimes(unet, later, later);
    const again = await pixels(model, cache);
    assert.equal(again.writes, 1, 'only the touched UNet is optimized again');
    const perFile = await Promise.all((await readdir(cache)).map(async (entry) => (await readdir(path.join(cache, entry))).length));
    assert.deepEqual(perFile, perFile.map(() => 1), 'the stale copy was removed');
  });
});
