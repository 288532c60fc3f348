/**
 * The audited name table: what a user of each name gets in the tool the name comes from, and
 * what it resolves to here (sampler id, Karras σ, implied scheduler settings). Sources:
 *  - A1111: AUTOMATIC1111 modules/sd_samplers_kdiffusion.py (`samplers_k_diffusion`: label,
 *    k-diffusion function, `k_…` aliases, options) and sd_samplers_timesteps.py (DDIM, PLMS, UniPC).
 *  - ComfyUI: comfy/samplers.py KSAMPLER_NAMES / SAMPLER_NAMES (`sampler_name`) and SCHEDULER_NAMES
 *    (`scheduler`: "karras" ≙ the "…_karras" / "… karras" spelling here); comfy/k_diffusion/sampling.py.
 *  - diffusers: the scheduler classes, and docs/source/en/api/schedulers/overview.md (A1111 ↔ diffusers).
 *  - Segmind: the `scheduler` enum of its Stable Diffusion model APIs (segmind.com/models/…/api),
 *    served by diffusers: "DPM Multi" = DPMSolverMultistepScheduler, "DPM Single" = DPMSolverSinglestepScheduler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoise } from '../random/noise.js';
import { parseSchedulerConfig } from './config.js';
import { resolveScheduler, samplerName } from './registry.js';

type Row = readonly [name: string, id: string, karras: boolean, settings: Record<string, unknown>, source: string];

const TABLE: readonly Row[] = [
  // diffusers classes (model defaults and explicit class names)
  ['DDIMScheduler', 'ddim', false, {}, 'diffusers'],
  ['PNDMScheduler', 'pndm', false, {}, 'diffusers'],
  ['LMSDiscreteScheduler', 'lms', false, {}, 'diffusers'],
  ['EulerDiscreteScheduler', 'euler', false, {}, 'diffusers'],
  ['EulerAncestralDiscreteScheduler', 'euler-a', false, {}, 'diffusers'],
  ['HeunDiscreteScheduler', 'heun', false, {}, 'diffusers'],
  ['KDPM2DiscreteScheduler', 'dpm2', false, {}, 'diffusers'],
  ['KDPM2AncestralDiscreteScheduler', 'dpm2-a', false, {}, 'diffusers'],
  ['DPMSolverMultistepScheduler', 'dpmpp-2m', false, {}, 'diffusers'],
  ['DPMSolverSDEScheduler', 'dpmpp-sde', false, {}, 'diffusers'],
  ['DPMSolverSinglestepScheduler', 'dpm-single', false, {}, 'diffusers: deterministic single-step DPM-Solver++'],
  ['DEISMultistepScheduler', 'deis', false, {}, 'diffusers'],
  ['UniPCMultistepScheduler', 'unipc', false, {}, 'diffusers (bh2, order 2 by default)'],
  ['LCMScheduler', 'lcm', false, {}, 'diffusers'],
  ['DDPMScheduler', 'ddpm', false, {}, 'diffusers'],
  // A1111 labels; "… Karras" (A1111 < 1.9, or label + Schedule type "Karras") selects Karras σ
  ['Euler a', 'euler-a', false, {}, 'A1111 sample_euler_ancestral'],
  ['Euler', 'euler', false, {}, 'A1111 sample_euler'],
  ['LMS', 'lms', false, {}, 'A1111 sample_lms'],
  ['LMS Karras', 'lms', true, {}, 'A1111'],
  ['Heun', 'heun', false, {}, 'A1111 sample_heun'],
  ['DPM2', 'dpm2', false, {}, 'A1111 sample_dpm_2'],
  ['DPM2 Karras', 'dpm2', true, {}, 'A1111; also Segmind'],
  ['DPM2 a', 'dpm2-a', false, {}, 'A1111 sample_dpm_2_ancestral'],
  ['DPM2 a Karras', 'dpm2-a', true, {}, 'A1111; also Segmind'],
  ['DPM++ 2S a', 'dpmpp-2s-a', false, {}, 'A1111 sample_dpmpp_2s_ancestral'],
  ['DPM++ 2S a Karras', 'dpmpp-2s-a', true, {}, 'A1111'],
  ['DPM++ 2M', 'dpmpp-2m', false, {}, 'A1111 sample_dpmpp_2m'],
  ['DPM++ 2M Karras', 'dpmpp-2m', true, {}, 'A1111'],
  ['DPM++ SDE', 'dpmpp-sde', false, {}, 'A1111 sample_dpmpp_sde'],
  ['DPM++ SDE Karras', 'dpmpp-sde', true, {}, 'A1111; also Segmind'],
  ['DPM++ 2M SDE', 'dpmpp-2m-sde', false, {}, 'A1111 sample_dpmpp_2m_sde (midpoint)'],
  ['DPM++ 2M SDE Karras', 'dpmpp-2m-sde', true, {}, 'A1111; also Segmind'],
  ['DPM++ 2M SDE Heun', 'dpmpp-2m-sde', false, { solver_type: 'heun' }, 'A1111 sample_dpmpp_2m_sde, solver_type heun'],
  ['DPM++ 2M SDE Heun Karras', 'dpmpp-2m-sde', true, { solver_type: 'heun' }, 'A1111'],
  ['DDIM', 'ddim', false, {}, 'A1111 / Segmind'],
  ['PLMS', 'pndm', false, {}, 'A1111 (PLMS = PNDM without Runge-Kutta warm-up)'],
  ['LCM', 'lcm', false, {}, 'A1111 ≥ 1.9'],
  // A1111 `k_…` aliases (`k_…_ka` were the Karras variants before 1.9)
  ['k_euler_a', 'euler-a', false, {}, 'A1111 alias'],
  ['k_euler_ancestral', 'euler-a', false, {}, 'A1111 alias'],
  ['k_euler', 'euler', false, {}, 'A1111 alias'],
  ['k_lms', 'lms', false, {}, 'A1111 alias'],
  ['k_lms_ka', 'lms', true, {}, 'A1111 alias'],
  ['k_heun', 'heun', false, {}, 'A1111 alias'],
  ['k_dpm_2', 'dpm2', false, {}, 'A1111 alias'],
  ['k_dpm_2_ka', 'dpm2', true, {}, 'A1111 alias'],
  ['k_dpm_2_a', 'dpm2-a', false, {}, 'A1111 alias'],
  ['k_dpm_2_a_ka', 'dpm2-a', true, {}, 'A1111 alias'],
  ['k_dpmpp_2s_a', 'dpmpp-2s-a', false, {}, 'A1111 alias'],
  ['k_dpmpp_2s_a_ka', 'dpmpp-2s-a', true, {}, 'A1111 alias'],
  ['k_dpmpp_2m', 'dpmpp-2m', false, {}, 'A1111 alias'],
  ['k_dpmpp_2m_ka', 'dpmpp-2m', true, {}, 'A1111 alias'],
  ['k_dpmpp_sde', 'dpmpp-sde', false, {}, 'A1111 alias'],
  ['k_dpmpp_sde_ka', 'dpmpp-sde', true, {}, 'A1111 alias'],
  ['k_dpmpp_2m_sde', 'dpmpp-2m-sde', false, {}, 'A1111 alias'],
  ['k_dpmpp_2m_sde_ka', 'dpmpp-2m-sde', true, {}, 'A1111 alias'],
  ['k_dpmpp_2m_sde_heun', 'dpmpp-2m-sde', false, { solver_type: 'heun' }, 'A1111 alias'],
  // ComfyUI sampler_name (+ scheduler "karras")
  ['euler', 'euler', false, {}, 'ComfyUI'],
  ['euler_ancestral', 'euler-a', false, {}, 'ComfyUI'],
  ['heun', 'heun', false, {}, 'ComfyUI'],
  ['dpm_2', 'dpm2', false, {}, 'ComfyUI'],
  ['dpm_2_ancestral', 'dpm2-a', false, {}, 'ComfyUI'],
  ['lms', 'lms', false, {}, 'ComfyUI'],
  ['dpmpp_2s_ancestral', 'dpmpp-2s-a', false, {}, 'ComfyUI'],
  ['dpmpp_sde', 'dpmpp-sde', false, {}, 'ComfyUI'],
  ['dpmpp_sde_gpu', 'dpmpp-sde', false, {}, 'ComfyUI (same sampler, noise drawn on the GPU)'],
  ['dpmpp_2m', 'dpmpp-2m', false, {}, 'ComfyUI'],
  ['dpmpp_2m karras', 'dpmpp-2m', true, {}, 'ComfyUI dpmpp_2m + scheduler karras'],
  ['dpmpp_2m_karras', 'dpmpp-2m', true, {}, 'ComfyUI dpmpp_2m + scheduler karras'],
  ['dpmpp_2m_sde', 'dpmpp-2m-sde', false, {}, 'ComfyUI (midpoint)'],
  ['dpmpp_2m_sde_gpu', 'dpmpp-2m-sde', false, {}, 'ComfyUI (same sampler, noise drawn on the GPU)'],
  ['dpmpp_2m_sde_karras', 'dpmpp-2m-sde', true, {}, 'ComfyUI dpmpp_2m_sde + scheduler karras'],
  ['ddpm', 'ddpm', false, {}, 'ComfyUI'],
  ['lcm', 'lcm', false, {}, 'ComfyUI'],
  ['ddim', 'ddim', false, {}, 'ComfyUI (Euler on DDIM timesteps, the same ODE step)'],
  // ComfyUI's uni_pc is bh1 at order 3, but "uni_pc" and "UniPC" are one name here: diffusers' UniPC wins.
  ['uni_pc', 'unipc', false, {}, 'ComfyUI name; diffusers UniPC settings (see above)'],
  ['uni_pc_bh2', 'unipc', false, { solver_type: 'bh2', solver_order: 3 }, 'ComfyUI sample_unipc(variant bh2), order 3'],
  ['deis', 'deis', false, {}, 'ComfyUI'],
  // Segmind API `scheduler` values
  ['DPM Multi', 'dpmpp-2m', false, {}, 'Segmind (DPMSolverMultistepScheduler)'],
  ['DPM Single', 'dpm-single', false, {}, 'Segmind (DPMSolverSinglestepScheduler)'],
  ['UniPC', 'unipc', false, {}, 'Segmind / diffusers (A1111 "UniPC" defaults to bh1 order 3: use uni_pc for that)'],
  ['PNDM', 'pndm', false, {}, 'Segmind'],
  ['DEIS', 'deis', false, {}, 'Segmind'],
  ['DDPM', 'ddpm', false, {}, 'Segmind'],
  ['Euler a', 'euler-a', false, {}, 'Segmind'],
];

test('every name in the audited table resolves to the sampler and settings its source tool uses', () => {
  for (const [name, id, karras, settings, source] of TABLE) {
    const resolved = resolveScheduler(name);
    assert.equal(resolved.definition.id, id, `${name} (${source})`);
    assert.equal(resolved.karras, karras, `${name} Karras (${source})`);
    assert.deepEqual({ ...resolved.settings }, settings, `${name} settings (${source})`);
  }
});

test('a name’s settings reach the scheduler, and its infotext name resolves back to the same thing', () => {
  const config = parseSchedulerConfig({ _class_name: 'UniPCMultistepScheduler', beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
  for (const [name] of TABLE) {
    const resolved = resolveScheduler(name);
    const written = samplerName(resolved);
    const again = resolveScheduler(written);
    assert.equal(again.definition.id, resolved.definition.id, `${name} → ${written}`);
    assert.equal(again.karras, resolved.karras, `${name} → ${written}`);
    assert.deepEqual(again.settings, resolved.settings, `${name} → ${written}`);
  }
  // ComfyUI's uni_pc_bh2 really runs order 3: its trajectory differs from the diffusers default.
  const run = (name: string): Float32Array => {
    const scheduler = resolveScheduler(name).definition.create(config, { steps: 8, noise: createNoise(0) });
    let x = createNoise(1).randn(64);
    for (let i = 0; i < scheduler.timesteps.length; i++) x = scheduler.step(x.map((v) => 0.5 * v), i, x);
    return x;
  };
  const comfy = run('uni_pc_bh2');
  const diffusers = run('UniPC');
  assert.ok(comfy.some((v, i) => Math.abs(v - diffusers[i]) > 1e-4), 'uni_pc settings were not applied');
  assert.deepEqual(run('uni_pc_bh2'), comfy);
});

test('DPM Single is deterministic and not the ancestral DPM++ 2S a', () => {
  assert.equal(resolveScheduler('DPM Single').definition.deterministic, true);
  assert.equal(resolveScheduler('DPM++ 2S a').definition.deterministic, false);
  assert.notEqual(resolveScheduler('DPMSolverSinglestepScheduler').definition.id, resolveScheduler('dpmpp_2s_ancestral').definition.id);
});
