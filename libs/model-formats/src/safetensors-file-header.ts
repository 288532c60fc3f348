// Validates a safetensors file from its header and its size alone, so multi-gigabyte uploads are
// checked without reading (or holding) their tensor data: the header must describe exactly the
// bytes that follow it, as parseSafetensors requires of a file held in memory.
import type { FileHandle } from 'node:fs/promises';
import { decodeHeader, MAX_HEADER_BYTES } from './safetensors.js';
import { SafetensorsError } from './safetensors-error.js';
import { validateHeader, type HeaderLayout } from './safetensors-header.js';

/** Whether the first bytes look like safetensors (a plausible header length, then `{`). */
export function looksLikeSafetensorsStart(first: Uint8Array, fileSize: number): boolean {
  if (first.byteLength < 9 || fileSize < 10) return false;
  const headerLength = Number(new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true));
  return headerLength > 0 && headerLength < Math.min(fileSize, MAX_HEADER_BYTES) && first[8] === 0x7b;
}

/** The layout of an open safetensors file of `fileSize` bytes, read from its header only. */
export async function inspectSafetensorsHeader(file: FileHandle, fileSize: number): Promise<HeaderLayout> {
  if (fileSize < 8) throw new SafetensorsError(`file is ${fileSize} bytes, too short for the 8-byte header length`);
  const prefix = Buffer.alloc(8);
  await file.read(prefix, 0, 8, 0);
  const declared = prefix.readBigUInt64LE(0);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte cap`);
  const headerLength = Number(declared);
  if (8 + headerLength > fileSize) throw new SafetensorsError(`header length ${headerLength} runs past the end of the file (${fileSize} bytes)`);
  const header = Buffer.alloc(headerLength);
  await file.read(header, 0, headerLength, 8);
  return validateHeader(decodeHeader(header), fileSize - 8 - headerLength);
}
