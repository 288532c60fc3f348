import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedulerConfig } from '../schedulers/config.js';
import { SCHEDULERS, resolveScheduler, samplerName } from '../schedulers/registry.js';
import { GOLDEN_CONFIG_JSON } from '../schedulers/testing/golden-config.js';
import { formatInfotext, parseInfotextSettings } from './a1111-parameters.js';

const FIELDS = { prompt: 'a cat, sitting', negativePrompt: 'blurry', steps: 20, guidanceScale: 7, seed: 42, width: 512, height: 512, model: 'demo-sd15' };

/** Sampler name → infotext → A1111-style parse → our resolver. */
function roundTrip(sampler: string): ReturnType<typeof resolveScheduler> {
  const parsed = parseInfotextSettings(formatInfotext({ ...FIELDS, sampler }));
  const written = parsed.get('Sampler');
  assert.equal(written, sampler);
  return resolveScheduler(written as string);
}

test('every name of a sampler with a Karras variant, asked for with Karras, is written in full and resolves back to the same schedule', () => {
  const karrasCapable = SCHEDULERS.filter((definition) => definition.supportsKarras);
  assert.ok(karrasCapable.length >= 10);
  for (const definition of karrasCapable) {
    for (const alias of [definition.id, definition.label, ...definition.aliases]) {
      for (const spelling of [`${alias} Karras`, `${alias}_karras`]) {
        const requested = resolveScheduler(spelling);
        assert.equal(requested.definition.id, definition.id, spelling);
        assert.equal(requested.karras, true, spelling);
        const name = samplerName(requested);
        assert.equal(name, `${definition.label} Karras`, spelling);
        const back = roundTrip(name);
        assert.equal(back.definition.id, definition.id, `${spelling} → ${name}`);
        assert.equal(back.karras, true, `${spelling} → ${name}`);
      }
      // Without Karras the plain label comes back, and resolves without Karras.
      const plain = resolveScheduler(alias);
      assert.equal(samplerName(plain), definition.label);
      const back = roundTrip(samplerName(plain));
      assert.deepEqual([back.definition.id, back.karras], [definition.id, false], alias);
    }
  }
});

test('a model whose scheduler_config turns on Karras σ is named "… Karras"; samplers without Karras never are', () => {
  const karrasConfig = parseSchedulerConfig({ ...GOLDEN_CONFIG_JSON, use_karras_sigmas: true });
  assert.equal(samplerName(resolveScheduler('DPM++ 2M'), karrasConfig), 'DPM++ 2M Karras');
  assert.equal(samplerName(resolveScheduler('DPM++ 2M'), parseSchedulerConfig(GOLDEN_CONFIG_JSON)), 'DPM++ 2M');
  for (const definition of SCHEDULERS.filter((candidate) => !candidate.supportsKarras)) {
    assert.equal(samplerName({ definition, karras: true }, karrasConfig), definition.label);
  }
});

test('quoted values with commas survive the parse', () => {
  const parsed = parseInfotextSettings(formatInfotext({ ...FIELDS, sampler: 'Euler a', extra: { Lora: 'a, b' } }));
  assert.equal(parsed.get('Lora'), 'a, b');
  assert.equal(parsed.get('Steps'), '20');
  assert.equal(parsed.get('Size'), '512x512');
});
