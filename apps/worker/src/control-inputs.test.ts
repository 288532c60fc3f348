import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONTROLNET_PREPROCESSORS, RESOLVED_GENERATION_VERSION, type ControlNetUnit, type ResolvedGeneration } from '@atelier/contracts';
import { encodePng, InvalidImageError, SessionPool, UnsupportedRequestError } from '@atelier/diffusion';
import { farmPolicies } from '@atelier/outbound';
import { PREPROCESSOR_KINDS } from '@atelier/preprocessors';
import { writeDepthGraph } from '@atelier/preprocessors/testing';
import { ControlNetPreparation } from './control-inputs.js';
import { ModelsDirControlNets, type ControlNetFolders } from './controlnet-folders.js';

const LIMITS = { image: { maxBytes: 1_000_000, maxSide: 256, maxPixels: 256 * 256 }, policy: farmPolicies({ OUTBOUND_ALLOWED_HOSTS: '', WEBHOOK_ALLOWED_HOSTS: '' }).images };

/** Folders in memory: `canny` exists, nothing else; no preprocessor models. */
const FOLDERS: ControlNetFolders = {
  find: async (name) => (name === 'canny' ? '/models/controlnets/canny' : undefined),
  announce: async () => [],
  preprocessors: async () => ({}),
};

function picture(width: number, height: number): string {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(i % width < width / 2 ? [255, 255, 255] : [0, 0, 0], i * 3);
  return encodePng(rgb, width, height).toString('base64');
}

const unit = (over: Partial<ControlNetUnit> = {}): ControlNetUnit => ({ model: 'canny', image: picture(32, 32), preprocessor: 'canny', preprocessor_options: { detect_resolution: 64 }, conditioning_scale: 0.5, guidance_start: 0.2, guidance_end: 0.9, ...over });
const request = (controlnets: ControlNetUnit[] | undefined, guess = false): ResolvedGeneration =>
  ({ v: RESOLVED_GENERATION_VERSION, model: 'm', width: 64, height: 48, samples: 1, ...(controlnets ? { controlnets, guess_mode: guess } : {}) }) as ResolvedGeneration;

