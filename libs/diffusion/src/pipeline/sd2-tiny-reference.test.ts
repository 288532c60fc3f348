import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sharedFixture } from '@atelier/testing';
import { LoadedModel } from '../models/loaded-model.js';
import { readModelFolder } from '../models/model-folder.js';
import { SessionPool } from '../runtime/session-pool.js';
import { tokenizeWeightedPrompt } from '../text/prompt-chunks.js';
import { StableDiffusionPipeline } from './stable-diffusion.js';
import { encodeChunks } from './text-encoder.js';

interface ReferenceRun {
  scheduler: string;
  prompt: string;
  negative_prompt: string;
  steps: number;
  guidance_scale: number;
  height: number;
  width: number;
  latents: string;
  image: string;
  timesteps: number[];
}

async function readF32(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('sd2-tiny ONNX export reproduces diffusers', () => {
  const root = sharedFixture('sd2-tiny-onnx');
  const pool = new SessionPool('cpu', 1024 ** 3);
  const pipeline = new StableDiffusionPipeline(pool);
  let model: LoadedModel;
  let manifest: { runs: ReferenceRun[]; encode_prompt: { prompt: string; negative_prompt: string; files: string[] } };

  before(async () => {
    model = await LoadedModel.open(await readModelFolder(path.join(root, 'model'), 'sd2-tiny'));
    manifest = JSON.parse(await readFile(path.join(root, 'reference', 'manifest.json'), 'utf8'));
  });
  after(() => pool.close());

  it('detects an SD 2.x v-prediction model', () => {
    assert.equal(model.family, 'sd2');
    assert.equal(model.schedulerConfig.prediction_type, 'v_prediction');
    assert.equal(model.summary().default_width, 64);
  });

  it('matches diffusers encode_prompt for prompt and negative prompt', async () => {
    const lease = await pool.acquire(model.folder.components.textEncoder as string);
    try {
      const texts = [manifest.encode_prompt.prompt, manifest.encode_prompt.negative_prompt];
      for (const [index, text] of texts.entries()) {
        const expected = await readF32(path.join(root, 'reference', manifest.encode_prompt.files[index]));
        const actual = await encodeChunks(lease.session, tokenizeWeightedPrompt(model.tokenizer, text).chunks);
        assert.ok(maxAbsDiff(actual.hidden, expected) < 1e-4, `${text}: embeddings differ by ${maxAbsDiff(actual.hidden, expected)}`);
      }
    } finally {
      lease.release();
    }
  });

  it('reproduces every reference image within 2e-3 for every listed scheduler', async () => {
    for (const run of manifest.runs) {
      const latents = await readF32(path.join(root, 'reference', run.latents));
      const expected = await readF32(path.join(root, 'reference', run.image));
      const result = await pipeline.generate(model, {
        prompt: run.prompt,
        negativePrompt: run.negative_prompt,
        steps: run.steps,
        guidanceScale: run.guidance_scale,
        scheduler: run.scheduler,
        width: run.width,
        height: run.height,
        seeds: [0],
        latents,
      });
      const error = maxAbsDiff(result.images[0].pixels, expected);
      assert.ok(error < 2e-3, `${run.scheduler} "${run.prompt.slice(0, 30)}": max abs error ${error}`);
    }
  });
});
