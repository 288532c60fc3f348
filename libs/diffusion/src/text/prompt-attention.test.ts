import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePromptAttention, type AttentionFragment } from './prompt-attention.js';

const pairs = (fragments: AttentionFragment[]) => fragments.map((f) => (f.isBreak ? 'BREAK' : [f.text, f.weight]));
const parse = (prompt: string) => pairs(parsePromptAttention(prompt));
const DOWN = 1 / 1.1;

describe('parsePromptAttention', () => {
  it('leaves plain text at weight 1', () => {
    assert.deepEqual(parse('normal text'), [['normal text', 1]]);
  });

  it('gives round brackets 1.1 and an explicit weight its value', () => {
    assert.deepEqual(parse('an (important) word'), [['an ', 1], ['important', 1.1], [' word', 1]]);
    assert.deepEqual(parse('a (b:1.5) c'), [['a ', 1], ['b', 1.5], [' c', 1]]);
    assert.deepEqual(parse('(x: 0.5 )'), [['x', 0.5]]);
    assert.deepEqual(parse('(x:-1)'), [['x', -1]]);
  });

  it('multiplies nested brackets, explicit weights included', () => {
    assert.deepEqual(parse('((x))'), [['x', 1.1 * 1.1]]);
    assert.ok(Math.abs((parsePromptAttention('((x))')[0].weight) - 1.21) < 1e-12);
    assert.deepEqual(parse('((x:1.3))'), [['x', 1.3 * 1.1]]);
    assert.deepEqual(parse('[(x:1.3)]'), [['x', 1.3 * DOWN]]);
  });

  it('divides by 1.1 for square brackets', () => {
    assert.deepEqual(parse('[x]'), [['x', DOWN]]);
    assert.ok(Math.abs(parsePromptAttention('[x]')[0].weight - 1 / 1.1) < 1e-15);
    assert.deepEqual(parse('[[x]]'), [['x', DOWN * DOWN]]);
  });

  it('keeps escaped brackets and backslashes literal', () => {
    assert.deepEqual(parse('(x:1.3) \\(y\\)'), [['x', 1.3], [' (y)', 1]]);
    assert.deepEqual(parse('\\(literal\\]'), [['(literal]', 1]]);
    assert.deepEqual(parse('a\\\\b'), [['a\\b', 1]]);
    assert.deepEqual(parse('\\[x\\]'), [['[x]', 1]]);
  });

  it('drops a backslash that escapes nothing, as A1111 does', () => {
    assert.deepEqual(parse('a\\b'), [['ab', 1]]);
  });

  it('applies an unclosed bracket to the rest of the prompt', () => {
    assert.deepEqual(parse('(unbalanced'), [['unbalanced', 1.1]]);
    assert.deepEqual(parse('a [b'), [['a ', 1], ['b', DOWN]]);
  });

  it('keeps closing brackets without an opener as text', () => {
    assert.deepEqual(parse('a) b] c'), [['a) b] c', 1]]);
    assert.deepEqual(parse('x:1.3) y'), [['x:1.3) y', 1]]);
  });

  it('keeps colons that are not a weight as text', () => {
    assert.deepEqual(parse('ratio 16:9, (style:x)'), [['ratio 16:9, ', 1], ['style:x', 1.1]]);
  });

  it('keeps a malformed weight as text and the bracket open (A1111 raises instead)', () => {
    assert.deepEqual(parse('(x:1.2.3)'), [['x:1.2.3)', 1.1]]);
  });

  it('merges neighbouring runs of equal weight', () => {
    assert.deepEqual(parse('(unnecessary)(parens)'), [['unnecessaryparens', 1.1]]);
  });

  it('reproduces the exact floating-point weights of a mixed prompt', () => {
    assert.deepEqual(parse('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).'), [
      ['a ', 1],
      ['house', 1.3 * 1.1 * 1.1],
      [' ', 1.1],
      ['on', DOWN * 1.1],
      [' a ', 1.1],
      ['hill', 0.5 * 1.1],
      [', sun, ', 1.1],
      ['sky', 1.1 * 1.1 * 1.1 * 1.1],
      ['.', 1.1],
    ]);
    assert.equal(parsePromptAttention('a (((house:1.3)) [on]')[1].weight, 1.5730000000000004);
  });

  it('returns one empty fragment for a prompt with no text', () => {
    assert.deepEqual(parse(''), [['', 1]]);
    assert.deepEqual(parse('()'), [['', 1]]);
  });

  it('marks BREAK as a chunk break, only as an upper-case word', () => {
    assert.deepEqual(parse('a BREAK b'), [['a', 1], 'BREAK', ['b', 1]]);
    assert.deepEqual(parse('(a BREAK b)'), [['a', 1.1], 'BREAK', ['b', 1.1]]);
    assert.deepEqual(parse('aBREAKb break'), [['aBREAKb break', 1]]);
    const marker = parsePromptAttention('a BREAK b')[1];
    assert.deepEqual(marker, { text: '', weight: 1, isBreak: true });
  });
});
