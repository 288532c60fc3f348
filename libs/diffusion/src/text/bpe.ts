import { toByteChars } from './byte-unicode.js';

/** CLIP marks the last symbol of every word, so "a" at a word end and inside a word differ. */
export const END_OF_WORD = '</w>';

/** Same bound the Rust tokenizers library uses: enough for any prompt vocabulary, never unbounded. */
const DEFAULT_CACHE_LIMIT = 10_000;

/** Key under which the merge of `left` and `right` is ranked: the merges.txt line itself. */
export function mergeKey(left: string, right: string): string {
  return `${left} ${right}`;
}

/**
 * Applies merges to a word's symbols, always the lowest-ranked adjacent pair first, every
 * non-overlapping occurrence left to right, until no adjacent pair has a rank.
 */
export function applyMerges(initial: readonly string[], ranks: ReadonlyMap<string, number>): string[] {
  let symbols = initial.slice();
  while (symbols.length > 1) {
    let bestRank = Number.POSITIVE_INFINITY;
    let bestAt = -1;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = ranks.get(mergeKey(symbols[i], symbols[i + 1]));
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        bestAt = i;
      }
    }
    if (bestAt < 0) break;
    const left = symbols[bestAt];
    const right = symbols[bestAt + 1];
    const merged: string[] = symbols.slice(0, bestAt);
    for (let i = bestAt; i < symbols.length; i++) {
      if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
        merged.push(left + right);
        i++;
      } else {
        merged.push(symbols[i]);
      }
    }
    symbols = merged;
  }
  return symbols;
}

/** Byte-level BPE over pre-tokenized words, with a bounded per-word cache of the resulting ids. */
export class BpeModel {
  private readonly cache = new Map<string, readonly number[]>();

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    private readonly ranks: ReadonlyMap<string, number>,
    private readonly unknownId: number,
    private readonly cacheLimit = DEFAULT_CACHE_LIMIT,
  ) {}

  /** Token ids of one word (raw text: the byte mapping and end-of-word marker are added here). */
  encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const symbols = toByteChars(word);
    if (symbols.length === 0) return [];
    symbols[symbols.length - 1] += END_OF_WORD;
    const ids = applyMerges(symbols, this.ranks).map((symbol) => this.vocab.get(symbol) ?? this.unknownId);
    // Clearing wholesale is crude but keeps lookups O(1) and memory bounded for long-lived workers.
    if (this.cache.size >= this.cacheLimit) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }
}
