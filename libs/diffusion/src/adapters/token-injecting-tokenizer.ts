import type { ChunkingTokenizer } from '../text/prompt-chunks.js';

/**
 * A tokenizer that emits the new ids of textual-inversion embeddings wherever their names occur
 * as whole words, and defers everything else to the CLIP tokenizer.
 */
export class TokenInjectingTokenizer implements ChunkingTokenizer {
  private readonly pattern: RegExp | undefined;

  constructor(
    private readonly inner: ChunkingTokenizer,
    private readonly tokens: ReadonlyMap<string, readonly number[]>,
  ) {
    const names = [...tokens.keys()].sort((a, b) => b.length - a.length).map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = names.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}_])(${names.join('|')})(?![\\p{L}\\p{N}_])`, 'gu') : undefined;
  }

  get bosId(): number {
    return this.inner.bosId;
  }
  get eosId(): number {
    return this.inner.eosId;
  }
  get padId(): number {
    return this.inner.padId;
  }
  get maxLength(): number {
    return this.inner.maxLength;
  }

  idOf(token: string): number | undefined {
    return this.inner.idOf(token);
  }

  tokenize(text: string): number[] {
    if (!this.pattern) return this.inner.tokenize(text);
    const ids: number[] = [];
    let last = 0;
    for (const match of text.matchAll(this.pattern)) {
      ids.push(...this.inner.tokenize(text.slice(last, match.index)));
      ids.push(...(this.tokens.get(match[0]) ?? []));
      last = (match.index ?? 0) + match[0].length;
    }
    ids.push(...this.inner.tokenize(text.slice(last)));
    return ids;
  }
}
