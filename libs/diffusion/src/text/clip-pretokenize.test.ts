import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeClipText, splitClipWords } from './clip-pretokenize.js';

describe('normalizeClipText', () => {
  it('lower-cases, composes to NFC and turns whitespace runs into one space', () => {
    assert.equal(normalizeClipText('A  Cafe\u0301\t\nOK'), 'a café ok');
    assert.equal(normalizeClipText('a\u0085b\u00a0c\u3000d'), 'a b c d');
  });

  it('lower-cases one character at a time like the Rust normaliser (no final sigma)', () => {
    assert.equal(normalizeClipText('ΟΔΟΣ'), 'οδοσ');
  });

  it('does not treat U+FEFF as whitespace and keeps control characters', () => {
    assert.equal(normalizeClipText('a\ufeffb\u0000'), 'a\ufeffb\u0000');
  });
});

describe('splitClipWords', () => {
  it('splits letters, single digits, punctuation runs and contractions', () => {
    assert.deepEqual(splitClipWords("don't 4k, hi!! y'all"), ['don', "'t", '4', 'k', ',', 'hi', '!!', 'y', "'", 'all']);
  });

  it('keeps CJK runs as one word (no per-character spacing)', () => {
    assert.deepEqual(splitClipWords('東京の夜景 and'), ['東京の夜景', 'and']);
  });

  it('cuts special-token spellings the way the byte-level pre-tokenizer does', () => {
    assert.deepEqual(splitClipWords('x<|endoftext|>'), ['x', '<|', 'endoftext', '|>']);
    assert.deepEqual(splitClipWords('<|startoftext|> <|>'), ['<|', 'startoftext', '|>', '<|>']);
  });
});
