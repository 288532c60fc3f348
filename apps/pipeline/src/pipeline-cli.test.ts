import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { assembleDistilledExport, sharedFixture } from '@atelier/testing';
import { parsePipelineArgs } from './cli-options.js';

const run = promisify(execFile);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

describe('npm run pipeline (the CLI, as a real process)', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'pipeline-cli-'));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('takes diffusers latents and writes raw pixels that match diffusers within 2e-3', async () => {
    const fixture = sharedFixture('sd2-tiny-onnx');
    const manifest = JSON.parse(await readFile(path.join(fixture, 'reference', 'manifest.json'), 'utf8')) as {
      runs: Array<{ scheduler: string; prompt: string; negative_prompt: string; steps: number; guidance_scale: number; latents: string; image: string }>;
    };
    const reference = manifest.runs.find((entryRun) => entryRun.scheduler === 'UniPCMultistepScheduler');
    assert.ok(reference);
    const raw = path.join(out, 'image.f32');
    const { stdout } = await run(process.execPath, [
      entry,
      '--model', path.join(fixture, 'model'),
      '--prompt', reference.prompt,
      '--negative-prompt', reference.negative_prompt,
      '--scheduler', reference.scheduler,
      '--num-inference-steps', String(reference.steps),
      '--guidance-scale', String(reference.guidance_scale),
      '--latents', path.join(fixture, 'reference', reference.latents),
      '--output-raw', raw,
      '--out', path.join(out, 'image.png'),
    ]);
    assert.match(stdout, /wrote .*image\.png \(64×64/);
    const actual = new Float32Array(new Uint8Array(await readFile(raw)).buffer);
    const expected = new Float32Array(new Uint8Array(await readFile(path.join(fixture, 'reference', reference.image))).buffer);
    assert.equal(actual.length, expected.length);
    let worst = 0;
    for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    assert.ok(worst < 2e-3, `max abs error ${worst}`);
  });

  it("takes what the command line leaves out from the model: a Turbo-like export runs 1 step, guidance 0, Euler a, at 512x512", async () => {
    const model = await assembleDistilledExport('sdxl-turbo-tiny', path.join(out, 'sdxl-turbo-tiny'));
    const png = path.join(out, 'turbo.png');
    const { stdout } = await run(process.execPath, [entry, '--model', model, '--prompt', 'a green ring', '--seed', '3', '--out', png]);
    console.log(stdout.trim());
    assert.match(stdout, /Euler a, 1 steps in/);
    assert.match(stdout, /wrote .*turbo\.png \(512×512/);
    assert.ok((await readFile(png)).includes('Steps: 1, Sampler: Euler a, CFG scale: 0,'), 'the infotext records the defaults used');
  });

  it('prints usage and exits 0 on --help (and -h), even beside other flags', async () => {
    for (const args of [['--help'], ['-h'], ['--model', path.join(out, 'nope'), '--help']]) {
      const { stdout, stderr } = await run(process.execPath, [entry, ...args]);
      assert.match(stdout, /^Usage: npm run pipeline -- --model DIR/);
      for (const flag of ['--model', '--negative-prompt', '--num-inference-steps', '--execution-provider', '--help']) assert.ok(stdout.includes(`  ${flag} `), `usage lists ${flag}`);
      assert.match(stdout, /--num-inference-steps +denoising steps; the model's default when omitted \(25; Turbo 1, LCM 4\)/);
      assert.equal(stderr, '');
    }
  });

  it('answers an unknown option with the usage text and exit code 1', async () => {
    await assert.rejects(run(process.execPath, [entry, '--nope']), (error: Error & { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /Unknown option '--nope'/);
      assert.match(error.stderr ?? '', /Usage: npm run pipeline/);
      return true;
    });
  });

  it('names the flag when an option is wrong', async () => {
    assert.throws(() => parsePipelineArgs(['--num-inference-steps', 'many']), /--num_inference_steps/);
    assert.throws(() => parsePipelineArgs([]), /--model/);
    await assert.rejects(run(process.execPath, [entry, '--model', path.join(out, 'nope')]), /model folder|unet/);
  });
});
