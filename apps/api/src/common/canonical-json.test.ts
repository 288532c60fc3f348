import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('ignores object key order at every level and keeps array order', () => {
    const a = canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null } });
    const b = canonicalJson({ a: { c: null, d: [3, { x: 2, y: 1 }] }, b: 1 });
    assert.equal(a, b);
    assert.equal(a, '{"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}');
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('is valid JSON equal to the input, strings escaped', () => {
    const value = { 'k"\n': 'v\u2028"', n: -1.5e-7, t: true, e: {}, l: [] };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  it('serializes a body nested 200 000 levels deep without overflowing the stack', () => {
    const depth = 200_000;
    const deep = JSON.parse(`${'{"a":'.repeat(depth)}[1]${'}'.repeat(depth)}`) as unknown;
    assert.equal(canonicalJson(deep).length, depth * 6 + 3);
  });
});
