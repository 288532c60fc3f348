/** A token the text is cut at before any BPE runs (bos/eos/pad/unk and other added tokens). */
export interface SpecialToken {
  readonly content: string;
  readonly id: number;
  /**
   * Matched in the normalised (lower-cased, NFC) text rather than the raw text, as `tokenizers`
   * does for added tokens flagged `normalized`.
   */
  readonly normalized: boolean;
}

/** Text pieces and, between them, the ids of the special tokens found in the text. */
export type SpecialSplit = Array<string | number>;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Cuts text at literal occurrences of special tokens, leftmost first, longest first. */
export class SpecialTokenSplitter {
  private readonly pattern: RegExp | undefined;
  private readonly idByContent: ReadonlyMap<string, number>;

  constructor(tokens: readonly SpecialToken[]) {
    const idByContent = new Map<string, number>();
    for (const token of tokens) if (token.content !== '' && !idByContent.has(token.content)) idByContent.set(token.content, token.id);
    this.idByContent = idByContent;
    const contents = [...idByContent.keys()].sort((a, b) => b.length - a.length);
    this.pattern = contents.length === 0 ? undefined : new RegExp(contents.map(escapeRegExp).join('|'), 'g');
  }

  split(text: string): SpecialSplit {
    if (this.pattern === undefined) return [text];
    const pieces: SpecialSplit = [];
    let from = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (match.index > from) pieces.push(text.slice(from, match.index));
      const id = this.idByContent.get(match[0]);
      if (id !== undefined) pieces.push(id);
      from = match.index + match[0].length;
    }
    if (from < text.length) pieces.push(text.slice(from));
    return pieces;
  }
}