describe('ControlNetPreparation (worker: control images → pipeline ControlNet parameters and maps)', () => {
  it('binds each unit to its folder, preprocesses at the generation size, keeps scale, window and guess mode', async () => {
    const prepared = await new ControlNetPreparation(FOLDERS, LIMITS).prepare(request([unit(), unit({ preprocessor: 'none' })], true), 64, 48);
    assert.ok(prepared);
    assert.equal(prepared.guessMode, true);
    assert.deepEqual(
      prepared.controlnets.map((net) => [net.model, net.conditioningScale, net.guidanceStart, net.guidanceEnd]),
      [
        ['/models/controlnets/canny', 0.5, 0.2, 0.9],
        ['/models/controlnets/canny', 0.5, 0.2, 0.9],
      ],
    );
    for (const map of prepared.maps) assert.deepEqual([map.map.width, map.map.height], [64, 48]);
    const image = prepared.controlnets[0].image as { width: number; height: number; data: Float32Array };
    assert.deepEqual([image.width, image.height, image.data.length], [64, 48, 64 * 48 * 3]);
    assert.ok(image.data.some((value) => value === 1) && image.data.some((value) => value === 0), 'an edge map in [0, 1]');
    assert.equal(await new ControlNetPreparation(FOLDERS, LIMITS).prepare(request(undefined), 64, 48), undefined);
  });

  it('fails with client errors naming the field: a net not on this worker, an unreadable or oversized image, a missing preprocessor model', async () => {
    const prep = new ControlNetPreparation(FOLDERS, LIMITS);
    const refusal = async (units: ControlNetUnit[], kind: new (...args: never[]) => Error, field: string): Promise<void> => {
      await assert.rejects(prep.prepare(request(units), 64, 48), (error: Error & { field?: string }) => {
        assert.ok(error instanceof kind, `${error.name}: ${error.message}`);
        assert.equal(error.field, field);
        assert.ok(!error.message.includes('image: image:'), error.message);
        return true;
      });
    };
    await refusal([unit(), unit({ model: 'depth' })], UnsupportedRequestError, 'controlnets.1.model');
    await refusal([unit({ image: Buffer.from('not an image').toString('base64') })], InvalidImageError, 'controlnets.0.image');
    await refusal([unit({ image: picture(300, 8) })], InvalidImageError, 'controlnets.0.image');
    await refusal([unit({ preprocessor: 'depth' })], UnsupportedRequestError, 'controlnets.0.preprocessor');
  });

  it('leases preprocessor sessions from the pool for one preparation and hands every lease back, also when a unit fails', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-cn-pre-'));
    try {
      const depth = path.join(dir, 'depth');
      await writeDepthGraph(depth, { inputName: 'pixel_values', outputName: 'predicted_depth' });
      const folders: ControlNetFolders = { ...FOLDERS, preprocessors: async () => ({ depth }) };
      // The worker's own pool kind; counting what passes through it.
      const pool = new SessionPool('cpu', 64 * 1024 * 1024);
      const leased: string[] = [];
      let released = 0;
      const acquire = async (file: string) => {
        leased.push(path.relative(dir, file));
        const lease = await pool.acquire(file);
        return { session: lease.session, release: () => (released++, lease.release()) };
      };
      const prep = new ControlNetPreparation(folders, LIMITS, acquire);
      const prepared = await prep.prepare(request([unit({ preprocessor: 'depth' })]), 64, 48);
      assert.equal(prepared?.maps.length, 1);
      assert.deepEqual(leased, [path.join('depth', 'model.onnx')]);
      assert.equal(released, 1);
      await assert.rejects(prep.prepare(request([unit({ preprocessor: 'depth' }), unit({ model: 'missing' })]), 64, 48), UnsupportedRequestError);
      assert.equal(leased.length, 2);
      assert.equal(released, 2, 'the lease of the failed preparation went back too');
      await pool.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the request contract and the preprocessors package agree on the preprocessor names', () => {
    assert.deepEqual([...CONTROLNET_PREPROCESSORS].sort(), [...PREPROCESSOR_KINDS].sort());
  });
});

describe('ModelsDirControlNets (MODELS_DIR/controlnets and /preprocessors)', () => {
  it('finds folders with a model.onnx by plain name only, announces each with its base, and lists preprocessor folders holding ONNX files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'atelier-cn-folders-'));
    try {
      const net = async (name: string, config: unknown): Promise<void> => {
        await mkdir(path.join(dir, 'controlnets', name), { recursive: true });
        await writeFile(path.join(dir, 'controlnets', name, 'model.onnx'), 'x');
        await writeFile(path.join(dir, 'controlnets', name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
      };
      await net('canny15', { cross_attention_dim: 768 });
      await net('cannyxl', { cross_attention_dim: 2048, addition_embed_type: 'text_time' });
      await net('broken', '{ not json');
      await mkdir(path.join(dir, 'controlnets', 'empty'), { recursive: true });
      await mkdir(path.join(dir, 'preprocessors', 'depth'), { recursive: true });
      await writeFile(path.join(dir, 'preprocessors', 'depth', 'model.onnx'), 'x');
      await mkdir(path.join(dir, 'preprocessors', 'openpose'), { recursive: true });
      const folders = new ModelsDirControlNets(dir);
      assert.equal(await folders.find('canny15'), path.join(dir, 'controlnets', 'canny15'));
      for (const name of ['empty', 'missing', '../controlnets/canny15', '.', '']) assert.equal(await folders.find(name), undefined, name);
      assert.deepEqual(await folders.announce(), [
        { name: 'canny15', base: 'sd', cross_attention_dim: 768 },
        { name: 'cannyxl', base: 'sdxl', cross_attention_dim: 2048 },
      ]);
      assert.deepEqual(await folders.preprocessors(), { depth: path.join(dir, 'preprocessors', 'depth') });
      assert.deepEqual(await new ModelsDirControlNets(path.join(dir, 'nowhere')).announce(), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
