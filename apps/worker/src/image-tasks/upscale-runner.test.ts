import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ResolvedUpscale } from '@atelier/contracts';
import { encodePng } from '@atelier/diffusion';
import { farmPolicies } from '@atelier/outbound';
import { locateOnnxModel } from '@atelier/registry';
import type { ObjectStorage } from '@atelier/storage';
import { writeUpscalerGraph } from '@atelier/upscaling/testing';
import { FaceModelSessions } from './face-models.js';
import { PermanentTaskError, TaskAbortedError } from './image-task-runner.js';
import type { LocateOnnxModel } from './locate-onnx-model.js';
import { TaskSources } from './task-source.js';
import { UpscaleRunner } from './upscale-runner.js';

const LIMITS = { image: { maxBytes: 1 << 20, maxSide: 4096, maxPixels: 4096 * 4096 }, policy: farmPolicies({ OUTBOUND_ALLOWED_HOSTS: '', WEBHOOK_ALLOWED_HOSTS: '' }).images };
/** Image sources here are inline: storage is never read. */
const NO_STORAGE = {} as ObjectStorage;

describe('UpscaleRunner (a MODELS_DIR pixel-shuffle graph, inline images)', () => {
  let dir: string;
  let runner: UpscaleRunner;
  const image = encodePng(new Uint8Array(40 * 40 * 3).fill(90), 40, 40).toString('base64');
  const task = (extra: Partial<ResolvedUpscale> = {}): ResolvedUpscale => ({
    v: 1,
    kind: 'upscale',
    source: { type: 'image', image },
    model: 'x2',
    model_scale: 2,
    scale: 2,
    tile_size: 32,
    tile_overlap: 8,
    max_output_pixels: 4096 * 4096,
    output_format: 'png',
    face_restore: null,
    ...extra,
  });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'upscale-runner-'));
    await writeUpscalerGraph(path.join(dir, 'upscalers', 'x2', 'model.onnx'), { scale: 2 });
    await writeFile(path.join(dir, 'upscalers', 'x2', 'config.json'), JSON.stringify({ scale: 2 }));
    const locate: LocateOnnxModel = (kind, name, tenant) => locateOnnxModel(kind, name, tenant, { cacheDir: path.join(dir, 'cache'), modelsDir: dir });
    runner = new UpscaleRunner(locate, new TaskSources(NO_STORAGE, LIMITS), new FaceModelSessions(locate));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports progress per tile, in order, and labels the result and the source', async () => {
    const seen: string[] = [];
    const result = await runner.run(task(), { tenant: 'alpha', signal: new AbortController().signal, onProgress: async (step, total) => void seen.push(`${step}/${total}`) });
    assert.deepEqual(seen, ['1/4', '2/4', '3/4', '4/4']);
    assert.deepEqual(result.images.map((output) => [output.kind, output.width, output.height]), [['image', 80, 80], ['source', 40, 40]]);
    assert.equal(result.metadata.tiles, 4);
  });

  it('stops between tiles when the signal aborts (a cancel), and refuses what it cannot run with a code', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      runner.run(task(), {
        tenant: 'alpha',
        signal: controller.signal,
        onProgress: async (step) => {
          seen.push(step);
          controller.abort('canceled');
        },
      }),
      (error: unknown) => error instanceof TaskAbortedError && error.reason === 'canceled',
    );
    // The cancel lands while tile 1's progress is recorded; the tile loop sees it at the next boundary.
    assert.ok(seen.length < 4 && seen[0] === 1, `stopped before the last tile (progress seen: ${seen.join(', ')})`);
    await assert.rejects(runner.run(task({ model: 'nope' }), { tenant: 'alpha', signal: new AbortController().signal, onProgress: async () => {} }), (error: unknown) => error instanceof PermanentTaskError && error.code === 'unknown_model');
    await assert.rejects(
      runner.run(task({ max_output_pixels: 1000 }), { tenant: 'alpha', signal: new AbortController().signal, onProgress: async () => {} }),
      (error: unknown) => error instanceof PermanentTaskError && error.code === 'invalid_image',
    );
  });
});
