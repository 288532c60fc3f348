import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { adaptComponent } from '@atelier/adapters';
import { buildTrainableDemoModel, trainableCleanLatent, type TrainableDemoModelInfo } from '@atelier/demo-model';
import { parseSafetensors } from '@atelier/model-formats';
import { serializeLora, type LoraWeights } from '../lora/lora-weights.js';
import { encodeDemoLatent } from './latent-encoding.js';
import { LoraDenoiser, type DenoisingExample, type NoiseDraw } from './lora-denoiser.js';
import { openTrainableBase, type TrainableBase } from './trainable-base.js';
import { TrainingRandom } from './training-random.js';

const RESIDUAL = { channels: 4, height: 8, width: 8 };

function randomWeights(random: TrainingRandom, rank: number, alpha: number, scale = 0.3): LoraWeights {
  const values = (count: number): Float32Array => Float32Array.from({ length: count }, () => scale * random.normal());
  return { prefix: 'lora_unet_mid_block_attentions_0_proj_out', rank, alpha, inFeatures: 32, outFeatures: 256, down: values(rank * 32), up: values(256 * rank) };
}

function randomExample(random: TrainingRandom, latentSize: number): DenoisingExample {
  const values = (count: number, scale: number): Float32Array => Float32Array.from({ length: count }, () => scale * random.normal());
  return { cleanLatent: values(latentSize, 0.2), fixedLatent: values(latentSize, 0.2), embedding: values(32, 0.5), lossWeight: 1.5 };
}

describe('LoraDenoiser gradients', () => {
  for (const side of [8, 12]) {
    it(`match central finite differences on a ${side}×${side} latent grid (exact for a loss quadratic in each weight)`, () => {
      const random = TrainingRandom.fromSeed(side);
      const denoiser = new LoraDenoiser(RESIDUAL, { height: side, width: side });
      const weights = randomWeights(random, 3, 2);
      const example = randomExample(random, denoiser.latentSize);
      const draw: NoiseDraw = { timestep: 420, noise: Float64Array.from({ length: denoiser.latentSize }, () => random.normal()) };
      for (const minSnrGamma of [undefined, 0.5]) {
        const gradients = { down: new Float64Array(weights.down.length), up: new Float64Array(weights.up.length) };
        denoiser.lossAndGradient(weights, example, draw, { minSnrGamma, gradientScale: 1 }, gradients);
        const loss = (): number => denoiser.lossAndGradient(weights, example, draw, { minSnrGamma, gradientScale: 1 }, { down: new Float64Array(weights.down.length), up: new Float64Array(weights.up.length) });
        for (const [name, values, analytic] of [['down', weights.down, gradients.down], ['up', weights.up, gradients.up]] as const) {
          for (const index of [0, 5, values.length - 1, Math.floor(values.length / 2)]) {
            const original = values[index];
            values[index] = original + 1e-2;
            const plus = loss();
            const stepUp = values[index] - original;
            values[index] = original - 1e-2;
            const minus = loss();
            const stepDown = original - values[index];
            values[index] = original;
            const numeric = (plus - minus) / (stepUp + stepDown);
            const tolerance = 1e-6 * Math.max(1, Math.abs(numeric)) + 1e-9;
            assert.ok(Math.abs(numeric - analytic[index]) < tolerance, `${name}[${index}], γ=${minSnrGamma}: numeric ${numeric} vs analytic ${analytic[index]}`);
          }
        }
        assert.ok(Math.max(...gradients.up.map(Math.abs)) > 1e-3, 'the gradient is not trivially zero');
      }
    });
  }

  it('the loss is zero exactly when the LoRA reproduces the data (for any noise and timestep)', () => {
    const random = TrainingRandom.fromSeed(9);
    const denoiser = new LoraDenoiser(RESIDUAL, { height: 8, width: 8 });
    const weights = randomWeights(random, 2, 1);
    const example = randomExample(random, denoiser.latentSize);
    const delta = denoiser.cleanLatentDelta(weights, example.embedding);
    const perfect = { ...example, cleanLatent: example.fixedLatent.map((value, i) => value + delta[i]) };
    for (const timestep of [0, 500, 999]) {
      const draw = { timestep, noise: Float64Array.from({ length: denoiser.latentSize }, () => random.normal()) };
      const into = { down: new Float64Array(weights.down.length), up: new Float64Array(weights.up.length) };
      assert.ok(denoiser.lossAndGradient(weights, perfect, draw, { gradientScale: 1 }, into) < 1e-9);
      assert.ok(denoiser.lossAndGradient(weights, example, draw, { gradientScale: 1 }, into) > 1e-4);
    }
  });
});

