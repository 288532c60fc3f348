/**
 * Oracle test: with a perfect denoiser for a single known latent x₀ (testing/exact-denoiser.ts),
 * the probability-flow ODE has the closed-form solution x_σ = x₀ + σ·ε, so every sampler must end
 * on x₀, whatever its order, and ancestral/SDE samplers too (their x̂₀ is exact at every step).
 * Samplers that stop at ᾱ₀ instead of ᾱ = 1 (DDIM/PNDM with set_alpha_to_one off, DEIS at σ_min)
 * must end on √ᾱ₀·x₀ + √(1−ᾱ₀)·ε.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import type { NoiseScheduleConfig, PredictionType, Scheduler, TimestepSpacing } from './scheduler.js';
import { parseSchedulerConfig } from './config.js';
import { SCHEDULERS, type RegisteredScheduler } from './registry.js';
import { GOLDEN_CONFIG_JSON } from './testing/golden-config.js';
import { alphaBarAt, alphaBarTable, exactDenoiser, maxAbsDifference, sample, targetLatent } from './testing/exact-denoiser.js';

const SIZE = 512;
const target = targetLatent(SIZE);
const ACCEPTS_SAMPLE_PREDICTION = new Set(['ddim', 'ddpm', 'lcm', 'euler', 'lms', 'heun', 'dpmpp-2m', 'dpmpp-2m-sde', 'dpm-single', 'unipc', 'deis']);

interface Case {
  readonly definition: RegisteredScheduler;
  readonly prediction: PredictionType;
  readonly spacing: TimestepSpacing;
  readonly karras: boolean;
  readonly setAlphaToOne: boolean;
}

function endsAtAlphaZero({ definition, setAlphaToOne }: Case): boolean {
  return definition.id === 'deis' || (!setAlphaToOne && (definition.id === 'ddim' || definition.id === 'pndm'));
}

/** Where the exact ODE ends: x₀, or the ᾱ₀ point on the same trajectory. */
function expectedEnd(item: Case, config: NoiseScheduleConfig, scheduler: Scheduler, start: Float32Array): Float32Array {
  if (!endsAtAlphaZero(item)) return target;
  const table = alphaBarTable(config);
  const first = alphaBarAt(table, scheduler.timesteps[0]);
  const input = scheduler.scaleModelInput(start, 0);
  return target.map((x0, i) => {
    const epsilon = (input[i] - Math.sqrt(first) * x0) / Math.sqrt(1 - first);
    return Math.sqrt(table[0]) * x0 + Math.sqrt(1 - table[0]) * epsilon;
  });
}

/**
 * Exact up to float32 rounding, except where diffusers' own algorithm is not exact for this data:
 * PNDM extrapolates raw v outputs from different timesteps before converting them to ε, and
 * DEIS with Karras σ evaluates the UNet at rounded timesteps yet stops short of σ = 0.
 */
function tolerance({ definition, prediction, karras }: Case): number {
  if (definition.id === 'pndm' && prediction === 'v_prediction') return 2e-2;
  if (definition.id === 'deis' && karras) return 1e-2;
  return 2e-5;
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const definition of SCHEDULERS) {
    const predictions: PredictionType[] = ['epsilon', 'v_prediction'];
    if (ACCEPTS_SAMPLE_PREDICTION.has(definition.id)) predictions.push('sample');
    // diffusers' DDIM/PNDM always step back ⌊N/n⌋, which linspace timesteps do not follow.
    const spacings: TimestepSpacing[] = ['ddim', 'pndm'].includes(definition.id) ? ['leading', 'trailing'] : ['leading', 'trailing', 'linspace'];
    for (const prediction of predictions) {
      for (const spacing of spacings) {
        for (const karras of definition.supportsKarras ? [false, true] : [false]) {
          all.push({ definition, prediction, spacing, karras, setAlphaToOne: false });
          if (definition.id === 'ddim' || definition.id === 'pndm') all.push({ definition, prediction, spacing, karras, setAlphaToOne: true });
        }
      }
    }
  }
  return all;
}

for (const item of cases()) {
  const { definition, prediction, spacing, karras, setAlphaToOne } = item;
  const steps = definition.id === 'lcm' ? 4 : 25;
  const name = `${definition.id} converges to the exact target: ${prediction}, ${spacing}${karras ? ', Karras' : ''}${setAlphaToOne ? ', set_alpha_to_one' : ''}, ${steps} steps`;
  test(name, () => {
    const config = parseSchedulerConfig({ ...GOLDEN_CONFIG_JSON, prediction_type: prediction, timestep_spacing: spacing, set_alpha_to_one: setAlphaToOne });
    const scheduler = definition.create(config, { steps, noise: createNoise(2024), karras });
    const start = createNoise(7).randn(SIZE).map((x) => x * scheduler.initNoiseSigma);
    const result = sample(scheduler, start, exactDenoiser(config, target, prediction));
    const error = maxAbsDifference(result, expectedEnd(item, config, scheduler, start));
    assert.ok(error < tolerance(item), `max abs error ${error.toExponential(2)} ≥ ${tolerance(item)}`);
  });
}

test('the ᾱ₀ end point really differs from x₀, so those cases are not vacuous', () => {
  const config = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
  const ddim = SCHEDULERS.find((d) => d.id === 'ddim') as RegisteredScheduler;
  const scheduler = ddim.create(config, { steps: 25, noise: createNoise(0) });
  const start = createNoise(7).randn(SIZE);
  const result = sample(scheduler, start, exactDenoiser(config, target, 'v_prediction'));
  assert.ok(maxAbsDifference(result, target) > 0.02);
});
