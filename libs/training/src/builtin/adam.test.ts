import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Adam } from './adam.js';

test('the first Adam step moves every parameter by the learning rate against its gradient sign', () => {
  const values = Float32Array.of(1, -2, 3);
  const parameters = new Map([['w', values]]);
  const adam = Adam.fresh({ learningRate: 0.1 }, parameters);
  adam.update(parameters, new Map([['w', [0.5, -4, 1e-3]]]));
  // m̂ = g and v̂ = g², so the step is lr · g / (|g| + ε).
  assert.ok(Math.abs(values[0] - 0.9) < 1e-6);
  assert.ok(Math.abs(values[1] - -1.9) < 1e-6);
  assert.ok(Math.abs(values[2] - 2.9) < 1e-4);
  assert.equal(adam.step, 1);
});

test('Adam minimises a badly scaled quadratic', () => {
  const values = Float32Array.of(5, -5);
  const parameters = new Map([['w', values]]);
  const adam = Adam.fresh({ learningRate: 0.05 }, parameters);
  const scales = [100, 0.01];
  for (let i = 0; i < 2000; i++) adam.update(parameters, new Map([['w', Array.from(values, (v, k) => 2 * scales[k] * (v - 1))]]));
  assert.ok(Math.abs(values[0] - 1) < 1e-2 && Math.abs(values[1] - 1) < 1e-2, `ended at ${values[0]}, ${values[1]}`);
});

test('gradients must match the parameters', () => {
  const parameters = new Map([['w', new Float32Array(2)]]);
  const adam = Adam.fresh({ learningRate: 0.1 }, parameters);
  assert.throws(() => adam.update(parameters, new Map([['w', [1]]])), /1 values/);
  assert.throws(() => adam.update(parameters, new Map()), /no moments or gradient/);
});
