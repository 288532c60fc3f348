/**
 * `npm run pipeline` with ControlNets, as a real process: every diffusers reference run of
 * ../shared/fixtures/controlnet-tiny-onnx (and its SDXL twin, from prompt embeddings) within 2e-3,
 * and coded errors on stderr with exit code 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { decodeMask } from '@atelier/diffusion';
import { maxAbsDifferenceWhere, openControlNetReference, readF32, type ControlNetReference, type ControlNetReferenceRun } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';
import { readFile } from 'node:fs/promises';

const run = promisify(execFile);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
const TOLERANCE = 2e-3;

function controlnetFlags(reference: ControlNetReference, run: ControlNetReferenceRun): string[] {
  return run.controlnets.flatMap((name, index) => [
    '--controlnet',
    [
      `model=${path.join(reference.root, 'controlnets', name)}`,
      `image=${reference.file(run.control_images[index])}`,
      `scale=${run.controlnet_conditioning_scale[index]}`,
      `start=${run.control_guidance_start[index]}`,
      `end=${run.control_guidance_end[index]}`,
    ].join(','),
  ]);
}

describe('npm run pipeline --controlnet (the CLI, as a real process)', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'pipeline-cli-controlnet-'));
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('reproduces every SD 1.x reference run within 2e-3', async (t) => {
    const reference = await openControlNetReference(sharedFixture('controlnet-tiny-onnx'));
    for (const entryRun of reference.runs) {
      const raw = path.join(out, `${entryRun.id}.f32`);
      const img2img = entryRun.pipeline.includes('Img2Img');
      const noise = entryRun.noise ?? [];
      const args = [
        entry,
        '--model', path.join(reference.root, 'model'),
        '--prompt', entryRun.prompt ?? '',
        '--negative-prompt', entryRun.negative_prompt ?? '',
        '--scheduler', entryRun.scheduler,
        '--num-inference-steps', String(entryRun.steps),
        '--guidance-scale', String(entryRun.guidance_scale),
        '--img-width', String(entryRun.width),
        '--img-height', String(entryRun.height),
        '--latents', img2img ? reference.file(noise[1].file) : reference.file(entryRun.latents as string),
        ...(entryRun.init_image ? ['--init-image', reference.file(entryRun.init_image), '--init-latent-noise', reference.file(noise[0].file)] : []),
        ...(entryRun.mask_image ? ['--mask-image', reference.file(entryRun.mask_image)] : []),
        ...(entryRun.strength !== null ? ['--strength', String(entryRun.strength)] : []),
        ...controlnetFlags(reference, entryRun),
        ...(entryRun.guess_mode ? ['--guess-mode'] : []),
        '--output-raw', raw,
        '--out', path.join(out, `${entryRun.id}.png`),
      ];
      await run(process.execPath, args);
      // Inpainting returns the unmasked pixels from the original: compare the repainted ones.
      const mask = entryRun.mask_image ? await decodeMask(await readFile(reference.file(entryRun.mask_image)), entryRun.width, entryRun.height, 'mask', 1e8) : undefined;
      const error = maxAbsDifferenceWhere(await readF32(raw), await reference.f32(entryRun.image), mask ? (index) => mask.data[Math.floor(index / 3)] === 1 : undefined);
      t.diagnostic(`run ${entryRun.id}: image max abs error ${error.toExponential(2)}`);
      assert.ok(error <= TOLERANCE, `run ${entryRun.id}: max abs error ${error}`);
    }
  });

  it('reproduces the SDXL twin from prompt embeddings within 2e-3', async (t) => {
    const reference = await openControlNetReference(path.join(sharedFixture('controlnet-tiny-onnx'), 'sdxl'));
    const [x1] = reference.runs;
    assert.ok(x1.prompt_embeds && x1.negative_prompt_embeds && x1.pooled_prompt_embeds && x1.negative_pooled_prompt_embeds);
    const raw = path.join(out, 'x1.f32');
    await run(process.execPath, [
      entry,
      '--model', path.join(reference.root, 'model'),
      '--prompt-embeds',
      `prompt=${reference.file(x1.prompt_embeds.file)},negative=${reference.file(x1.negative_prompt_embeds.file)},pooled=${reference.file(x1.pooled_prompt_embeds.file)},negative_pooled=${reference.file(x1.negative_pooled_prompt_embeds.file)},tokens=${x1.prompt_embeds.shape[1]}`,
      '--scheduler', x1.scheduler,
      '--num-inference-steps', String(x1.steps),
      '--guidance-scale', String(x1.guidance_scale),
      '--img-width', String(x1.width),
      '--img-height', String(x1.height),
      '--latents', reference.file(x1.latents as string),
      ...controlnetFlags(reference, x1),
      '--output-raw', raw,
      '--out', path.join(out, 'x1.png'),
    ]);
    const error = maxAbsDifferenceWhere(await readF32(raw), await reference.f32(x1.image));
    t.diagnostic(`run x1: image max abs error ${error.toExponential(2)}`);
    assert.ok(error <= TOLERANCE, `run x1: max abs error ${error}`);
  });

  it('exits 1 with the error code for a wrong family, a missing ControlNet and an undecodable control image', async () => {
    const root = sharedFixture('controlnet-tiny-onnx');
    const canny = path.join(root, 'reference', 'canny_64x64.png');
    const broken = path.join(out, 'broken.png');
    await writeFile(broken, 'not a png');
    const cases: Array<[string, string]> = [
      [`model=${path.join(root, 'sdxl', 'controlnets', 'canny')},image=${canny}`, 'controlnet_family_mismatch: controlnets[0].model'],
      [`model=${path.join(root, 'controlnets', 'nope')},image=${canny}`, 'controlnet_model_missing: controlnets[0].model'],
      [`model=${path.join(root, 'controlnets', 'canny')},image=${broken}`, 'controlnet_image_invalid: controlnets[0].image'],
    ];
    for (const [spec, expected] of cases) {
      const args = [entry, '--model', path.join(root, 'model'), '--num-inference-steps', '2', '--controlnet', spec, '--out', path.join(out, 'error.png')];
      await assert.rejects(run(process.execPath, args), (error: Error & { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.ok(error.stderr?.startsWith(expected), `stderr: ${error.stderr}`);
        return true;
      });
    }
  });

  it('parses repeated --controlnet flags and --guess-mode, and lists them in --help', async () => {
    const { parsePipelineArgs } = await import('./cli-options.js');
    const options = parsePipelineArgs(['--model', 'm', '--controlnet', 'model=a,image=a.png', '--controlnet', 'model=b,image=b.png,scale=0.5,start=0.2,end=0.8', '--guess-mode']);
    assert.deepEqual(options.controlnet, [
      { model: 'a', image: 'a.png', scale: 1, start: 0, end: 1 },
      { model: 'b', image: 'b.png', scale: 0.5, start: 0.2, end: 0.8 },
    ]);
    assert.equal(options.guess_mode, true);
    assert.throws(() => parsePipelineArgs(['--model', 'm', '--controlnet', 'model=a,image=b,start=0.9,end=0.1']), /--controlnet\.0\.start/);
    assert.throws(() => parsePipelineArgs(['--model', 'm', '--controlnet', 'model=a,image=b,weight=2']), /--controlnet/);
    const { stdout } = await run(process.execPath, [entry, '--help']);
    for (const flag of ['--controlnet', '--guess-mode', '--init-latent-noise', '--prompt-embeds']) assert.ok(stdout.includes(`  ${flag} `), `usage lists ${flag}`);
  });
});
