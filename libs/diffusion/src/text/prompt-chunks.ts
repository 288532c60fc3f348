import { parsePromptAttention } from './prompt-attention.js';

export { applyTokenWeights, type HiddenStateDims } from './token-weights.js';

/** One text-encoder input: `maxLength` ids (bos, tokens, eos, pads) and one weight per id. */
export interface PromptChunk {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
}

export interface WeightedPrompt {
  /** Never empty: an empty prompt gives one chunk holding only bos, eos and padding. */
  readonly chunks: PromptChunk[];
}

/** What chunking needs from a tokenizer; ClipTokenizer provides it. */
export interface ChunkingTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly maxLength: number;
  tokenize(text: string): number[];
  idOf(token: string): number | undefined;
}

export interface ChunkingOptions {
  /**
   * A1111's "comma padding backtrack": when a chunk fills up and its last comma is at most this
   * many tokens from the end, the words after that comma move to the next chunk. 0 turns it off.
   */
  readonly commaBacktrack?: number;
}

const DEFAULT_COMMA_BACKTRACK = 20;

/** bos + tokens + eos, then pad ids up to maxLength; bos, eos and pads get weight 1. */
function wrapChunk(tokenizer: ChunkingTokenizer, tokens: readonly number[], weights: readonly number[]): PromptChunk {
  const ids = new Int32Array(tokenizer.maxLength).fill(tokenizer.padId);
  const chunkWeights = new Float32Array(tokenizer.maxLength).fill(1);
  ids[0] = tokenizer.bosId;
  ids.set(tokens, 1);
  chunkWeights.set(weights, 1);
  ids[tokens.length + 1] = tokenizer.eosId;
  return { ids, weights: chunkWeights };
}

/** A chunk with no prompt tokens, as used to even out prompt and negative prompt. */
export function emptyChunk(tokenizer: ChunkingTokenizer): PromptChunk {
  return wrapChunk(tokenizer, [], []);
}

class ChunkBuilder {
  readonly chunks: PromptChunk[] = [];
  private tokens: number[] = [];
  private weights: number[] = [];
  private lastComma = -1;

  constructor(
    private readonly tokenizer: ChunkingTokenizer,
    private readonly capacity: number,
    private readonly commaId: number | undefined,
    private readonly commaBacktrack: number,
  ) {}

  add(token: number, weight: number): void {
    if (token === this.commaId) {
      this.lastComma = this.tokens.length;
    } else if (this.isFull() && this.lastComma !== -1 && this.capacity - this.lastComma <= this.commaBacktrack) {
      const cut = this.lastComma + 1;
      const movedTokens = this.tokens.splice(cut);
      const movedWeights = this.weights.splice(cut);
      this.close();
      this.tokens = movedTokens;
      this.weights = movedWeights;
    }
    if (this.isFull()) this.close();
    this.tokens.push(token);
    this.weights.push(weight);
  }

  /** Ends the current chunk even if it is empty (BREAK does this). */
  close(): void {
    this.chunks.push(wrapChunk(this.tokenizer, this.tokens, this.weights));
    this.tokens = [];
    this.weights = [];
    this.lastComma = -1;
  }

  finish(): PromptChunk[] {
    if (this.tokens.length > 0 || this.chunks.length === 0) this.close();
    return this.chunks;
  }

  private isFull(): boolean {
    return this.tokens.length === this.capacity;
  }
}

/**
 * A1111-style long-prompt handling: parses attention syntax, tokenizes every fragment on its
 * own, and cuts the token stream into chunks of maxLength - 2 tokens, preferring to cut after
 * a nearby comma. LoRA tags are taken out by the API's resolver (extractLoraTags in libs/contracts); they are not special here.
 */
export function tokenizeWeightedPrompt(tokenizer: ChunkingTokenizer, text: string, options: ChunkingOptions = {}): WeightedPrompt {
  const capacity = tokenizer.maxLength - 2;
  if (capacity < 1) throw new RangeError(`Tokenizer maxLength ${tokenizer.maxLength} leaves no room for tokens`);
  const builder = new ChunkBuilder(tokenizer, capacity, tokenizer.idOf(',</w>'), options.commaBacktrack ?? DEFAULT_COMMA_BACKTRACK);
  for (const fragment of parsePromptAttention(text)) {
    if (fragment.isBreak) {
      builder.close();
      continue;
    }
    for (const token of tokenizer.tokenize(fragment.text)) builder.add(token, fragment.weight);
  }
  return { chunks: builder.finish() };
}

/**
 * `chunks` followed by empty chunks up to `count` (a new array; the input is not changed), so a
 * prompt and its negative prompt can be encoded side by side. Longer lists are returned as they are.
 */
export function padChunkCount(chunks: readonly PromptChunk[], count: number, tokenizer: ChunkingTokenizer): PromptChunk[] {
  const padded = chunks.slice();
  while (padded.length < count) padded.push(emptyChunk(tokenizer));
  return padded;
}
