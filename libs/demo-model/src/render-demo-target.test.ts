import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDemoPrompt } from './conditioning.js';
import { demoImageToRgb8, demoTargetLatent, renderDemoTarget } from './render-demo-target.js';

test('prompts parse with the colour-before-word rule', () => {
  assert.deepEqual(parseDemoPrompt('a red circle on a blue background'), {
    shapes: ['circle'],
    shapeColour: [1, 0, 0],
    backgroundColour: [0, 0, 1],
  });
  assert.deepEqual(parseDemoPrompt('A GREEN Box'), { shapes: ['square'], shapeColour: [0, 1, 0], backgroundColour: [0.5, 0.5, 0.5] });
  assert.deepEqual(parseDemoPrompt('red, circle').shapeColour, [0.5, 0.5, 0.5], 'punctuation separates the words');
  assert.deepEqual(parseDemoPrompt('a photo of a cat'), { shapes: [], shapeColour: [0.5, 0.5, 0.5], backgroundColour: [0.5, 0.5, 0.5] });
  assert.deepEqual(parseDemoPrompt('white stripes, navy backdrop').backgroundColour, [0, 0, 0.5]);
});

test('the target is the background colour with the shape colour inside the mask', () => {
  const image = renderDemoTarget('a yellow square on a black background', 64, 48);
  assert.equal(image.data.length, 3 * 64 * 48);
  const rgb = (x: number, y: number): number[] => [0, 1, 2].map((c) => image.data[(c * 48 + y) * 64 + x]);
  assert.deepEqual(rgb(32, 24), [1, 1, 0]);
  assert.deepEqual(rgb(0, 0), [0, 0, 0]);
  assert.deepEqual(rgb(8, 24), [0, 0, 0], 'the square keeps its aspect on a wide canvas');
  const bytes = demoImageToRgb8(image);
  assert.deepEqual(Array.from(bytes.subarray((24 * 64 + 32) * 3, (24 * 64 + 32) * 3 + 3)), [255, 255, 0]);

  const latent = demoTargetLatent('a yellow square on a black background', 8, 6);
  assert.equal(latent.length, 4 * 8 * 6);
  assert.ok(latent.subarray(3 * 48).every((v) => v === 0), 'channel 3 is zero');
});

test('guidance leaves flat regions unchanged and only sharpens edges', () => {
  const plain = renderDemoTarget('an orange diamond on a teal background', 64, 64);
  const guided = renderDemoTarget('an orange diamond on a teal background', 64, 64, { guidanceScale: 7.5 });
  let changed = 0;
  for (let i = 0; i < plain.data.length; i++) {
    if (plain.data[i] !== guided.data[i]) changed++;
    const flatValue = [0, 0.5, 1].includes(plain.data[i]);
    if (flatValue) assert.equal(guided.data[i], plain.data[i]);
  }
  assert.ok(changed > 0 && changed < plain.data.length / 4, `${changed} edge samples change`);
  assert.throws(() => renderDemoTarget('a circle', 60, 64), /multiples of 8/);
});
