import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { maxAbsDifference, modelFolderForRun, readDpmSingleReferences, readF32 } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';

const run = promisify(execFile);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

describe('npm run pipeline with DPMSolverSinglestepScheduler (the CLI, as a real process)', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'pipeline-cli-dpm-single-'));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('matches every diffusers DPM Single reference within 2e-3, named with --scheduler or by the model\'s scheduler_config.json', async () => {
    const fixture = sharedFixture('sd2-tiny-onnx');
    for (const reference of await readDpmSingleReferences()) {
      const model = await modelFolderForRun(reference, path.join(fixture, 'model'), out);
      const raw = path.join(out, `${path.basename(reference.image, '.f32')}-actual.f32`);
      const { stdout } = await run(process.execPath, [
        entry,
        '--model', model,
        '--prompt', reference.prompt,
        '--negative-prompt', reference.negative_prompt,
        ...(reference.scheduler_name === null ? [] : ['--scheduler', reference.scheduler_name]),
        '--num-inference-steps', String(reference.steps),
        '--guidance-scale', String(reference.guidance_scale),
        '--latents', path.join(fixture, 'reference', 'latents_1x4x8x8.f32'),
        '--output-raw', raw,
        '--out', path.join(out, 'image.png'),
      ]);
      assert.match(stdout, new RegExp(`^DPM Single${reference.diffusers_overrides.use_karras_sigmas === true ? ' Karras' : ''}, ${reference.steps} steps in`, 'm'), reference.label);
      const actual = await readF32(raw);
      const expected = await readF32(reference.imagePath);
      assert.equal(actual.length, expected.length, reference.label);
      const error = maxAbsDifference(actual, expected);
      console.log(`${reference.label}: max abs error ${error.toExponential(2)}`);
      assert.ok(error < 2e-3, `${reference.label}: max abs error ${error}`);
    }
  });
});
