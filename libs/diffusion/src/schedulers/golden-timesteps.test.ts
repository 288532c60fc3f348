import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import { parseSchedulerConfig } from './config.js';
import { resolveScheduler } from './registry.js';
import { GOLDEN_CONFIG_JSON } from './testing/golden-config.js';

const config = parseSchedulerConfig(GOLDEN_CONFIG_JSON);
const timestepsOf = (id: string, steps = 12, karras = false): number[] =>
  Array.from(resolveScheduler(id).definition.create(config, { steps, noise: createNoise(0), karras }).timesteps);
const leading12 = [914, 831, 748, 665, 582, 499, 416, 333, 250, 167, 84, 1];
const multistep12 = [913, 837, 761, 685, 609, 533, 457, 381, 305, 229, 153, 77];

test('DDIM visits 914, 831, …, 84, 1 (leading spacing, steps_offset 1)', () => {
  assert.deepEqual(timestepsOf('ddim'), leading12);
});

test('PNDM with skip_prk_steps repeats the second timestep for its warm-up', () => {
  assert.deepEqual(timestepsOf('pndm'), [914, 831, 831, 748, 665, 582, 499, 416, 333, 250, 167, 84, 1]);
});

test('Euler feeds the UNet 914 … 1 as well', () => {
  assert.deepEqual(timestepsOf('euler'), leading12);
  assert.deepEqual(timestepsOf('euler-a'), leading12);
  assert.deepEqual(timestepsOf('lms'), leading12);
  assert.deepEqual(timestepsOf('ddpm'), leading12);
});

test('DPM-Solver++, UniPC and DEIS space n+1 points and drop t=0: 913, 837, …, 77', () => {
  assert.deepEqual(timestepsOf('dpmpp-2m'), multistep12);
  assert.deepEqual(timestepsOf('dpmpp-2m-sde'), multistep12);
  assert.deepEqual(timestepsOf('unipc'), multistep12);
  assert.deepEqual(timestepsOf('deis'), multistep12);
});

test('Heun evaluates every timestep after the first twice', () => {
  assert.deepEqual(timestepsOf('heun', 4), [751, 501, 501, 251, 251, 1, 1]);
});

test('LCM takes 4 timesteps from its 50-step distillation grid', () => {
  assert.deepEqual(timestepsOf('lcm', 4), [999, 759, 499, 259]);
});

test('DPM++ 2M Karras timesteps are rounded σ⁻¹ of the Karras ramp over the full training range', () => {
  const karras = timestepsOf('dpmpp-2m', 12, true);
  assert.equal(karras.length, 12);
  assert.equal(karras[0], 999);
  assert.equal(karras[11], 0);
  assert.ok(karras.every((t) => Number.isInteger(t)));
  assert.ok(karras.every((t, i) => i === 0 || t < karras[i - 1]));
});
