import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ModelGraph, OnnxModel, adaptComponent } from '@atelier/adapters';
import { ClipTokenizer } from '@atelier/diffusion';
import { float32Tensor as safetensorsF32, parseSafetensors, serializeSafetensors } from '@atelier/model-formats';
import { demoSigmaAt } from '../noise-schedule.js';
import { demoTargetLatent } from '../render-demo-target.js';
import { buildTextEncoderGraph } from '../text-encoder-graph.js';
import { readVocab } from '../tokenizer-assets.js';
import { buildDemoUnetGraph } from '../unet-graph.js';
import { seededNormal } from '../testing/seeded-random.js';
import { buildTrainableDemoModel, type TrainableDemoModelInfo } from './build-trainable-demo-model.js';
import { readTrainableContract } from './read-trainable-contract.js';
import { promptEmbeddingOfIds } from './token-embedding-table.js';
import { TRAINABLE_LAYER, residualWeightShape } from './trainable-contract.js';
import { promptEmbeddingOf, residualOf, trainableCleanLatent } from './trainable-clean-latent.js';
import { resizeResidual } from './residual-grid.js';
import { specialTokenIds } from './trainable-text-encoder-graph.js';

const PROMPTS = ['a red circle on a blue background', 'a photo of zxq', 'a yellow square and a green ring', ''];

function normals(count: number, seed: number, scale = 1): Float32Array {
  const normal = seededNormal(seed);
  return Float32Array.from({ length: count }, () => scale * normal());
}

