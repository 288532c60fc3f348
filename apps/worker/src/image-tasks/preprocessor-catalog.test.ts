import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DirectoryPreprocessorCatalog } from './preprocessor-catalog.js';

describe('DirectoryPreprocessorCatalog (MODELS_DIR/preprocessors/<name>/ on a real filesystem)', () => {
  let root: string;

  const folder = async (name: string, files: Record<string, string>): Promise<void> => {
    await mkdir(path.join(root, name), { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, name, file), text);
  };

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'atelier-preprocessor-catalog-'));
    await folder('depth-anything', { 'model.onnx': 'x', 'config.json': '{"model_type":"depth_anything"}' });
    await folder('midas', { 'model.onnx': 'x', 'config.json': 'not json' });
    await folder('hed', { 'model.onnx': 'x', 'config.json': '{"model_type":"hed"}' });
    await folder('dwpose', { 'yolox_l.onnx': 'x', 'dw-ll_ucoco_384.onnx': 'x' });
    await folder('half-pose', { 'detector.onnx': 'x' });
    await folder('empty', {});
    await folder('.hidden', { 'model.onnx': 'x' });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists each usable folder with the preprocessors its files serve, by name, and nothing else', async () => {
    const catalog = new DirectoryPreprocessorCatalog(root);
    assert.deepEqual(await catalog.list(), [
      { name: 'depth-anything', kinds: ['depth'] },
      { name: 'dwpose', kinds: ['openpose'] },
      { name: 'hed', kinds: ['softedge', 'scribble'] },
      { name: 'midas', kinds: ['depth'] },
    ]);
  });

  it('finds a folder by name only for a usable model and a plain name (no path tricks)', async () => {
    const catalog = new DirectoryPreprocessorCatalog(root);
    assert.equal(await catalog.folder('hed'), path.join(root, 'hed'));
    for (const name of ['empty', 'half-pose', 'nope', '../preprocessors/hed', '.hidden', '']) assert.equal(await catalog.folder(name), undefined, name);
    assert.deepEqual(await new DirectoryPreprocessorCatalog(path.join(root, 'missing')).list(), [], 'no folder at all: no models');
  });
});
