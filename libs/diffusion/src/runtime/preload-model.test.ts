import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { ensureDemoModel } from '@atelier/demo-model';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { StableDiffusionPipeline } from '../pipeline/stable-diffusion.js';
import { preloadModel } from './preload-model.js';
import { SessionPool } from './session-pool.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'preload-'));
});
after(() => rm(dir, { recursive: true, force: true }));

it('preloading a model leaves a text-to-image job nothing to load', async () => {
  const model = await LoadedModel.open(await readModelFolder(await ensureDemoModel(dir), 'demo-sd15'));
  const pool = new SessionPool('cpu', 1024 ** 3);
  try {
    const report = await preloadModel(pool, model);
    const { textEncoder, unet, vaeDecoder } = model.folder.components;
    assert.deepEqual(report.components, [textEncoder, unet, vaeDecoder]);
    assert.equal(pool.stats.sessions, 3);
    assert.equal(pool.stats.misses, 3);
    await new StableDiffusionPipeline(pool).generate(model, { prompt: 'a red circle', negativePrompt: '', steps: 2, guidanceScale: 5, width: 64, height: 64, seeds: [1] });
    assert.equal(pool.stats.misses, 3, 'the job loaded nothing');
    assert.ok(pool.stats.hits >= 3);
  } finally {
    await pool.close();
  }
});
