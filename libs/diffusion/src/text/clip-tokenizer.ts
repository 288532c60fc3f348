import { BpeModel, END_OF_WORD, mergeKey } from './bpe.js';
import { fromByteChars } from './byte-unicode.js';
import { normalizeClipText, splitClipWords } from './clip-pretokenize.js';
import { SpecialTokenSplitter, type SpecialToken } from './special-tokens.js';
import { readClipTokenizerFiles, TokenizerFilesError, type ClipTokenizerFiles, type TokenSpelling } from './tokenizer-files.js';

/**
 * CLIP byte-level BPE tokenizer, id for id with Hugging Face `transformers.CLIPTokenizer`
 * (the `tokenizers`-backed one) for the Stable Diffusion tokenizer folders.
 */
export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  readonly maxLength: number;

  private readonly vocab: ReadonlyMap<string, number>;
  private readonly bpe: BpeModel;
  private readonly rawSpecials: SpecialTokenSplitter;
  private readonly normalizedSpecials: SpecialTokenSplitter;
  private tokenById: string[] | undefined;

  private constructor(files: ClipTokenizerFiles) {
    this.vocab = files.vocab;
    const idOf = (role: string, spelling: TokenSpelling): number => {
      const id = files.vocab.get(spelling.content);
      if (id === undefined) {
        throw new TokenizerFilesError('vocab.json', `has no entry for the ${role} token ${JSON.stringify(spelling.content)}`);
      }
      return id;
    };
    this.bosId = idOf('bos', files.bos);
    this.eosId = idOf('eos', files.eos);
    this.padId = idOf('pad', files.pad);
    this.unkId = idOf('unk', files.unk);
    this.maxLength = files.maxLength;

    const ranks = new Map<string, number>();
    files.merges.forEach((line, rank) => {
      const [left, right] = line.split(' ');
      if (left !== undefined && right !== undefined && !ranks.has(mergeKey(left, right))) ranks.set(mergeKey(left, right), rank);
    });
    this.bpe = new BpeModel(files.vocab, ranks, this.unkId);

    const specials: SpecialToken[] = [
      { ...files.bos, id: this.bosId },
      { ...files.eos, id: this.eosId },
      { ...files.pad, id: this.padId },
      { ...files.unk, id: this.unkId },
      ...files.addedTokens,
    ];
    this.rawSpecials = new SpecialTokenSplitter(specials.filter((token) => !token.normalized));
    this.normalizedSpecials = new SpecialTokenSplitter(specials.filter((token) => token.normalized));
  }

  /** Reads a Hugging Face tokenizer folder (vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json). */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    return new ClipTokenizer(await readClipTokenizerFiles(dir));
  }

  /** Builds a tokenizer from already-parsed files (tests, or vocabularies not kept on disk). */
  static fromFiles(files: ClipTokenizerFiles): ClipTokenizer {
    return new ClipTokenizer(files);
  }

  /**
   * Token ids of `text` without bos/eos and without any length limit. Special tokens written
   * literally in the text (including a pad token such as "!") become their ids, as in transformers.
   */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const rawPiece of this.rawSpecials.split(text)) {
      if (typeof rawPiece === 'number') {
        ids.push(rawPiece);
        continue;
      }
      for (const piece of this.normalizedSpecials.split(normalizeClipText(rawPiece))) {
        if (typeof piece === 'number') ids.push(piece);
        else for (const word of splitClipWords(piece)) for (const id of this.bpe.encodeWord(word)) ids.push(id);
      }
    }
    return ids;
  }

  /** bos + tokens + eos, never truncated. */
  encode(text: string): number[] {
    return [this.bosId, ...this.tokenize(text), this.eosId];
  }

  /** Exactly `length` ids: bos + tokens (cut so that eos stays last) + eos + pad ids. */
  encodePadded(text: string, length: number = this.maxLength): number[] {
    if (!Number.isInteger(length) || length < 2) throw new RangeError(`Padded length must be an integer >= 2, got ${length}`);
    const ids = [this.bosId, ...this.tokenize(text).slice(0, length - 2), this.eosId];
    while (ids.length < length) ids.push(this.padId);
    return ids;
  }

  /** Id of a vocabulary entry written as in vocab.json (e.g. ",</w>"), if present. */
  idOf(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Readable text for ids, for logs and truncation warnings; bos/eos/pad are left out. */
  decode(ids: readonly number[]): string {
    const tokenById = (this.tokenById ??= this.invertVocab());
    const skipped = new Set([this.bosId, this.eosId, this.padId]);
    const symbols = ids.filter((id) => !skipped.has(id)).map((id) => tokenById[id] ?? '');
    return fromByteChars(symbols.join('')).split(END_OF_WORD).join(' ').trim();
  }

  private invertVocab(): string[] {
    const tokens: string[] = [];
    for (const [token, id] of this.vocab) tokens[id] = token;
    return tokens;
  }
}
