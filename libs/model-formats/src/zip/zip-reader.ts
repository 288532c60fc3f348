// A ZIP reader for model archives held in memory. It trusts nothing: every entry's local header
// must agree with the central directory, entries may not overlap one another or the directory,
// names may not traverse, and declared sizes are checked against the file, the limits and the
// data actually produced (so a zip bomb fails before or while it inflates, never after).
import { crc32, inflateRawSync } from 'node:zlib';
import { ZipError } from './zip-error.js';
import { checkEntryName } from './zip-name.js';
import { findCentralDirectory, SIG_CENTRAL, SIG_LOCAL, u64 } from './zip-records.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  compressedSize: number;
  size: number;
  crc32: number;
  headerOffset: number;
  dataOffset: number;
}

export interface ZipLimits {
  maxEntries?: number;
  /** Cap on the sum of declared uncompressed sizes. */
  maxTotalSize?: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_TOTAL_SIZE = 64 * 1024 ** 3;
/** Deflate cannot expand data by more than about 1032:1. */
const MAX_DEFLATE_RATIO = 1032;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const FLAG_MASKED_HEADERS = 0x2000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ZipArchive {
  private constructor(
    private readonly bytes: Uint8Array,
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  static open(bytes: Uint8Array, limits: ZipLimits = {}): ZipArchive {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const directory = findCentralDirectory(view);
    const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (directory.count > maxEntries) throw new ZipError(`${directory.count} entries, over the limit of ${maxEntries}`);
    const maxTotal = limits.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE;
    const entries = new Map<string, ZipEntry>();
    let cursor = directory.offset;
    let total = 0;
    for (let i = 0; i < directory.count; i++) {
      const { entry, next } = readCentralEntry(view, cursor, directory.offset + directory.size);
      cursor = next;
      if (entries.has(entry.name)) throw new ZipError('appears twice in the central directory', entry.name);
      checkSizes(entry, maxTotal);
      total += entry.size;
      if (total > maxTotal) throw new ZipError(`declared sizes add up to more than the ${maxTotal}-byte limit`);
      entries.set(entry.name, entry);
    }
    checkLayout([...entries.values()], directory.offset);
    return new ZipArchive(bytes, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The entry's bytes: a view into the archive when stored, inflated and size-checked otherwise. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (entry === undefined) throw new ZipError('no such entry', name);
    const raw = this.bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    const data = entry.method === 0 ? raw : inflate(raw, entry);
    if (crc32(data) >>> 0 !== entry.crc32) throw new ZipError('CRC-32 does not match the data', name);
    return data;
  }
}

function inflate(raw: Uint8Array, entry: ZipEntry): Uint8Array {
  let out: Buffer;
  try {
    out = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ZipError(`inflates past its declared ${entry.size} bytes`, entry.name);
    throw new ZipError(`corrupt deflate data (${(error as Error).message})`, entry.name);
  }
  if (out.byteLength !== entry.size) throw new ZipError(`inflates to ${out.byteLength} bytes, declared ${entry.size}`, entry.name);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function readCentralEntry(view: DataView, at: number, end: number): { entry: ZipEntry; next: number } {
  if (at + 46 > end || view.getUint32(at, true) !== SIG_CENTRAL) throw new ZipError(`no central directory entry at ${at}`);
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const commentLength = view.getUint16(at + 32, true);
  const next = at + 46 + nameLength + extraLength + commentLength;
  if (next > end) throw new ZipError(`central directory entry at ${at} runs past the directory`);
  const name = decodeName(view, at + 46, nameLength, flags);
  checkEntryName(name);
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) throw new ZipError('is encrypted', name);
  if (method !== 0 && method !== 8) throw new ZipError(`compression method ${method} is not supported (only stored and deflate)`, name);

  let size = view.getUint32(at + 24, true);
  let compressedSize = view.getUint32(at + 20, true);
  let headerOffset = view.getUint32(at + 42, true);
  if (size === 0xffffffff || compressedSize === 0xffffffff || headerOffset === 0xffffffff) {
    const zip64 = readZip64Extra(view, at + 46 + nameLength, extraLength, name);
    // The ZIP64 field holds, in this order, only the values that overflowed.
    let field = 0;
    const take = (): number => {
      if (field >= zip64.length) throw new ZipError('ZIP64 extra field is too short', name);
      return zip64[field++];
    };
    if (size === 0xffffffff) size = take();
    if (compressedSize === 0xffffffff) compressedSize = take();
    if (headerOffset === 0xffffffff) headerOffset = take();
  }
  const dataOffset = readLocalHeader(view, headerOffset, name);
  const entry: ZipEntry = { name, method, compressedSize, size, crc32: view.getUint32(at + 16, true), headerOffset, dataOffset };
  return { entry, next };
}

function readZip64Extra(view: DataView, at: number, length: number, name: string): number[] {
  const end = at + length;
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (at + 4 + size > end) break;
    if (id === 0x0001) {
      const values: number[] = [];
      for (let offset = 0; offset + 8 <= size; offset += 8) values.push(u64(view, at + 4 + offset, `entry ${name} size`));
      return values;
    }
    at += 4 + size;
  }
  throw new ZipError('sizes overflow 32 bits but there is no ZIP64 extra field', name);
}

function readLocalHeader(view: DataView, at: number, name: string): number {
  if (at + 30 > view.byteLength || view.getUint32(at, true) !== SIG_LOCAL) throw new ZipError(`no local header at ${at}`, name);
  const nameLength = view.getUint16(at + 26, true);
  const extraLength = view.getUint16(at + 28, true);
  const dataOffset = at + 30 + nameLength + extraLength;
  if (dataOffset > view.byteLength) throw new ZipError('local header runs past the end of the archive', name);
  const localName = decodeName(view, at + 30, nameLength, view.getUint16(at + 6, true));
  if (localName !== name) throw new ZipError(`local header names ${JSON.stringify(localName)}`, name);
  return dataOffset;
}

function decodeName(view: DataView, at: number, length: number, flags: number): string {
  const raw = new Uint8Array(view.buffer, view.byteOffset + at, length);
  try {
    return utf8.decode(raw);
  } catch {
    throw new ZipError(`entry name at ${at} is not valid UTF-8${flags & FLAG_UTF8 ? '' : ' (legacy code pages are not supported)'}`);
  }
}

function checkSizes(entry: ZipEntry, maxTotal: number): void {
  if (entry.size > maxTotal) throw new ZipError(`declares ${entry.size} bytes, over the ${maxTotal}-byte limit`, entry.name);
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw new ZipError(`stored entry declares ${entry.compressedSize} bytes stored but ${entry.size} bytes of content`, entry.name);
  }
  if (entry.method === 8 && entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
    throw new ZipError(`declares ${entry.size} bytes from ${entry.compressedSize} compressed, more than deflate can produce`, entry.name);
  }
}

/** Entries must lie one after another before the directory: overlapping entries are a bomb trick. */
function checkLayout(entries: ZipEntry[], directoryOffset: number): void {
  const sorted = [...entries].sort((a, b) => a.headerOffset - b.headerOffset);
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i];
    const dataEnd = entry.dataOffset + entry.compressedSize;
    const limit = i + 1 < sorted.length ? sorted[i + 1].headerOffset : directoryOffset;
    if (dataEnd > limit) {
      const what = i + 1 < sorted.length ? `overlaps entry ${JSON.stringify(sorted[i + 1].name)}` : 'runs into the central directory or past the end of the archive';
      throw new ZipError(`data [${entry.dataOffset}, ${dataEnd}) ${what}`, entry.name);
    }
  }
}
