import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyMerges, BpeModel, mergeKey } from './bpe.js';
import { BYTE_TO_CHAR, fromByteChars, toByteChars } from './byte-unicode.js';

const ranksOf = (...merges: string[]) => new Map(merges.map((line, rank) => [line, rank]));

describe('applyMerges', () => {
  it('merges the lowest-ranked pair first wherever it is', () => {
    const ranks = ranksOf('b c</w>', 'a b', 'a bc</w>');
    assert.deepEqual(applyMerges(['a', 'b', 'c</w>'], ranks), ['abc</w>']);
    assert.deepEqual(applyMerges(['a', 'b', 'c'], ranks), ['ab', 'c']);
  });

  it('merges overlapping occurrences left to right', () => {
    assert.deepEqual(applyMerges(['a', 'a', 'a'], ranksOf('a a')), ['aa', 'a']);
    assert.deepEqual(applyMerges(['a', 'a', 'a', 'a'], ranksOf('a a', 'aa aa')), ['aaaa']);
  });

  it('leaves words without known pairs alone', () => {
    assert.deepEqual(applyMerges(['x', 'y'], ranksOf('a b')), ['x', 'y']);
    assert.deepEqual(applyMerges([], ranksOf('a b')), []);
  });
});

describe('BpeModel', () => {
  const vocab = new Map([['c', 0], ['a', 1], ['t</w>', 2], ['ca', 3], ['cat</w>', 4], ['Ã©</w>', 5]]);
  const model = new BpeModel(vocab, ranksOf(mergeKey('c', 'a'), mergeKey('ca', 't</w>'), mergeKey('Ã', '©</w>')), 99, 2);

  it('marks the word end, merges and maps to ids', () => {
    assert.deepEqual(model.encodeWord('cat'), [4]);
    // At the word end the last symbol is "a</w>": no merge joins it to "c" and the vocabulary lacks it.
    assert.deepEqual(model.encodeWord('ca'), [0, 99]);
  });

  it('works on UTF-8 bytes and falls back to the unknown id', () => {
    assert.deepEqual(model.encodeWord('é'), [5]);
    assert.deepEqual(model.encodeWord('q'), [99]);
  });

  it('gives the same answer from its cache, also after the cache was cleared', () => {
    const first = model.encodeWord('cat');
    for (const word of ['a', 'c', 'ca', 'tt']) model.encodeWord(word);
    assert.deepEqual(model.encodeWord('cat'), first);
    assert.equal(model.encodeWord('cat'), model.encodeWord('cat'));
  });
});

describe('byte-level alphabet', () => {
  it('gives all 256 bytes distinct printable stand-ins', () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x20], '\u0120');
    assert.equal(BYTE_TO_CHAR[0x41], 'A');
    assert.equal(BYTE_TO_CHAR[0xad], '\u0143');
  });

  it('maps text to byte characters and back', () => {
    assert.deepEqual(toByteChars('é'), ['Ã', '©']);
    assert.equal(fromByteChars(toByteChars('naïve 🐼 東京').join('')), 'naïve 🐼 東京');
  });
});
