// A fixed pseudo-random vector per token id, so every word (not only the demo vocabulary) moves
// the prompt embedding e: a made-up trigger word such as "zxq" gets a direction of its own.
// Counter-based (a hash of seed, id and index), so any row can be recomputed without the table.

/** murmur3's 32-bit finaliser: a bijection that scatters nearby inputs. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function uniform(seed: number, id: number, counter: number): number {
  const h = mix32(mix32(mix32(seed) ^ id) + Math.imul(counter, 0x9e3779b9));
  // (h + 0.5) / 2^32 lies strictly inside (0, 1), so the logarithm below is finite.
  return (h + 0.5) / 4294967296;
}

/** Standard-normal components (Box–Muller) of token `id`'s embedding. */
export function tokenEmbedding(id: number, size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  for (let k = 0; k < size; k++) {
    const radius = Math.sqrt(-2 * Math.log(uniform(seed, id, 2 * k)));
    out[k] = radius * Math.cos(2 * Math.PI * uniform(seed, id, 2 * k + 1));
  }
  return out;
}

/**
 * [vocabSize, size + 1]: the embedding of every id, then a 1 that counts the token. Special
 * tokens (bos, eos, which SD 1.x also pads with) have an all-zero row, so e is the mean over the
 * words of the prompt whatever the padding.
 */
export function tokenEmbeddingTable(vocabSize: number, size: number, seed: number, specialIds: readonly number[]): Float32Array {
  const width = size + 1;
  const table = new Float32Array(vocabSize * width);
  const special = new Set(specialIds);
  for (let id = 0; id < vocabSize; id++) {
    if (special.has(id)) continue;
    table.set(tokenEmbedding(id, size, seed), id * width);
    table[id * width + size] = 1;
  }
  return table;
}

/** e for a list of ids, as the text encoder computes it (TypeScript mirror, float32 sums). */
export function promptEmbeddingOfIds(ids: readonly number[], size: number, seed: number, specialIds: readonly number[]): Float32Array {
  const special = new Set(specialIds);
  const sum = new Float32Array(size);
  let count = 0;
  for (const id of ids) {
    if (special.has(id)) continue;
    const row = tokenEmbedding(id, size, seed);
    for (let k = 0; k < size; k++) sum[k] = Math.fround(sum[k] + row[k]);
    count++;
  }
  return sum.map((value) => value / Math.max(count, 1));
}
