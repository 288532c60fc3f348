/**
 * The Scheduler contract, checked for every registered sampler: schedule shape, purity of
 * `step`, noise levels, img2img start, and reproducibility from the noise seed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import type { NoiseScheduleConfig, PredictionType, Scheduler } from './scheduler.js';
import { parseSchedulerConfig } from './config.js';
import { SCHEDULERS, type RegisteredScheduler } from './registry.js';
import { GOLDEN_CONFIG_JSON } from './testing/golden-config.js';
import { exactDenoiser, maxAbsDifference, sample, targetLatent, type Denoiser } from './testing/exact-denoiser.js';
import { countTypedArrayAllocations } from './testing/allocation-counter.js';

const SIZE = 256;
const STEPS = 10;

function configFor(prediction: PredictionType): NoiseScheduleConfig {
  return parseSchedulerConfig({ ...GOLDEN_CONFIG_JSON, prediction_type: prediction });
}

function create(definition: RegisteredScheduler, config: NoiseScheduleConfig, seed = 99, karras = false): Scheduler {
  return definition.create(config, { steps: definition.id === 'lcm' ? 4 : STEPS, noise: createNoise(seed), karras });
}

function expectedLength(definition: RegisteredScheduler, scheduler: Scheduler, steps: number): number {
  if (scheduler.order === 2) return 2 * steps - 1;
  return definition.id === 'pndm' ? steps + 1 : steps;
}

/** Bit patterns, so that −0 vs +0 and NaN payloads count as differences too. */
function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** The pipeline's loop: preallocated UNet input, the latents updated in place by `stepInto`. */
function runInPlace(scheduler: Scheduler, latents: Float32Array, model: Denoiser, input: Float32Array): void {
  for (let i = scheduler.beginIndex; i < scheduler.timesteps.length; i++) {
    scheduler.scaleModelInputInto(latents, i, input);
    scheduler.stepInto(model(input, scheduler.timesteps[i]), i, latents, latents);
  }
}

/** A model that writes into one reused output buffer, as the UNet runner does. */
function reusingModel(size: number): Denoiser {
  const out = new Float32Array(size);
  return (input) => {
    for (let i = 0; i < size; i++) out[i] = 0.5 * input[i] + 0.01;
    return out;
  };
}

function variance(values: Float32Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
}

/** An imperfect model, so that injected noise shows in the result. */
const shrinkingModel: Denoiser = (input) => input.map((x) => 0.5 * x);

function run(scheduler: Scheduler, model: Denoiser, seed = 1): Float32Array {
  const start = createNoise(seed).randn(SIZE).map((x) => x * scheduler.initNoiseSigma);
  return sample(scheduler, start, model);
}

