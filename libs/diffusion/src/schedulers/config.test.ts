import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import type { Scheduler } from './scheduler.js';
import { parseSchedulerConfig, parseSchedulerConfigText } from './config.js';
import { SchedulerConfigError } from './errors.js';
import { resolveScheduler } from './registry.js';
import { GOLDEN_CONFIG_JSON } from './testing/golden-config.js';

test('parses the golden config, keeping scheduler-specific keys in extra', () => {
  const config = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
  assert.equal(config.num_train_timesteps, 1000);
  assert.equal(config.beta_schedule, 'scaled_linear');
  assert.equal(config.prediction_type, 'v_prediction');
  assert.equal(config.timestep_spacing, 'leading');
  assert.equal(config.steps_offset, 1);
  assert.equal(config.set_alpha_to_one, false);
  assert.equal(config.trained_betas, null);
  assert.equal(config.rescale_betas_zero_snr, false);
  assert.equal(config.clip_sample_range, 1);
  assert.deepEqual(config.extra, { _class_name: 'DDIMScheduler', skip_prk_steps: true });
  assert.ok(config.explicitKeys?.includes('timestep_spacing'));
  assert.ok(!config.explicitKeys?.includes('rescale_betas_zero_snr'));
});

test('missing keys take the declaring class defaults', () => {
  const euler = parseSchedulerConfig({ _class_name: 'EulerDiscreteScheduler' });
  assert.equal(euler.timestep_spacing, 'linspace');
  assert.equal(euler.beta_start, 0.0001);
  const ddim = parseSchedulerConfig({ _class_name: 'DDIMScheduler' });
  assert.equal(ddim.timestep_spacing, 'leading');
  assert.equal(ddim.clip_sample, true);
  assert.equal(ddim.set_alpha_to_one, true);
  const lcm = parseSchedulerConfig({ _class_name: 'LCMScheduler' });
  assert.equal(lcm.beta_schedule, 'scaled_linear');
  assert.equal(parseSchedulerConfig({}).num_train_timesteps, 1000);
  assert.equal(parseSchedulerConfig({ timestep_spacing: null }).timestep_spacing, 'leading');
});

test('a scheduler re-defaults the keys the file left out, like diffusers from_config', () => {
  // Stable Diffusion 1.x files predate timestep_spacing: PNDM/DDIM read it as leading, Euler as linspace.
  const sd15 = parseSchedulerConfig({
    _class_name: 'PNDMScheduler',
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    num_train_timesteps: 1000,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
  });
  const timesteps = (id: string): number[] => Array.from(resolveScheduler(id).definition.create(sd15, { steps: 4, noise: createNoise(0) }).timesteps);
  assert.deepEqual(timesteps('ddim'), [751, 501, 251, 1]);
  assert.deepEqual(timesteps('euler'), [999, 666, 333, 0]);
  // Without explicitKeys every field counts as set.
  const { explicitKeys: _ignored, ...allExplicit } = sd15;
  assert.deepEqual(Array.from(resolveScheduler('euler').definition.create(allExplicit, { steps: 4, noise: createNoise(0) }).timesteps), [751, 501, 251, 1]);
});

test('invalid configs are rejected with a SchedulerConfigError naming the problem', () => {
  assert.throws(() => parseSchedulerConfig('nope'), SchedulerConfigError);
  assert.throws(() => parseSchedulerConfig([1, 2]), SchedulerConfigError);
  assert.throws(() => parseSchedulerConfig({ beta_schedule: 'sigmoid' }), /beta_schedule/);
  assert.throws(() => parseSchedulerConfig({ prediction_type: 'flow' }), /prediction_type/);
  assert.throws(() => parseSchedulerConfig({ steps_offset: -1 }), /steps_offset/);
  assert.throws(() => parseSchedulerConfig({ num_train_timesteps: 10.5 }), /num_train_timesteps/);
  assert.throws(() => parseSchedulerConfig({ num_train_timesteps: 4, trained_betas: [0.1, 0.2] }), /trained_betas/);
});

