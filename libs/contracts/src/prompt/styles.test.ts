import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStyle, listStyles, normalizeStyleId, UnknownStyleError } from './styles.js';

const REQUIRED_IDS = [
  'base', 'photographic', 'cinematic', 'comic-book', 'cartoon', 'line-art', 'low-poly', 'enhance', 'anime', 'digital-art',
  'fantasy-art', 'isometric', 'analog-film', 'neon-punk', 'origami', 'pixel-art', 'texture', 'craft-clay', '3d-model',
];

describe('style presets', () => {
  it('include every required style once, each with one {prompt} slot and a label', () => {
    const styles = listStyles();
    const ids = styles.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of REQUIRED_IDS) assert.ok(ids.includes(id), `missing style ${id}`);
    for (const style of styles) {
      assert.equal(style.prompt.split('{prompt}').length, 2, style.id);
      assert.equal(normalizeStyleId(style.id), style.id);
      assert.ok(style.label.length > 0);
    }
  });

  it('are handed out as copies', () => {
    const first = listStyles();
    (first[0] as { label: string }).label = 'changed';
    assert.notEqual(listStyles()[0].label, 'changed');
  });
});

describe('applyStyle', () => {
  it('returns prompt and negative prompt unchanged for base', () => {
    assert.deepEqual(applyStyle('base', 'a cat', ' ugly '), { prompt: 'a cat', negative_prompt: ' ugly ' });
  });

  it('fills the template and joins negatives with ", " only when both have text', () => {
    const preset = listStyles().find((s) => s.id === 'line-art');
    assert.ok(preset);
    const styled = applyStyle('line-art', 'a cat', 'extra legs');
    assert.equal(styled.prompt, preset.prompt.replace('{prompt}', 'a cat'));
    assert.equal(styled.negative_prompt, `extra legs, ${preset.negative_prompt}`);
    assert.equal(applyStyle('line-art', 'a cat', '').negative_prompt, preset.negative_prompt);
    assert.equal(applyStyle('line-art', 'a cat', '   ').negative_prompt, preset.negative_prompt);
  });

  it('matches ids regardless of case, spaces, underscores and hyphens', () => {
    const expected = applyStyle('line-art', 'x', 'y');
    for (const spelling of ['Line Art', 'line_art', 'LINE-ART', ' line  art ']) assert.deepEqual(applyStyle(spelling, 'x', 'y'), expected);
    assert.deepEqual(applyStyle('3D Model', 'x', ''), applyStyle('3d-model', 'x', ''));
  });

  it('rejects an unknown style with a typed error naming it and the valid ids', () => {
    assert.throws(
      () => applyStyle('watercolour', 'x', ''),
      (error: unknown) =>
        error instanceof UnknownStyleError &&
        error.style === 'watercolour' &&
        error.message.includes('"watercolour"') &&
        REQUIRED_IDS.every((id) => error.message.includes(id)),
    );
  });
});
