/**
 * Text normalisation and word splitting of Hugging Face's CLIP tokenizer as the `tokenizers`
 * pipeline runs it: NFC, whitespace runs to one space, per-character lower-casing, then the
 * CLIP split regex and the byte-level pre-tokenizer. That is `transformers.CLIPTokenizer` in
 * transformers 5 and `CLIPTokenizerFast` before it, and it is what the reference ids were made
 * with. The older pure-Python class without ftfy differs: it spaces out CJK ideographs (so each
 * becomes its own word), deletes control/format characters and U+FFFD, and applies final sigma.
 */

// Oniguruma's \s (Unicode White_Space). JS's \s is not the same set: it adds U+FEFF and lacks U+0085.
const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${WHITESPACE}]+`, 'gu');
const CAPITAL_SIGMA = /\u03a3/g;
const SMALL_SIGMA = '\u03c3';

/** NFC, whitespace runs to a single space, lower case. */
export function normalizeClipText(text: string): string {
  // The Rust normaliser lower-cases one character at a time, so a word-final capital sigma
  // becomes σ, whereas String#toLowerCase would apply the final-sigma rule and give ς.
  return text.normalize('NFC').replace(WHITESPACE_RUN, ' ').replace(CAPITAL_SIGMA, SMALL_SIGMA).toLowerCase();
}

const START_OF_TEXT = '<|startoftext|>';
const END_OF_TEXT = '<|endoftext|>';

const CLIP_WORD = new RegExp(
  `<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${WHITESPACE}\\p{L}\\p{N}]+`,
  'gu',
);

/**
 * Words of already normalised text, in order. Whitespace separates words and is dropped.
 * The special-token spellings survive the CLIP regex as one word, but the byte-level
 * pre-tokenizer that follows it (GPT-2 regex) cuts them into "<|", the name, and "|>"; every
 * other CLIP word is left whole by that second split.
 */
export function splitClipWords(normalized: string): string[] {
  const words: string[] = [];
  CLIP_WORD.lastIndex = 0;
  for (let match = CLIP_WORD.exec(normalized); match !== null; match = CLIP_WORD.exec(normalized)) {
    const word = match[0];
    if (word === START_OF_TEXT || word === END_OF_TEXT) words.push('<|', word.slice(2, -2), '|>');
    else words.push(word);
  }
  return words;
}