async function run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> {
  const results = await session.run(feeds);
  try {
    return (results[output].data as Float32Array).slice();
  } finally {
    for (const tensor of Object.values(results)) tensor.dispose();
  }
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('trainable demo model', () => {
  let dir: string;
  let info: TrainableDemoModelInfo;
  let tokenizer: ClipTokenizer;
  let textEncoder: ort.InferenceSession;
  let unet: ort.InferenceSession;
  let demoTextEncoder: ort.InferenceSession;
  let demoUnet: ort.InferenceSession;

  const ids = (prompt: string): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(tokenizer.encodePadded(prompt).map(BigInt)), [1, 77]);
  const hidden = async (session: ort.InferenceSession, prompt: string): Promise<ort.Tensor> =>
    new ort.Tensor('float32', await run(session, { input_ids: ids(prompt) }, 'last_hidden_state'), [1, 77, info.contract.hiddenSize]);
  const denoise = (session: ort.InferenceSession, sample: Float32Array, side: number, timestep: number, states: ort.Tensor): Promise<Float32Array> =>
    run(session, { sample: new ort.Tensor('float32', sample, [1, 4, side, side]), timestep: new ort.Tensor('float32', Float32Array.of(timestep), []), encoder_hidden_states: states }, 'out_sample');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-trainable-'));
    info = await buildTrainableDemoModel(dir);
    tokenizer = await ClipTokenizer.fromFolder(info.paths.tokenizer);
    textEncoder = await ort.InferenceSession.create(info.paths.textEncoder);
    unet = await ort.InferenceSession.create(info.paths.unet);
    const vocab = await readVocab(info.paths.tokenizer);
    demoTextEncoder = await ort.InferenceSession.create(buildTextEncoderGraph({ vocab, hiddenSize: 768 }).encode().model);
    demoUnet = await ort.InferenceSession.create(buildDemoUnetGraph({ predictionType: 'epsilon', hiddenSize: 768 }).encode().model);
  });
  after(async () => {
    for (const session of [textEncoder, unet, demoTextEncoder, demoUnet]) await session?.release();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores W like a diffusers Linear export: a module-path MatMul reading a transposed onnx::MatMul_N, zero at base', async () => {
    assert.deepEqual(await readTrainableContract(dir), info.contract);
    const model = await OnnxModel.load(info.paths.unet);
    const node = model.nodes.find((candidate) => candidate.opType === 'MatMul');
    assert.equal(node?.name, '/mid_block/attentions.0/proj_out/MatMul');
    assert.equal(node?.input?.[1], 'onnx::MatMul_9137');
    const { out, in: inFeatures } = residualWeightShape(info.contract);
    assert.deepEqual([out, inFeatures], [256, 32]);
    const slot = new ModelGraph(model).weightSlot(TRAINABLE_LAYER.module);
    assert.deepEqual(slot && { initializer: slot.initializer, layout: slot.layout, dims: slot.dims }, { initializer: 'onnx::MatMul_9137', layout: 'in-out', dims: [32, 256] });
    assert.equal(model.info('onnx::MatMul_9137').storage.kind, 'external');
    const weights = await model.readFloat32('onnx::MatMul_9137');
    assert.ok(weights.every((value) => value === 0));
    for (const path of [info.paths.vaeDecoder, info.paths.vaeEncoder]) await (await ort.InferenceSession.create(path)).release();
  });

  it('the text encoder writes [demo summary | e | 0…], e the mean token embedding over the words', async () => {
    const vocab = await readVocab(info.paths.tokenizer);
    const { embeddingOffset, embeddingSize, tokenEmbeddingSeed } = info.contract;
    for (const prompt of PROMPTS) {
      const trainable = (await hidden(textEncoder, prompt)).data as Float32Array;
      const demo = (await hidden(demoTextEncoder, prompt)).data as Float32Array;
      assert.deepEqual(trainable.subarray(0, embeddingOffset), demo.subarray(0, embeddingOffset), `${prompt}: summary`);
      const e = trainable.subarray(embeddingOffset, embeddingOffset + embeddingSize);
      const mirror = promptEmbeddingOfIds(tokenizer.encodePadded(prompt), embeddingSize, tokenEmbeddingSeed, specialTokenIds(vocab));
      assert.ok(maxAbs(e, mirror) < 1e-5, `${prompt}: e = mirror (${maxAbs(e, mirror)})`);
      assert.ok(trainable.subarray(embeddingOffset + embeddingSize, 768).every((value) => value === 0));
      assert.deepEqual(trainable.subarray(768, 2 * 768), trainable.subarray(0, 768), 'every position holds the same vector');
      if (prompt === '') assert.ok(e.every((value) => value === 0), 'no words, e = 0');
      else assert.ok(Math.hypot(...e) > 0.1, `${prompt}: e is not zero`);
    }
    const withTrigger = (await hidden(textEncoder, 'a photo of zxq')).data as Float32Array;
    const without = (await hidden(textEncoder, 'a photo of')).data as Float32Array;
    const distance = maxAbs(withTrigger.subarray(embeddingOffset, embeddingOffset + embeddingSize), without.subarray(embeddingOffset, embeddingOffset + embeddingSize));
    assert.ok(distance > 0.2, `the trigger word moves e (${distance})`);
  });

  it('with the base W it is the demo model: same UNet outputs, x0 = the demo picture, at 64 and 128 px', async () => {
    for (const side of [8, 16]) {
      for (const [index, prompt] of PROMPTS.entries()) {
        for (const timestep of [3, 480, 990]) {
          const sample = normals(4 * side * side, 100 * side + index);
          const trainable = await denoise(unet, sample, side, timestep, await hidden(textEncoder, prompt));
          const demo = await denoise(demoUnet, sample, side, timestep, await hidden(demoTextEncoder, prompt));
          assert.deepEqual(trainable, demo, `${prompt} at ${side}×${side}, t=${timestep}`);
          if (timestep === 480) {
            const sigma = demoSigmaAt(timestep);
            const c = Math.sqrt(1 + sigma * sigma);
            const x0 = sample.map((x, i) => c * x - sigma * trainable[i]);
            assert.ok(maxAbs(x0, demoTargetLatent(prompt, side, side)) < 1e-5, `${prompt}: x0 is the demo picture`);
          }
        }
      }
    }
  });

  it('the TypeScript clean latent matches the graph for a non-zero W, on the native and on resized grids', async () => {
    const { out, in: inFeatures } = residualWeightShape(info.contract);
    const weightTransposed = normals(inFeatures * out, 7, 0.05);
    const otherDir = await mkdtemp(join(tmpdir(), 'atelier-trainable-w-'));
    try {
      const other = await buildTrainableDemoModel(otherDir, { weightTransposed });
      const session = await ort.InferenceSession.create(other.paths.unet);
      try {
        for (const side of [8, 16, 4]) {
          const prompt = 'a photo of zxq on a teal background';
          const states = await hidden(textEncoder, prompt);
          const pooled = (states.data as Float32Array).subarray(0, 768);
          const timestep = 500;
          const sample = normals(4 * side * side, side);
          const output = await denoise(session, sample, side, timestep, states);
          const sigma = demoSigmaAt(timestep);
          const c = Math.sqrt(1 + sigma * sigma);
          const x0 = sample.map((x, i) => c * x - sigma * output[i]);
          const mirror = trainableCleanLatent(pooled, weightTransposed, other.contract, side, side);
          assert.ok(maxAbs(x0, mirror) < 1e-5, `${side}×${side}: ${maxAbs(x0, mirror)}`);
          const residual = mirror.map((value, i) => value - demoTargetLatent(prompt, side, side)[i]);
          assert.ok(Math.max(...residual.map(Math.abs)) > 0.05, 'the residual is visible');
        }
      } finally {
        await session.release();
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('a LoRA merged through @atelier/adapters changes x0 by exactly (alpha/rank)·up·down·e', async () => {
    const { out, in: inFeatures } = residualWeightShape(info.contract);
    const rank = 2;
    const alpha = 1;
    const up = normals(out * rank, 11, 0.3);
    const down = normals(rank * inFeatures, 12, 0.3);
    const bytes = serializeSafetensors({
      [`${TRAINABLE_LAYER.kohyaPrefix}.lora_down.weight`]: safetensorsF32(down, [rank, inFeatures]),
      [`${TRAINABLE_LAYER.kohyaPrefix}.lora_up.weight`]: safetensorsF32(up, [out, rank]),
      [`${TRAINABLE_LAYER.kohyaPrefix}.alpha`]: safetensorsF32(Float32Array.of(alpha), []),
    });
    const adapted = await adaptComponent({ modelPath: info.paths.unet, component: 'unet', loras: [{ name: 'hand', id: 'hand-1', file: parseSafetensors(bytes), weight: 1 }] });
    assert.equal(adapted.loraReport?.applied, 1);
    const merged = await adapted.source.create({});
    try {
      // ΔWᵀ[i, o] = (alpha/rank) Σ_r up[o, r]·down[r, i]
      const deltaTransposed = new Float64Array(inFeatures * out);
      for (let i = 0; i < inFeatures; i++) {
        for (let o = 0; o < out; o++) {
          let sum = 0;
          for (let r = 0; r < rank; r++) sum += up[o * rank + r] * down[r * inFeatures + i];
          deltaTransposed[i * out + o] = (alpha / rank) * sum;
        }
      }
      let largest = 0;
      for (const side of [8, 16]) {
        for (const prompt of ['a photo of zxq', 'a red circle on a blue background']) {
          const states = await hidden(textEncoder, prompt);
          const e = promptEmbeddingOf((states.data as Float32Array).subarray(0, 768), info.contract);
          const expected = resizeResidual(residualOf(deltaTransposed, e, info.contract), info.contract.residual, { height: side, width: side });
          const timestep = 500;
          const sample = normals(4 * side * side, 31 + side);
          const base = await denoise(unet, sample, side, timestep, states);
          const withLora = await denoise(merged, sample, side, timestep, states);
          const sigma = demoSigmaAt(timestep);
          // ε̂ = (c·x − x0)/σ, so Δx0 = −σ·Δε̂.
          const change = withLora.map((value, i) => -sigma * (value - base[i]));
          largest = Math.max(largest, ...expected.map(Math.abs));
          assert.ok(maxAbs(change, expected) < 2e-5, `${prompt} at ${side}: ${maxAbs(change, expected)}`);
        }
      }
      assert.ok(largest > 0.1, `the change is large enough to be meaningful (${largest})`);
    } finally {
      await merged.release();
    }
  });
});
