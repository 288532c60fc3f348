/**
 * GPT-2 / CLIP byte-level alphabet: every UTF-8 byte gets a printable stand-in character so
 * that BPE never has to deal with whitespace or control characters. Printable Latin-1 bytes
 * keep their own character; the remaining 68 bytes are moved to U+0100 upwards, in byte order.
 */
function buildByteToChar(): readonly string[] {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const keepsItself = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    table[byte] = String.fromCharCode(keepsItself ? byte : 256 + shifted++);
  }
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

const utf8 = new TextEncoder();
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });

/** The UTF-8 bytes of `text`, each replaced by its stand-in character. */
export function toByteChars(text: string): string[] {
  const bytes = utf8.encode(text);
  const chars = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) chars[i] = BYTE_TO_CHAR[bytes[i]];
  return chars;
}

/** Inverse of `toByteChars` (joined); invalid UTF-8 becomes U+FFFD like Python's errors="replace". */
export function fromByteChars(text: string): string {
  const bytes: number[] = [];
  for (const char of text) {
    const byte = CHAR_TO_BYTE.get(char);
    if (byte !== undefined) bytes.push(byte);
  }
  return utf8Lenient.decode(Uint8Array.from(bytes));
}
