/**
 * diffusers' own DPMSolverSinglestepScheduler trajectories (../shared/fixtures/scheduler-goldens/
 * dpm-solver-singlestep, made by make_singlestep_goldens.py): every configuration, driven by the
 * same stand-in model from the same noise, must land on diffusers' sample after every step to
 * float32 rounding, with the same timesteps and σ.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedFixture } from '@atelier/testing';
import { createNoise } from '../random/noise.js';
import { parseSchedulerConfig } from './config.js';
import { DpmSolverSinglestepScheduler } from './dpm-solver-singlestep.js';
import { resolveScheduler, schedulerForModelDefault } from './registry.js';

interface GoldenCase {
  readonly name: string;
  readonly num_inference_steps: number;
  readonly config: Record<string, unknown>;
  readonly timesteps: number[];
  readonly sigmas: number[];
  readonly init_noise_sigma: number;
  readonly trajectory_file: string;
  readonly trajectory_shape: number[];
}

const root = sharedFixture('scheduler-goldens/dpm-solver-singlestep');
const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { cases: GoldenCase[]; initial_noise_file: string };

function readF32(file: string): Float32Array {
  const bytes = readFileSync(path.join(root, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The manifest writes ±∞ as strings (JSON has none). */
function configJson(config: Record<string, unknown>): Record<string, unknown> {
  const finite = Object.entries(config).map(([key, value]) => [key, value === '-inf' ? -Infinity : value === 'inf' ? Infinity : value]);
  return { _class_name: 'DPMSolverSinglestepScheduler', ...Object.fromEntries(finite) };
}

const f32 = Math.fround;
/** The script's stand-in UNet, 0.6·x + 0.05·tanh(3x) + 0.02·sin(t/97), op by op in float32 as torch does it. */
function standInModel(input: Float32Array, t: number, out: Float32Array): Float32Array {
  const offset = f32(0.02 * Math.sin(t / 97));
  for (let i = 0; i < input.length; i++) {
    out[i] = f32(f32(f32(0.6) * input[i]) + f32(f32(0.05) * f32(Math.tanh(f32(input[i] * 3))))) + offset;
  }
  return out;
}

/** One float32 ulp at |value| (values below 1 count as 1: the model's offsets are absolute). */
function ulp(value: number): number {
  return 2 ** (Math.floor(Math.log2(Math.max(Math.abs(value), 1))) - 23);
}

// diffusers computes its coefficients in float32 and this port in float64: every step's sample
// must agree to a few float32 ulps (measured: at most 12, not growing with the step count).
const TOLERANCE_ULPS = 16;

describe('DPMSolverSinglestepScheduler reproduces diffusers', () => {
  const noise = readF32(manifest.initial_noise_file);

  test('the fixture holds the 24 configurations', () => {
    assert.equal(manifest.cases.length, 24);
  });

  for (const golden of manifest.cases) {
    const { solver_order, solver_type, prediction_type, use_karras_sigmas } = golden.config;
    const label = `${golden.name}: order ${String(solver_order)}, ${String(solver_type)}, ${String(prediction_type)}${use_karras_sigmas ? ', Karras' : ''}, ${golden.num_inference_steps} steps`;
    test(label, () => {
      const config = parseSchedulerConfig(configJson(golden.config));
      const definition = schedulerForModelDefault(config);
      assert.equal(definition.id, 'dpm-single');
      const scheduler = definition.create(config, { steps: golden.num_inference_steps, noise: createNoise(0) });
      assert.ok(scheduler instanceof DpmSolverSinglestepScheduler);
      assert.deepEqual(Array.from(scheduler.timesteps), golden.timesteps);
      assert.equal(scheduler.initNoiseSigma, golden.init_noise_sigma);
      const trajectory = readF32(golden.trajectory_file);
      const size = noise.length;
      assert.equal(trajectory.length, golden.num_inference_steps * size);
      const x = noise.map((v) => v * scheduler.initNoiseSigma);
      const input = new Float32Array(size);
      const output = new Float32Array(size);
      let worstUlps = 0;
      let worstAbsolute = 0;
      for (let k = 0; k < scheduler.timesteps.length; k++) {
        scheduler.scaleModelInputInto(x, k, input);
        scheduler.stepInto(standInModel(input, scheduler.timesteps[k], output), k, x, x);
        const expected = trajectory.subarray(k * size, (k + 1) * size);
        for (let i = 0; i < size; i++) {
          worstUlps = Math.max(worstUlps, Math.abs(x[i] - expected[i]) / ulp(expected[i]));
          worstAbsolute = Math.max(worstAbsolute, Math.abs(x[i] - expected[i]));
        }
        assert.ok(worstUlps <= TOLERANCE_ULPS, `step ${k}: differs by ${worstUlps.toFixed(1)} float32 ulps`);
      }
      console.log(`${golden.name}: worst difference ${worstUlps.toFixed(1)} float32 ulps (${worstAbsolute.toExponential(1)} absolute) over ${golden.num_inference_steps} steps`);
      // Not vacuous: the run moved far from its start.
      assert.ok(Math.abs(x[0] - noise[0]) > 0.05);
    });
  }

  test('"DPM Single" names this scheduler, with Karras σ when asked', () => {
    const config = parseSchedulerConfig(configJson(manifest.cases[0].config));
    const karras = manifest.cases.find((c) => c.config.use_karras_sigmas === true && c.config.solver_order === 2 && c.num_inference_steps === 7);
    assert.ok(karras);
    const resolved = resolveScheduler('DPM Single Karras');
    assert.equal(resolved.definition.id, 'dpm-single');
    const scheduler = resolved.definition.create(config, { steps: 7, noise: createNoise(0), karras: resolved.karras });
    assert.deepEqual(Array.from(scheduler.timesteps), karras.timesteps);
  });
});
