// The embedding cache: keys from decoded pixels and the model id, LRU eviction by bytes, one
// encoder run shared by concurrent requests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pixelImage } from '@atelier/preprocessors';
import { EmbeddingCache, embeddingKey } from './embedding-cache.js';
import type { ImageEmbeddings } from './sam-encoder.js';

function embeddings(floats: number, positional = 0): ImageEmbeddings {
  return {
    embeddings: new Float32Array(floats),
    embeddingDims: [floats],
    positional: positional > 0 ? { data: new Float32Array(positional), dims: [positional] } : null,
  };
}

describe('embedding cache', () => {
  it('keys on the pixels, their shape and the model id', () => {
    const a = pixelImage(2, 3, 3, new Uint8Array(18).fill(7));
    assert.equal(embeddingKey(a, 'sam'), embeddingKey(pixelImage(2, 3, 3, new Uint8Array(18).fill(7)), 'sam'));
    assert.notEqual(embeddingKey(a, 'sam'), embeddingKey(a, 'mobile-sam'));
    assert.notEqual(embeddingKey(a, 'sam'), embeddingKey(pixelImage(3, 2, 3, new Uint8Array(18).fill(7)), 'sam'));
    const changed = new Uint8Array(18).fill(7);
    changed[17] = 8;
    assert.notEqual(embeddingKey(a, 'sam'), embeddingKey(pixelImage(2, 3, 3, changed), 'sam'));
  });

  it('evicts the least recently used entries once the bytes exceed the bound', () => {
    const cache = new EmbeddingCache(3 * 400);
    cache.set('a', embeddings(100));
    cache.set('b', embeddings(50, 50));
    cache.set('c', embeddings(100));
    assert.equal(cache.bytes, 1200);
    assert.ok(cache.get('a'));
    cache.set('d', embeddings(100));
    // b was the least recently used: a was read after it was stored.
    assert.deepEqual([cache.has('a'), cache.has('b'), cache.has('c'), cache.has('d')], [true, false, true, true]);
    assert.equal(cache.bytes, 1200);
    cache.set('e', embeddings(150));
    assert.deepEqual([cache.has('a'), cache.has('c'), cache.has('d'), cache.has('e')], [false, false, true, true]);
    assert.equal(cache.bytes, 1000);
  });

  it('does not keep an entry larger than the whole bound, and re-setting a key replaces its bytes', () => {
    const cache = new EmbeddingCache(1000);
    cache.set('small', embeddings(100));
    cache.set('huge', embeddings(1000));
    assert.equal(cache.has('huge'), false);
    assert.equal(cache.has('small'), true);
    cache.set('small', embeddings(200));
    assert.equal(cache.bytes, 800);
    assert.equal(cache.size, 1);
  });

  it('runs compute once for concurrent misses and reports later calls as cached', async () => {
    const cache = new EmbeddingCache();
    let runs = 0;
    const compute = async (): Promise<ImageEmbeddings> => {
      runs++;
      await new Promise((resolve) => setImmediate(resolve));
      return embeddings(16);
    };
    const [first, second] = await Promise.all([cache.getOrCompute('k', compute), cache.getOrCompute('k', compute)]);
    assert.equal(runs, 1);
    assert.deepEqual([first.cached, second.cached], [false, true]);
    assert.equal((await cache.getOrCompute('k', compute)).cached, true);
    assert.equal(runs, 1);
  });

  it('does not cache a failed compute', async () => {
    const cache = new EmbeddingCache();
    await assert.rejects(cache.getOrCompute('k', () => Promise.reject(new Error('encoder failed'))));
    assert.equal(cache.has('k'), false);
    assert.equal((await cache.getOrCompute('k', () => Promise.resolve(embeddings(4)))).cached, false);
  });
});
