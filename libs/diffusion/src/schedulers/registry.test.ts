import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownSchedulerError } from './errors.js';
import { parseSchedulerConfig } from './config.js';
import { listSchedulers, resolveScheduler, schedulerForModelDefault, SCHEDULERS } from './registry.js';

const CANONICAL = ['ddim', 'pndm', 'lms', 'euler', 'euler-a', 'heun', 'dpm2', 'dpm2-a', 'dpmpp-2m', 'dpmpp-2m-sde', 'dpmpp-sde', 'dpm-single', 'dpmpp-2s-a', 'deis', 'unipc', 'lcm', 'ddpm'];

function expect(name: string, id: string, karras = false): void {
  const resolved = resolveScheduler(name);
  assert.equal(resolved.definition.id, id, name);
  assert.equal(resolved.karras, karras, `${name} karras`);
}

test('every canonical id is registered exactly once', () => {
  assert.deepEqual(SCHEDULERS.map((d) => d.id).sort(), [...CANONICAL].sort());
  for (const id of CANONICAL) expect(id, id);
});

test('UI labels resolve, case-insensitively', () => {
  const labels: [string, string][] = [
    ['UniPC', 'unipc'], ['DDIM', 'ddim'], ['PNDM', 'pndm'], ['LMS', 'lms'], ['Euler', 'euler'], ['Euler a', 'euler-a'],
    ['Heun', 'heun'], ['DPM2', 'dpm2'], ['DPM2 a', 'dpm2-a'], ['DPM Multi', 'dpmpp-2m'], ['DPM Single', 'dpm-single'],
    ['DDPM', 'ddpm'], ['LCM', 'lcm'], ['DEIS', 'deis'], ['euler A', 'euler-a'], ['  dpm multi ', 'dpmpp-2m'],
  ];
  for (const [name, id] of labels) expect(name, id);
});

test('AUTOMATIC1111 names, with "Karras" selecting Karras sigmas', () => {
  expect('DPM++ 2M Karras', 'dpmpp-2m', true);
  expect('DPM++ 2M SDE Karras', 'dpmpp-2m-sde', true);
  expect('DPM++ SDE Karras', 'dpmpp-sde', true);
  expect('LMS Karras', 'lms', true);
  expect('DPM2 Karras', 'dpm2', true);
  expect('DPM2 a Karras', 'dpm2-a', true);
  expect('DPM++ 2S a Karras', 'dpmpp-2s-a', true);
  expect('DPM++ 2M', 'dpmpp-2m');
  expect('DPM++ 2M SDE', 'dpmpp-2m-sde');
  expect('DPM++ SDE', 'dpmpp-sde');
  expect('DPM++ 2S a', 'dpmpp-2s-a');
  expect('dpmpp_2m_karras', 'dpmpp-2m', true);
});

test('ComfyUI sampler names', () => {
  const comfy: [string, string][] = [
    ['euler', 'euler'], ['euler_ancestral', 'euler-a'], ['heun', 'heun'], ['dpm_2', 'dpm2'], ['dpm_2_ancestral', 'dpm2-a'],
    ['lms', 'lms'], ['dpmpp_2m', 'dpmpp-2m'], ['dpmpp_2m_sde', 'dpmpp-2m-sde'], ['dpmpp_sde', 'dpmpp-sde'],
    ['dpmpp_2s_ancestral', 'dpmpp-2s-a'], ['ddim', 'ddim'], ['uni_pc', 'unipc'], ['lcm', 'lcm'], ['ddpm', 'ddpm'],
  ];
  for (const [name, id] of comfy) expect(name, id);
});

test('diffusers class names', () => {
  const classes: [string, string][] = [
    ['DDIMScheduler', 'ddim'], ['PNDMScheduler', 'pndm'], ['LMSDiscreteScheduler', 'lms'], ['EulerDiscreteScheduler', 'euler'],
    ['EulerAncestralDiscreteScheduler', 'euler-a'], ['HeunDiscreteScheduler', 'heun'], ['KDPM2DiscreteScheduler', 'dpm2'],
    ['KDPM2AncestralDiscreteScheduler', 'dpm2-a'], ['DPMSolverMultistepScheduler', 'dpmpp-2m'], ['DPMSolverSDEScheduler', 'dpmpp-sde'],
    ['DPMSolverSinglestepScheduler', 'dpm-single'], ['DEISMultistepScheduler', 'deis'], ['UniPCMultistepScheduler', 'unipc'],
    ['LCMScheduler', 'lcm'], ['DDPMScheduler', 'ddpm'],
  ];
  for (const [name, id] of classes) expect(name, id);
});

test('every listed alias resolves back to its own sampler (no collisions)', () => {
  for (const definition of SCHEDULERS) {
    for (const name of [definition.id, definition.label, ...definition.aliases]) expect(name, definition.id);
  }
});

test('unknown names raise UnknownSchedulerError listing the valid names', () => {
  for (const name of ['DDIM Karras', 'LCM Karras', 'Euler b', '', 'karras']) {
    assert.throws(
      () => resolveScheduler(name),
      (error: unknown) => {
        assert.ok(error instanceof UnknownSchedulerError);
        assert.equal(error.name, 'UnknownSchedulerError');
        assert.equal(error.requested, name);
        assert.match(error.message, /valid names: .*dpmpp-2m.*DPM\+\+ 2M Karras/);
        assert.ok(error.validNames.includes('euler_ancestral'));
        return true;
      },
    );
  }
});

test('listSchedulers gives id, label and aliases for the API', () => {
  const listing = listSchedulers();
  assert.equal(listing.length, CANONICAL.length);
  const dpm = listing.find((entry) => entry.id === 'dpmpp-2m');
  assert.ok(dpm);
  assert.equal(dpm.label, 'DPM++ 2M');
  assert.ok(dpm.aliases.includes('DPM Multi'));
  assert.equal(dpm.karras, true);
  assert.equal(dpm.deterministic, true);
  assert.equal(listing.find((entry) => entry.id === 'euler-a')?.deterministic, false);
  assert.doesNotThrow(() => JSON.stringify(listing));
});

test('schedulerForModelDefault maps _class_name (raw or parsed) to a sampler', () => {
  assert.equal(schedulerForModelDefault({ _class_name: 'PNDMScheduler' }).id, 'pndm');
  assert.equal(schedulerForModelDefault({ _class_name: 'EulerDiscreteScheduler' }).id, 'euler');
  assert.equal(schedulerForModelDefault({ _class_name: 'DPMSolverMultistepScheduler' }).id, 'dpmpp-2m');
  assert.equal(schedulerForModelDefault({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'sde-dpmsolver++' }).id, 'dpmpp-2m-sde');
  const parsed = parseSchedulerConfig({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'sde-dpmsolver++' });
  assert.equal(schedulerForModelDefault(parsed).id, 'dpmpp-2m-sde');
  assert.equal(schedulerForModelDefault(parseSchedulerConfig({ _class_name: 'UniPCMultistepScheduler' })).id, 'unipc');
  // The deterministic port, not the ancestral DPM++ 2S a.
  assert.equal(schedulerForModelDefault({ _class_name: 'DPMSolverSinglestepScheduler' }).id, 'dpm-single');
  assert.equal(schedulerForModelDefault({ _class_name: 'EulerAncestralDiscreteScheduler' }).id, 'euler-a');
  assert.throws(() => schedulerForModelDefault({ _class_name: 'FlowMatchEulerDiscreteScheduler' }), UnknownSchedulerError);
  assert.throws(() => schedulerForModelDefault({}), UnknownSchedulerError);
});