describe('the TypeScript forward pass against the ONNX model', () => {
  let dir: string;
  let info: TrainableDemoModelInfo;
  let base: TrainableBase;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atelier-denoiser-'));
    info = await buildTrainableDemoModel(dir);
    base = await openTrainableBase(dir);
  });
  after(async () => {
    await base?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('predictNoise equals the UNet with the LoRA merged through @atelier/adapters, at 64 and 128 px', async () => {
    const random = TrainingRandom.fromSeed(5);
    const weights = randomWeights(random, 3, 2, 0.4);
    const file = parseSafetensors(serializeLora(weights));
    const adapted = await adaptComponent({ modelPath: info.paths.unet, component: 'unet', loras: [{ name: 'random', id: 'random-1', file, weight: 1 }] });
    assert.equal(adapted.loraReport?.applied, 1);
    const session = await adapted.source.create({});
    try {
      let worst = 0;
      let largest = 0;
      for (const side of [8, 16]) {
        const denoiser = new LoraDenoiser(info.contract.residual, { height: side, width: side });
        for (const prompt of ['a photo of zxq', 'a blue triangle on a pink background']) {
          const pooled = await base.encode(prompt);
          const fixedLatent = trainableCleanLatent(pooled, base.weightTransposed, info.contract, side, side);
          const embedding = pooled.subarray(info.contract.embeddingOffset, info.contract.embeddingOffset + info.contract.embeddingSize);
          const hidden = new Float32Array(77 * pooled.length);
          for (let s = 0; s < 77; s++) hidden.set(pooled, s * pooled.length);
          for (const timestep of [10, 500, 999]) {
            const draw = { timestep, noise: Float64Array.from({ length: denoiser.latentSize }, () => random.normal()) };
            const sample = Float32Array.from(denoiser.noisySample(Float32Array.from({ length: denoiser.latentSize }, () => 0.2 * random.normal()), draw));
            const expected = denoiser.predictNoise(weights, fixedLatent, embedding, sample, timestep);
            const results = await session.run({
              sample: new ort.Tensor('float32', sample, [1, 4, side, side]),
              timestep: new ort.Tensor('float32', Float32Array.of(timestep), []),
              encoder_hidden_states: new ort.Tensor('float32', hidden, [1, 77, pooled.length]),
            });
            const actual = results.out_sample.data as Float32Array;
            for (let i = 0; i < actual.length; i++) {
              worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
              largest = Math.max(largest, Math.abs(expected[i]));
            }
            results.out_sample.dispose();
          }
        }
      }
      assert.ok(worst < 1e-4, `largest relative difference ${worst}`);
      assert.ok(largest > 1, 'outputs are not trivially small');
    } finally {
      await session.release();
    }
  });

  it('encodeDemoLatent equals the model’s vae_encoder (mean × scaling factor)', async () => {
    const session = await ort.InferenceSession.create(info.paths.vaeEncoder);
    try {
      const random = TrainingRandom.fromSeed(6);
      const width = 32;
      const height = 24;
      const data = Float32Array.from({ length: width * height * 3 }, () => random.uniform());
      const planar = new Float32Array(data.length);
      for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) planar[c * width * height + i] = data[i * 3 + c] * 2 - 1;
      const results = await session.run({ sample: new ort.Tensor('float32', planar, [1, 3, height, width]) });
      const parameters = results.latent_parameters.data as Float32Array;
      const mean = parameters.subarray(0, 4 * (width / 8) * (height / 8));
      const latent = encodeDemoLatent({ width, height, data }, info.contract.scalingFactor);
      for (let i = 0; i < latent.length; i++) assert.ok(Math.abs(latent[i] - mean[i] * info.contract.scalingFactor) < 1e-6, `latent[${i}]`);
      results.latent_parameters.dispose();
    } finally {
      await session.release();
    }
  });
});
