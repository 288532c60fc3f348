import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadBundledClipTokenizer } from './bundled-tokenizer.js';
import type { ClipTokenizer } from './clip-tokenizer.js';
import { emptyChunk, padChunkCount, tokenizeWeightedPrompt, type ChunkingTokenizer, type PromptChunk } from './prompt-chunks.js';

const BOS = 49406;
const EOS = 49407;
const COMMA = 267;
const WORD = 2653; // "word</w>"

let clip: ClipTokenizer;
before(async () => {
  clip = await loadBundledClipTokenizer();
});

/** The bundled vocabulary with "!" as pad, like SD 2.x's tokenizer folder. */
const withBangPad = (): ChunkingTokenizer => ({
  bosId: clip.bosId,
  eosId: clip.eosId,
  padId: 0,
  maxLength: clip.maxLength,
  tokenize: (text) => clip.tokenize(text),
  idOf: (token) => clip.idOf(token),
});

const prompt = (...parts: Array<[string, number]>) => parts.map(([word, count]) => Array(count).fill(word).join(' ')).join(' ');
const contentOf = (chunk: PromptChunk) => {
  const end = chunk.ids.indexOf(EOS);
  return Array.from(chunk.ids.subarray(1, end));
};

describe('tokenizeWeightedPrompt', () => {
  it('wraps a short prompt as bos + tokens + eos + pad with per-token weights', () => {
    const { chunks } = tokenizeWeightedPrompt(clip, 'a (b:1.5) c');
    assert.equal(chunks.length, 1);
    assert.ok(chunks[0].ids instanceof Int32Array && chunks[0].weights instanceof Float32Array);
    assert.deepEqual(Array.from(chunks[0].ids), clip.encodePadded('a b c'));
    const expected = new Float32Array(77).fill(1);
    expected[2] = 1.5;
    assert.deepEqual(chunks[0].weights, expected);
  });

  it('pads with the tokenizer pad id, eos stays once after the tokens', () => {
    const { chunks } = tokenizeWeightedPrompt(withBangPad(), '(cat)');
    const ids = Array.from(chunks[0].ids);
    assert.deepEqual(ids.slice(0, 4), [BOS, clip.tokenize('cat')[0], EOS, 0]);
    assert.ok(ids.slice(3).every((id) => id === 0));
    assert.equal(chunks[0].weights[1], Math.fround(1.1));
  });

  it('gives an empty prompt one chunk of bos, eos and padding', () => {
    const { chunks } = tokenizeWeightedPrompt(clip, '');
    assert.equal(chunks.length, 1);
    assert.deepEqual(Array.from(chunks[0].ids), clip.encodePadded(''));
    assert.ok(chunks[0].weights.every((w) => w === 1));
    assert.deepEqual(chunks[0], emptyChunk(clip));
  });

  it('splits long prompts into chunks of 75 tokens', () => {
    const { chunks } = tokenizeWeightedPrompt(clip, prompt(['word', 80]));
    assert.equal(chunks.length, 2);
    assert.deepEqual(contentOf(chunks[0]), Array(75).fill(WORD));
    assert.deepEqual(contentOf(chunks[1]), Array(5).fill(WORD));
    for (const chunk of chunks) assert.equal(chunk.ids.length, 77);
  });

  it('moves the words after a comma within the last 20 tokens to the next chunk', () => {
    const { chunks } = tokenizeWeightedPrompt(clip, `${prompt(['word', 70])}, ${prompt(['word', 10])}`);
    assert.deepEqual(contentOf(chunks[0]), [...Array(70).fill(WORD), COMMA]);
    assert.deepEqual(contentOf(chunks[1]), Array(10).fill(WORD));
  });

  it('does not move words when the last comma is further back, or when backtracking is off', () => {
    const far = tokenizeWeightedPrompt(clip, `${prompt(['word', 50])}, ${prompt(['word', 40])}`).chunks;
    assert.equal(contentOf(far[0]).length, 75);
    assert.equal(contentOf(far[1]).length, 16);
    const off = tokenizeWeightedPrompt(clip, `${prompt(['word', 70])}, ${prompt(['word', 10])}`, { commaBacktrack: 0 }).chunks;
    assert.equal(contentOf(off[0]).length, 75);
    assert.equal(contentOf(off[1]).length, 6);
  });

  it('keeps weights with their tokens across chunk boundaries', () => {
    const { chunks } = tokenizeWeightedPrompt(clip, `${prompt(['word', 74])} (a b c:1.25)`);
    assert.deepEqual(Array.from(chunks[0].weights.subarray(74, 77)), [1, 1.25, 1]);
    assert.deepEqual(Array.from(chunks[1].weights.subarray(0, 4)), [1, 1.25, 1.25, 1]);
  });

  it('starts a new chunk at BREAK, even at the start of the prompt', () => {
    const split = tokenizeWeightedPrompt(clip, 'a cat BREAK a dog').chunks;
    assert.deepEqual(split.map(contentOf), [clip.tokenize('a cat'), clip.tokenize('a dog')]);
    const leading = tokenizeWeightedPrompt(clip, 'BREAK a dog').chunks;
    assert.deepEqual(leading.map(contentOf), [[], clip.tokenize('a dog')]);
    assert.equal(tokenizeWeightedPrompt(clip, 'a cat BREAK').chunks.length, 1);
  });
});

describe('padChunkCount', () => {
  it('appends empty chunks up to the count without changing the input', () => {
    const chunks = tokenizeWeightedPrompt(clip, 'a cat').chunks;
    const padded = padChunkCount(chunks, 3, clip);
    assert.equal(chunks.length, 1);
    assert.equal(padded.length, 3);
    assert.equal(padded[0], chunks[0]);
    assert.deepEqual(padded[2], emptyChunk(clip));
    assert.deepEqual(Array.from(padded[1].ids), clip.encodePadded(''));
  });

  it('leaves lists that are already long enough as they are', () => {
    const chunks = tokenizeWeightedPrompt(clip, prompt(['word', 100])).chunks;
    assert.deepEqual(padChunkCount(chunks, 1, clip), chunks);
  });
});
