import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GenerationStatus, type GenerationRecord } from '@atelier/contracts';
import { LocalStorage } from '@atelier/storage';
import { resolvedRequest } from './testing/resolved-request.js';
import { toGenerationView } from './generation-view.js';

describe('toGenerationView: output kinds', () => {
  it('reads outputs stored before kinds existed as images, and shows control outputs with their ControlNet', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'atelier-view-'));
    try {
      const storage = new LocalStorage({ root, publicBaseUrl: 'http://localhost:8080', signingSecret: 'x'.repeat(64) });
      const record: GenerationRecord = {
        id: 'gen_1',
        tenant: 't',
        queue: 'generation',
        status: GenerationStatus.Succeeded,
        request: resolvedRequest(),
        progress: { step: 4, total: 4 },
        outputs: [
          { index: 0, key: 'generations/gen_1/0.png', seed: 1, width: 64, height: 64, content_type: 'image/png' },
          { index: 1, kind: 'control', controlnet: { index: 0, model: 'canny', preprocessor: 'canny' }, key: 'generations/gen_1/control-0.png', seed: 0, width: 64, height: 64, content_type: 'image/png' },
        ],
        timings: {},
        warnings: [],
        attempts: 1,
        cancel_requested: false,
        created_at: new Date(0).toISOString(),
      };
      const view = await toGenerationView(record, storage, 60);
      assert.deepEqual(
        view.outputs.map((output) => [output.kind, output.controlnet]),
        [
          ['image', undefined],
          ['control', { index: 0, model: 'canny', preprocessor: 'canny' }],
        ],
      );
      assert.ok(!('controlnet' in view.outputs[0]), 'images carry no controlnet field');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
