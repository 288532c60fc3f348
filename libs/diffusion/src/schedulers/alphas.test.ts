import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedulerConfig } from './config.js';
import { alphasCumprod, alphasCumprodForSigmas, trainingBetas } from './alphas.js';
import { karrasSigmas, sigmaToTimestep, logSigmas, trainingSigmas } from './sigmas.js';
import { GOLDEN_CONFIG_JSON } from './testing/golden-config.js';

const sd = parseSchedulerConfig(GOLDEN_CONFIG_JSON);

test('Stable Diffusion schedule spans σ ≈ 0.0292 … 14.6146', () => {
  const sigmas = trainingSigmas(alphasCumprod(sd));
  assert.ok(Math.abs(sigmas[0] - 0.0292) < 1e-4, `${sigmas[0]}`);
  assert.ok(Math.abs(sigmas[999] - 14.6146) < 1e-3, `${sigmas[999]}`);
  for (let i = 1; i < sigmas.length; i++) assert.ok(sigmas[i] > sigmas[i - 1]);
});

test('betas follow their schedules and are stored at float32 precision', () => {
  const linear = trainingBetas(parseSchedulerConfig({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 }));
  assert.equal(linear[0], Math.fround(0.0001));
  assert.equal(linear[999], Math.fround(0.02));
  assert.ok(Math.abs(linear[500] - (0.0001 + (0.0199 * 500) / 999)) < 1e-9);
  const scaled = trainingBetas(sd);
  assert.equal(scaled[0], Math.fround(Math.fround(Math.sqrt(0.00085)) ** 2));
  const cosine = trainingBetas(parseSchedulerConfig({ beta_schedule: 'squaredcos_cap_v2' }));
  assert.ok(cosine.every((b) => b > 0 && b <= Math.fround(0.999)));
  assert.equal(cosine[999], Math.fround(0.999));
  for (const values of [linear, scaled, cosine]) assert.ok(values.every((b) => Math.fround(b) === b));
  const trained = trainingBetas(parseSchedulerConfig({ num_train_timesteps: 3, trained_betas: [0.1, 0.2, 0.3] }));
  assert.deepEqual(Array.from(trained), [0.1, 0.2, 0.3].map(Math.fround));
});

test('zero terminal SNR rescaling keeps ᾱ₀ and makes ᾱ_T zero (2⁻²⁴ for σ samplers)', () => {
  const plain = alphasCumprod(sd);
  const rescaledConfig = { ...sd, rescale_betas_zero_snr: true };
  const rescaled = alphasCumprod(rescaledConfig);
  assert.ok(Math.abs(rescaled[0] - plain[0]) < 1e-6);
  assert.equal(rescaled[999], 0);
  assert.equal(alphasCumprodForSigmas(rescaledConfig)[999], 2 ** -24);
  for (let i = 1; i < 1000; i++) assert.ok(rescaled[i] <= rescaled[i - 1]);
});

test('σ → t interpolates in log σ, clamps at both ends and inverts the table', () => {
  const table = trainingSigmas(alphasCumprod(sd));
  const logTable = logSigmas(table);
  // log σ is kept in float32 as in diffusers, so the round trip is exact to ~1e-6.
  assert.ok(Math.abs(sigmaToTimestep(table[400], logTable) - 400) < 1e-5);
  const between = Math.exp((logTable[400] + logTable[401]) / 2);
  assert.ok(Math.abs(sigmaToTimestep(between, logTable) - 400.5) < 1e-6);
  assert.equal(sigmaToTimestep(1e-6, logTable), 0);
  assert.equal(sigmaToTimestep(1e6, logTable), 999);
});

test('Karras ramp runs from σ_max to σ_min with ρ = 7', () => {
  const sigmas = karrasSigmas(0.03, 14.6, 5);
  assert.ok(Math.abs(sigmas[0] - 14.6) < 1e-12);
  assert.ok(Math.abs(sigmas[4] - 0.03) < 1e-12);
  const middle = ((14.6 ** (1 / 7) + 0.03 ** (1 / 7)) / 2) ** 7;
  assert.ok(Math.abs(sigmas[2] - middle) < 1e-12);
});
