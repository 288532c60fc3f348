import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A tokenizer folder is missing a file or holds one this code cannot use. */
export class TokenizerFilesError extends Error {
  override readonly name = 'TokenizerFilesError';

  constructor(readonly file: string, reason: string, options?: ErrorOptions) {
    super(`Tokenizer file ${file}: ${reason}`, options);
  }
}

/** How a special token is written in the folder: its text and whether it is matched after normalisation. */
export interface TokenSpelling {
  readonly content: string;
  readonly normalized: boolean;
}

/** Everything a CLIP tokenizer needs, as read from a Hugging Face tokenizer folder. */
export interface ClipTokenizerFiles {
  readonly vocab: ReadonlyMap<string, number>;
  /** merges.txt lines ("left right") in rank order, without the "#version" header. */
  readonly merges: readonly string[];
  readonly bos: TokenSpelling;
  readonly eos: TokenSpelling;
  readonly pad: TokenSpelling;
  readonly unk: TokenSpelling;
  /** Entries of tokenizer_config's `added_tokens_decoder`, which newer folders carry. */
  readonly addedTokens: ReadonlyArray<TokenSpelling & { readonly id: number }>;
  readonly maxLength: number;
}

const CLIP_DEFAULTS = {
  bos: { content: '<|startoftext|>', normalized: false },
  eos: { content: '<|endoftext|>', normalized: false },
  pad: { content: '<|endoftext|>', normalized: false },
  unk: { content: '<|endoftext|>', normalized: false },
  maxLength: 77,
} as const;

// transformers writes int(1e30) when a tokenizer has no length limit; CLIP always has one.
const LARGEST_PLAUSIBLE_LENGTH = 1_000_000;

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readOptionalText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerFilesError(file, 'cannot be read', { cause: error });
  }
}


function parseJsonObject(file: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenizerFilesError(file, 'is not valid JSON', { cause: error });
  }
  if (!isObject(value)) throw new TokenizerFilesError(file, 'must hold a JSON object');
  return value;
}

/** Special tokens come as plain strings or as serialised AddedToken objects `{ content, normalized, ... }`. */
function parseSpelling(value: unknown): TokenSpelling | undefined {
  if (typeof value === 'string') return { content: value, normalized: false };
  if (isObject(value) && typeof value.content === 'string') {
    return { content: value.content, normalized: value.normalized === true };
  }
  return undefined;
}

function parseVocab(file: string, text: string): Map<string, number> {
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(parseJsonObject(file, text))) {
    if (!Number.isInteger(id)) throw new TokenizerFilesError(file, `id of ${JSON.stringify(token)} is not an integer`);
    vocab.set(token, id as number);
  }
  return vocab;
}

function parseMerges(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#version'));
}

function parseAddedTokens(config: JsonObject): Array<TokenSpelling & { id: number }> {
  const table = config.added_tokens_decoder;
  if (!isObject(table)) return [];
  const tokens: Array<TokenSpelling & { id: number }> = [];
  for (const [key, value] of Object.entries(table)) {
    const spelling = parseSpelling(value);
    const id = Number(key);
    if (spelling !== undefined && Number.isInteger(id)) tokens.push({ ...spelling, id });
  }
  return tokens;
}

function parseMaxLength(config: JsonObject): number {
  const value = config.model_max_length;
  const usable = typeof value === 'number' && Number.isInteger(value) && value >= 2 && value <= LARGEST_PLAUSIBLE_LENGTH;
  return usable ? value : CLIP_DEFAULTS.maxLength;
}

/**
 * Reads vocab.json and merges.txt (required) plus tokenizer_config.json and
 * special_tokens_map.json (optional). As in transformers, special_tokens_map.json wins over
 * tokenizer_config.json, and CLIP's own defaults fill whatever neither names.
 */
export async function readClipTokenizerFiles(dir: string): Promise<ClipTokenizerFiles> {
  const file = (name: string) => path.join(dir, name);
  // Read in parallel, checked in a fixed order: a folder missing both files always names vocab.json.
  const [vocabRead, mergesRead, configText, specialText] = await Promise.all([
    readOptionalText(file('vocab.json')),
    readOptionalText(file('merges.txt')),
    readOptionalText(file('tokenizer_config.json')),
    readOptionalText(file('special_tokens_map.json')),
  ]);
  if (vocabRead === undefined) throw new TokenizerFilesError(file('vocab.json'), 'not found');
  if (mergesRead === undefined) throw new TokenizerFilesError(file('merges.txt'), 'not found');
  const config = configText === undefined ? {} : parseJsonObject(file('tokenizer_config.json'), configText);
  const specialMap = specialText === undefined ? {} : parseJsonObject(file('special_tokens_map.json'), specialText);
  const spelling = (key: 'bos' | 'eos' | 'pad' | 'unk'): TokenSpelling =>
    parseSpelling(specialMap[`${key}_token`]) ?? parseSpelling(config[`${key}_token`]) ?? CLIP_DEFAULTS[key];

  return {
    vocab: parseVocab(file('vocab.json'), vocabRead),
    merges: parseMerges(mergesRead),
    bos: spelling('bos'),
    eos: spelling('eos'),
    pad: spelling('pad'),
    unk: spelling('unk'),
    addedTokens: parseAddedTokens(config),
    maxLength: parseMaxLength(config),
  };
}
