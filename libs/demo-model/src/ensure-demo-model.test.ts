import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEMO_BUILDER_VERSION, DEMO_MARKER_FILE, ensureDemoModel, ensureDemoModels, hashDemoModelDir } from './ensure-demo-model.js';

let cache: string;

before(async () => {
  cache = await mkdtemp(join(tmpdir(), 'demo-cache-'));
});

after(async () => {
  await rm(cache, { recursive: true, force: true });
});

const markerOf = async (dir: string): Promise<{ version: number; contentHash: string; options: { predictionType: string } }> =>
  JSON.parse(await readFile(join(dir, DEMO_MARKER_FILE), 'utf8')) as { version: number; contentHash: string; options: { predictionType: string } };

test('ensureDemoModel builds once, then reuses, and rebuilds stale or damaged copies', async () => {
  const dir = await ensureDemoModel(cache);
  assert.equal(dir, join(cache, 'demo-sd15'));
  const marker = await markerOf(dir);
  assert.equal(marker.version, DEMO_BUILDER_VERSION);
  assert.equal(marker.contentHash, await hashDemoModelDir(dir));
  const builtAt = (await stat(join(dir, 'unet', 'model.onnx'))).mtimeMs;

  assert.equal(await ensureDemoModel(cache), dir);
  assert.equal((await stat(join(dir, 'unet', 'model.onnx'))).mtimeMs, builtAt, 'an up-to-date copy is not rebuilt');

  await writeFile(join(dir, DEMO_MARKER_FILE), JSON.stringify({ ...marker, version: DEMO_BUILDER_VERSION - 1 }));
  await ensureDemoModel(cache);
  assert.equal((await markerOf(dir)).version, DEMO_BUILDER_VERSION, 'an older builder version is replaced');

  await writeFile(join(dir, 'unet', 'model.onnx'), 'truncated');
  await ensureDemoModel(cache);
  assert.ok((await stat(join(dir, 'unet', 'model.onnx'))).size > 1000, 'a damaged file triggers a rebuild');

  await ensureDemoModel(cache, { predictionType: 'v_prediction' });
  const scheduler = JSON.parse(await readFile(join(dir, 'scheduler', 'scheduler_config.json'), 'utf8')) as { prediction_type: string };
  assert.equal(scheduler.prediction_type, 'v_prediction', 'different options rebuild');

  assert.deepEqual(await ensureDemoModels(cache), [
    { id: 'demo-sd15', dir },
    { id: 'demo-sd15-refiner', dir: join(cache, 'demo-sd15-refiner') },
    { id: 'demo-trainable', dir: join(cache, 'demo-trainable') },
    { id: 'demo-trainable-pretrained', dir: join(cache, 'demo-trainable-pretrained') },
  ]);
  assert.equal((await markerOf(dir)).options.predictionType, 'epsilon');
});
