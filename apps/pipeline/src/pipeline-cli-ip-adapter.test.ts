/**
 * `npm run pipeline` with an image prompt, as a real process, on the tiny fixture with an
 * IP-Adapter and image-token UNets written by our own graph builders.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { encodePng } from '@atelier/diffusion';
import { syntheticRgb8, writeIpAdapterFolder, writeIpPipelineFolder } from '@atelier/diffusion/testing';
import { sharedFixture } from '@atelier/testing';
import { parsePipelineArgs } from './cli-options.js';

const run = promisify(execFile);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

describe('npm run pipeline --ip-adapter (the CLI, as a real process)', () => {
  let out: string;
  let model: string;
  let adapter: string;
  let first: string;
  let second: string;

  before(async () => {
    out = await mkdtemp(path.join(tmpdir(), 'pipeline-cli-ip-'));
    model = await writeIpPipelineFolder(path.join(sharedFixture('controlnet-tiny-onnx'), 'model'), path.join(out, 'model'), { imageTokens: 'dynamic', scaleInput: true });
    adapter = await writeIpAdapterFolder(path.join(out, 'adapter'), { width: 32, tokens: 4, plus: false, family: 'sd15' });
    for (const [variant, name] of [[0, 'first.png'], [1, 'second.png']] as const) {
      const image = syntheticRgb8(160, 120, variant);
      await writeFile(path.join(out, name), encodePng(image.data, image.width, image.height));
    }
    first = path.join(out, 'first.png');
    second = path.join(out, 'second.png');
  });
  after(() => rm(out, { recursive: true, force: true }));

  const generate = async (name: string, extra: readonly string[]): Promise<Buffer> => {
    const raw = path.join(out, `${name}.f32`);
    const args = [entry, '--model', model, '--prompt', 'a cat', '--num-inference-steps', '3', '--scheduler', 'DDIMScheduler', '--img-width', '64', '--img-height', '64', '--seed', '5'];
    const { stdout } = await run(process.execPath, [...args, ...extra, '--out', path.join(out, `${name}.png`), '--output-raw', raw]);
    assert.ok(stdout.includes(`${name}.png`));
    return readFile(raw);
  };

  it('an image prompt steers the picture; scale 0 is byte for byte the run without adapter; two images run together', async () => {
    const without = await generate('without', []);
    const zero = await generate('zero', ['--ip-adapter', adapter, '--ip-image', first, '--ip-scale', '0']);
    const withFirst = await generate('first', ['--ip-adapter', adapter, '--ip-image', first, '--ip-scale', '0.8']);
    const withSecond = await generate('second', ['--ip-adapter', adapter, '--ip-image', second, '--ip-scale', '0.8']);
    const both = await generate('both', ['--ip-adapter', adapter, '--ip-image', first, '--ip-image', second]);
    assert.ok(zero.equals(without));
    assert.ok(!withFirst.equals(without));
    assert.ok(!withFirst.equals(withSecond));
    assert.ok(!both.equals(withFirst));
  });

  it('exits 1 with the error code for a missing adapter and for a model without image-token UNet', async () => {
    const cases: Array<[string[], string]> = [
      [['--model', model, '--ip-adapter', path.join(out, 'nope'), '--ip-image', first], 'ip_adapter_model_missing: ip_adapter.model'],
      [['--model', path.join(sharedFixture('controlnet-tiny-onnx'), 'model'), '--ip-adapter', adapter, '--ip-image', first], 'ip_adapter_unet_missing: ip_adapter.model'],
    ];
    for (const [args, expected] of cases) {
      await assert.rejects(run(process.execPath, [entry, ...args, '--num-inference-steps', '2', '--out', path.join(out, 'error.png')]), (error: Error & { code?: number; stderr?: string }) => {
        assert.equal(error.code, 1);
        assert.ok(error.stderr?.startsWith(expected), `stderr: ${error.stderr}`);
        return true;
      });
    }
  });

  it('parses --ip-adapter, repeated --ip-image and --ip-scale, checks they go together, and lists them in --help', async () => {
    const options = parsePipelineArgs(['--model', 'm', '--ip-adapter', 'a', '--ip-image', 'x.png', '--ip-image', 'y.png', '--ip-scale', '0.6']);
    assert.equal(options.ip_adapter, 'a');
    assert.deepEqual(options.ip_image, ['x.png', 'y.png']);
    assert.equal(options.ip_scale, 0.6);
    assert.equal(parsePipelineArgs(['--model', 'm']).ip_scale, 1);
    assert.throws(() => parsePipelineArgs(['--model', 'm', '--ip-image', 'x.png']), /--ip_image: needs --ip-adapter/);
    assert.throws(() => parsePipelineArgs(['--model', 'm', '--ip-adapter', 'a']), /--ip_adapter: needs at least one --ip-image/);
    const { stdout } = await run(process.execPath, [entry, '--help']);
    for (const flag of ['--ip-adapter', '--ip-image', '--ip-scale']) assert.ok(stdout.includes(`  ${flag} `), `usage lists ${flag}`);
    assert.ok(!stdout.includes('(default: -)'));
  });
});
