import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { saveExport, randomWeights } from '@atelier/adapters/testing';
import { UNET_INPUTS, UNET_SHAPES, unetLikeGraph } from '@atelier/adapters/testing';
import { float32Tensor, serializeSafetensors } from '@atelier/model-formats';

const run = promisify(execFile);
const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');

describe('npm run refit (a real process)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'refit-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes the checkpoint weights into a new servable export and reports what it mapped', async () => {
    const base = path.join(dir, 'base');
    await saveExport(unetLikeGraph(randomWeights(UNET_SHAPES, 1)), path.join(base, 'unet', 'model.onnx'), true);
    const tuned = randomWeights(UNET_SHAPES, 2);
    const checkpoint = serializeSafetensors(
      new Map([
        ['model.diffusion_model.input_blocks.0.0.weight', float32Tensor(tuned['conv_in.weight'], UNET_SHAPES['conv_in.weight'])],
        ['model.diffusion_model.input_blocks.0.0.bias', float32Tensor(tuned['conv_in.bias'], UNET_SHAPES['conv_in.bias'])],
        ['model.diffusion_model.not_a_layer.weight', float32Tensor(new Float32Array([1]), [1])],
      ]),
    );
    await writeFile(path.join(dir, 'tuned.safetensors'), checkpoint);
    const out = path.join(dir, 'tuned-export');
    const { stdout } = await run(process.execPath, [entry, '--checkpoint', path.join(dir, 'tuned.safetensors'), '--base', base, '--out', out]);
    const report = JSON.parse(stdout) as { unmapped: number; components: unknown[] };
    assert.ok(report.unmapped >= 1, 'the stray tensor is reported');
    assert.ok((await stat(path.join(out, 'unet', 'model.onnx'))).size > 0);
    const session = await ort.InferenceSession.create(path.join(out, 'unet', 'model.onnx'));
    assert.deepEqual([...session.inputNames].sort(), Object.keys(UNET_INPUTS).sort());
    await session.release();
    await assert.rejects(run(process.execPath, [entry, '--checkpoint', path.join(dir, 'tuned.safetensors'), '--base', base]), /--out is required/);
  });
});