for (const definition of SCHEDULERS) {
  describe(`scheduler ${definition.id}`, () => {
    const config = configFor('epsilon');
    const karrasModes = definition.supportsKarras ? [false, true] : [false];

    test('timesteps: one entry per model evaluation, non-increasing, inside the training range', () => {
      for (const karras of karrasModes) {
        const scheduler = create(definition, config, 99, karras);
        const steps = definition.id === 'lcm' ? 4 : STEPS;
        assert.equal(scheduler.timesteps.length, expectedLength(definition, scheduler, steps));
        assert.ok([1, 2].includes(scheduler.order));
        scheduler.timesteps.forEach((t, i) => {
          assert.ok(Number.isFinite(t) && t >= 0 && t <= config.num_train_timesteps - 1, `t=${t}`);
          // DPM2 a's midpoint is the next σ in exact arithmetic, and with Karras σ diffusers rounds
          // the main timesteps but not the midpoints: allow that half-step jitter, nothing more.
          if (i > 0) assert.ok(t <= scheduler.timesteps[i - 1] + 0.5, `timesteps increase at ${i}`);
        });
        assert.ok(scheduler.timesteps[0] > scheduler.timesteps[scheduler.timesteps.length - 1]);
      }
    });

    test('initNoiseSigma is positive and beginIndex starts at 0', () => {
      const scheduler = create(definition, config);
      assert.ok(scheduler.initNoiseSigma > 0 && Number.isFinite(scheduler.initNoiseSigma));
      assert.equal(scheduler.beginIndex, 0);
    });

    test('step and scaleModelInput return new arrays of the right size and leave their inputs alone', () => {
      const scheduler = create(definition, config);
      const target = targetLatent(SIZE);
      const model = exactDenoiser(config, target, 'epsilon');
      let x: Float32Array = createNoise(3).randn(SIZE).map((v) => v * scheduler.initNoiseSigma);
      for (let i = 0; i < scheduler.timesteps.length; i++) {
        const xBefore = x.slice();
        const input = scheduler.scaleModelInput(x, i);
        assert.notEqual(input, x);
        assert.deepEqual(x, xBefore);
        const output = model(input, scheduler.timesteps[i]);
        const outputBefore = output.slice();
        const next = scheduler.step(output, i, x);
        assert.ok(next instanceof Float32Array);
        assert.equal(next.length, SIZE);
        assert.notEqual(next, x);
        assert.notEqual(next, output);
        assert.deepEqual(x, xBefore);
        assert.deepEqual(output, outputBefore);
        assert.ok(next.every(Number.isFinite), `non-finite output at step ${i}`);
        // Overwriting what the pipeline handed in must not affect later steps.
        x.fill(Number.NaN);
        output.fill(Number.NaN);
        x = next;
      }
      assert.ok(maxAbsDifference(x, target) < 0.2);
    });

    test('outputs stay finite for every prediction type it accepts, also with an imperfect model', () => {
      for (const prediction of ['epsilon', 'v_prediction', 'sample'] as const) {
        let scheduler: Scheduler;
        try {
          scheduler = create(definition, configFor(prediction));
        } catch (error) {
          assert.equal(prediction, 'sample', `${prediction} refused: ${(error as Error).message}`);
          continue;
        }
        assert.ok(run(scheduler, shrinkingModel).every(Number.isFinite));
      }
    });

    test('addNoise at index 0 brings a clean latent to the starting noise level', () => {
      const scheduler = create(definition, config);
      const original = createNoise(5).randn(SIZE * 16).map((x) => 0.5 * x);
      const noise = createNoise(6).randn(SIZE * 16);
      const noisy = scheduler.addNoise(original, noise, 0);
      assert.ok(variance(noisy) > variance(original) * 2);
      // Same scale as the pure-noise start, and unit variance once scaled for the model.
      const relative = variance(noisy) / scheduler.initNoiseSigma ** 2;
      assert.ok(relative > 0.85 && relative < 1.15, `variance ratio ${relative}`);
      const modelInput = variance(scheduler.scaleModelInput(noisy, 0));
      assert.ok(modelInput > 0.85 && modelInput < 1.15, `model input variance ${modelInput}`);
      assert.deepEqual(scheduler.addNoise(original, noise, 0), noisy);
    });

    test('setBeginIndex starts an img2img run part-way that still lands on the target', () => {
      for (const prediction of ['epsilon', 'v_prediction'] as const) {
        const predictionConfig = configFor(prediction);
        const scheduler = create(definition, predictionConfig);
        const begin = Math.floor(scheduler.timesteps.length / (2 * scheduler.order)) * scheduler.order;
        scheduler.setBeginIndex(begin);
        assert.equal(scheduler.beginIndex, begin);
        const target = targetLatent(SIZE);
        const start = scheduler.addNoise(target, createNoise(8).randn(SIZE), begin);
        const result = sample(scheduler, start, exactDenoiser(predictionConfig, target, prediction));
        // DDIM/PNDM/DEIS stop at ᾱ₀ rather than at 0 (set_alpha_to_one false / σ_min), leaving ~3% noise.
        const tolerance = ['ddim', 'pndm', 'deis'].includes(definition.id) ? 0.15 : 1e-3;
        assert.ok(maxAbsDifference(result, target) < tolerance, `${prediction}: ${maxAbsDifference(result, target)}`);
      }
      const scheduler = create(definition, config);
      assert.throws(() => scheduler.setBeginIndex(-1), RangeError);
      assert.throws(() => scheduler.setBeginIndex(scheduler.timesteps.length + 1), RangeError);
      assert.throws(() => scheduler.setBeginIndex(0.5), RangeError);
      // Strength 0: nothing left to run, and the loop returns its input.
      scheduler.setBeginIndex(scheduler.timesteps.length);
      const untouched = targetLatent(SIZE);
      assert.deepEqual(sample(scheduler, untouched, shrinkingModel), untouched);
    });

    test('the same noise seed reproduces the run; a reused instance restarts cleanly', () => {
      const first = run(create(definition, config, 11), shrinkingModel);
      const second = run(create(definition, config, 11), shrinkingModel);
      assert.deepEqual(first, second);
      const reused = create(definition, config, 11);
      const reusedFirst = run(reused, shrinkingModel);
      assert.deepEqual(reusedFirst, first);
      const otherNoise = run(create(definition, config, 12), shrinkingModel);
      if (definition.deterministic) {
        assert.deepEqual(otherNoise, first);
        assert.deepEqual(run(reused, shrinkingModel), first);
      } else {
        assert.ok(maxAbsDifference(otherNoise, first) > 1e-3, 'a stochastic sampler ignored its noise seed');
      }
    });

    test('stepInto in place, with reused buffers, is bit-identical to the allocating step (txt2img and img2img, every prediction type, Karras or not)', () => {
      for (const prediction of ['epsilon', 'v_prediction', 'sample'] as const) {
        for (const karras of karrasModes) {
          for (const part of [0, 0.4]) {
            let reference: Scheduler;
            try {
              reference = create(definition, configFor(prediction), 21, karras);
            } catch {
              continue; // refused prediction types are covered above
            }
            const inPlace = create(definition, configFor(prediction), 21, karras);
            const begin = Math.floor((reference.timesteps.length * part) / reference.order) * reference.order;
            reference.setBeginIndex(begin);
            inPlace.setBeginIndex(begin);
            const clean = targetLatent(SIZE);
            const noise = createNoise(22).randn(SIZE);
            const start = begin === 0 ? noise.map((x) => x * reference.initNoiseSigma) : reference.addNoise(clean, noise, begin);
            const latents = new Float32Array(SIZE);
            if (begin === 0) latents.set(start);
            else inPlace.addNoiseInto(clean, noise, begin, latents);
            assert.deepEqual(bits(latents), bits(start));
            const expected = sample(reference, start, shrinkingModel);
            runInPlace(inPlace, latents, shrinkingModel, new Float32Array(SIZE));
            assert.deepEqual(bits(latents), bits(expected), `${prediction}, karras ${karras}, begin ${begin}`);
          }
        }
      }
    });

    test('a run allocates no typed arrays per step: 2N steps allocate exactly as many as N', async () => {
      const steps = definition.id === 'lcm' ? [4, 8] : [10, 20];
      for (const karras of karrasModes) {
        for (const part of [0, 0.5]) {
          const counts: number[] = [];
          for (const count of steps) {
            const scheduler = definition.create(config, { steps: count, noise: createNoise(31), karras });
            const begin = Math.floor((scheduler.timesteps.length * part) / scheduler.order) * scheduler.order;
            scheduler.setBeginIndex(begin);
            const latents = createNoise(32).randn(SIZE);
            const input = new Float32Array(SIZE);
            const model = reusingModel(SIZE);
            const { count: allocated } = await countTypedArrayAllocations(() => runInPlace(scheduler, latents, model, input));
            counts.push(allocated);
            assert.ok(latents.every(Number.isFinite));
          }
          assert.equal(counts[1], counts[0], `karras ${karras}, from ${part}: ${steps.join(' vs ')} steps allocated ${counts.join(' vs ')} arrays`);
          // Only working buffers of the run itself: a handful, whatever the step count.
          assert.ok(counts[0] <= 8, `${counts[0]} typed arrays allocated in one run`);
        }
      }
    });

    test('rejects bad indices and mismatched sizes', () => {
      const scheduler = create(definition, config);
      const x = new Float32Array(SIZE);
      assert.throws(() => scheduler.step(x, scheduler.timesteps.length, x), RangeError);
      assert.throws(() => scheduler.scaleModelInput(x, -1), RangeError);
      assert.throws(() => scheduler.step(new Float32Array(SIZE - 1), 0, x));
      assert.throws(() => scheduler.stepInto(x, 0, x, new Float32Array(SIZE - 1)));
      // The output may overwrite the sample (in place), never the model output it is still reading.
      const output = new Float32Array(SIZE);
      assert.throws(() => scheduler.stepInto(output, 0, x, output), RangeError);
    });
  });
}