test('scheduler-specific options are validated when a scheduler is created', () => {
  const base = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
  const create = (id: string, extra: Record<string, unknown>): unknown =>
    resolveScheduler(id).definition.create({ ...base, extra: { ...base.extra, ...extra } }, { steps: 10, noise: createNoise(0) });
  assert.throws(() => create('dpmpp-2m', { solver_order: 4 }), SchedulerConfigError);
  // The sampler id fixes the algorithm: a model file's algorithm_type does not turn 2M into 2M SDE.
  const firstStep = (extra: Record<string, unknown>): Float32Array => {
    const scheduler = create('dpmpp-2m', extra) as Scheduler;
    return scheduler.step(new Float32Array([0.5, -0.5]), 0, new Float32Array([1, 2]));
  };
  assert.deepEqual(firstStep({ algorithm_type: 'sde-dpmsolver++' }), firstStep({}));
  assert.throws(() => create('dpmpp-2m', { thresholding: true }), SchedulerConfigError);
  assert.throws(() => create('dpmpp-2m-sde', { solver_order: 3 }), SchedulerConfigError);
  assert.throws(() => create('euler', { interpolation_type: 'log_linear' }), SchedulerConfigError);
  assert.throws(() => create('unipc', { solver_type: 'bh3' }), SchedulerConfigError);
  assert.throws(() => create('unipc', { predict_x0: false }), SchedulerConfigError);
  assert.throws(() => create('ddpm', { variance_type: 'learned_range' }), SchedulerConfigError);
  assert.throws(() => create('lcm', { original_inference_steps: 2 }), SchedulerConfigError);
  assert.throws(() => create('pndm', { skip_prk_steps: 'yes' }), SchedulerConfigError);
  assert.doesNotThrow(() => create('dpmpp-2m', { solver_order: 3, solver_type: 'heun', algorithm_type: 'dpmsolver++' }));
  assert.doesNotThrow(() => create('unipc', { predict_x0: false, final_sigmas_type: 'sigma_min', solver_type: 'bh1', solver_order: 3 }));
});

test('Karras σ come from the request or from use_karras_sigmas in the file', () => {
  const base = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
  const config = { ...base, extra: { ...base.extra, use_karras_sigmas: true } };
  const euler = resolveScheduler('euler').definition;
  const timesteps = (c: typeof base, karras?: boolean): Float64Array => euler.create(c, { steps: 10, noise: createNoise(0), karras }).timesteps;
  const requested = timesteps(base, true);
  assert.notDeepEqual(requested, timesteps(base));
  assert.deepEqual(timesteps(base, false), timesteps(base));
  assert.deepEqual(timesteps(config), requested);
  assert.deepEqual(timesteps(config, false), requested);
});

test('parseSchedulerConfigText accepts the -Infinity and NaN Python writes', () => {
  const text = '{"_class_name": "DPMSolverMultistepScheduler", "lambda_min_clipped": -Infinity, "variance_type": null, "note": "Infinity, NaN \\" -Infinity", "x": NaN, "y": Infinity}';
  const config = parseSchedulerConfigText(text);
  assert.equal(config.extra.lambda_min_clipped, Number.NEGATIVE_INFINITY);
  assert.equal(config.extra.note, 'Infinity, NaN " -Infinity');
  assert.ok(Number.isNaN(config.extra.x as number));
  assert.equal(config.extra.y, Number.POSITIVE_INFINITY);
  assert.equal(config.timestep_spacing, 'linspace');
  assert.throws(() => parseSchedulerConfigText('{"a": '), SchedulerConfigError);
  const created = resolveScheduler('dpmpp-2m').definition.create(config, { steps: 10, noise: createNoise(0) });
  assert.equal(created.timesteps.length, 10);
});
