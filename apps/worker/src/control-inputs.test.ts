import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONTROLNET_PREPROCESSORS, RESOLVED_GENERATION_VERSION, type ControlNetUnit, type ResolvedGeneration } from '@atelier/contracts';
import { encodePng, InvalidImageError, SessionPool, UnsupportedRequestError } from '@atelier/diffusion';
import { farmPolicies } from '@atelier/outbound';
import { PREPROCESSOR_KINDS } from '@atelier/preprocessors';
import { writeDepthGraph } from '@atelier/preprocessors/testing';
import { ControlNetPreparation } from './control-inputs.js';
import { RegistryControlNets, type ControlNetFolders, type OnnxLocator } from './controlnet-folders.js';

const LIMITS = { image: { maxBytes: 1_000_000, maxSide: 256, maxPixels: 256 * 256 }, policy: farmPolicies({ OUTBOUND_ALLOWED_HOSTS: '', WEBHOOK_ALLOWED_HOSTS: '' }).images };

/** Folders in memory: `canny` exists, nothing else; no preprocessor models. */
const FOLDERS: ControlNetFolders = {
  find: async (name) => (name === 'canny' ? '/models/controlnets/canny' : undefined),
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
    const prepared = await new ControlNetPreparation(FOLDERS, LIMITS).prepare(request([unit(), unit({ preprocessor: 'none' })], true), 64, 48, 'tenant-a');
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
    assert.equal(await new ControlNetPreparation(FOLDERS, LIMITS).prepare(request(undefined), 64, 48, 'tenant-a'), undefined);
  });

  it('fails with client errors naming the field: a net not on this worker, an unreadable or oversized image, a missing preprocessor model', async () => {
    const prep = new ControlNetPreparation(FOLDERS, LIMITS);
    const refusal = async (units: ControlNetUnit[], kind: new (...args: never[]) => Error, field: string): Promise<void> => {
      await assert.rejects(prep.prepare(request(units), 64, 48, 'tenant-a'), (error: Error & { field?: string }) => {
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
      const folders: ControlNetFolders = { ...FOLDERS, preprocessors: async (wanted) => (wanted.includes('depth') ? { depth } : {}) };
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
      const prepared = await prep.prepare(request([unit({ preprocessor: 'depth' })]), 64, 48, 'tenant-a');
      assert.equal(prepared?.maps.length, 1);
      assert.deepEqual(leased, [path.join('depth', 'model.onnx')]);
      assert.equal(released, 1);
      await assert.rejects(prep.prepare(request([unit({ preprocessor: 'depth' }), unit({ model: 'missing' })]), 64, 48, 'tenant-a'), UnsupportedRequestError);
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

describe('RegistryControlNets (the registry lookup: own private, public, MODELS_DIR)', () => {
  it("asks for kind controlnet by the unit's name and kind preprocessor by the folder each preprocessor needs, with the job's tenant, once per folder", async () => {
    const asked: string[] = [];
    const locate: OnnxLocator = async (kind, name, tenant) => {
      asked.push(`${tenant}:${kind}:${name}`);
      if (name === 'missing' || name === 'openpose') return undefined;
      return { kind, name, origin: 'private', dir: `/cache/${kind}s/${name}`, files: {}, facts: {}, manifest: undefined };
    };
    const folders = new RegistryControlNets(locate);
    assert.equal(await folders.find('canny', 'alpha'), '/cache/controlnets/canny');
    assert.equal(await folders.find('missing', 'alpha'), undefined);
    assert.deepEqual(await folders.preprocessors(['canny', 'scribble', 'softedge', 'depth', 'openpose', 'none'], 'alpha'), { softedge: '/cache/preprocessors/softedge', depth: '/cache/preprocessors/depth' });
    assert.deepEqual(asked, ['alpha:controlnet:canny', 'alpha:controlnet:missing', 'alpha:preprocessor:softedge', 'alpha:preprocessor:depth', 'alpha:preprocessor:openpose']);
  });
});
