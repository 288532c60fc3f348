// Locating the central directory: the end-of-central-directory record, and its ZIP64 form that
// PyTorch always writes.
import { ZipError } from './zip-error.js';

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const END_SIZE = 22;
const MAX_COMMENT = 0xffff;

export interface CentralDirectory {
  offset: number;
  size: number;
  count: number;
}

export function u64(view: DataView, at: number, what: string): number {
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`${what} ${value} is too large`);
  return Number(value);
}

export function findCentralDirectory(view: DataView): CentralDirectory {
  const end = findEnd(view);
  const disk = view.getUint16(end + 4, true);
  const cdDisk = view.getUint16(end + 6, true);
  const count = view.getUint16(end + 10, true);
  const totalCount = view.getUint16(end + 8, true);
  const size = view.getUint32(end + 12, true);
  const offset = view.getUint32(end + 16, true);
  const zip64 = readZip64End(view, end);
  if (zip64 !== undefined) return zip64;
  if (disk !== 0 || cdDisk !== 0 || count !== totalCount) throw new ZipError('multi-disk archives are not supported');
  if (offset + size > end) throw new ZipError(`central directory [${offset}, ${offset + size}) runs past its end record at ${end}`);
  return { offset, size, count };
}

function findEnd(view: DataView): number {
  const last = view.byteLength - END_SIZE;
  if (last < 0) throw new ZipError('too short to be a ZIP archive');
  for (let at = last; at >= Math.max(0, last - MAX_COMMENT); at--) {
    // The comment length must reach exactly the end of the file, or this is a stray signature.
    if (view.getUint32(at, true) === SIG_END && at + END_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  throw new ZipError('no end of central directory record');
}

function readZip64End(view: DataView, end: number): CentralDirectory | undefined {
  const locator = end - 20;
  if (locator < 0 || view.getUint32(locator, true) !== SIG_END64_LOCATOR) return undefined;
  if (view.getUint32(locator + 4, true) !== 0 || view.getUint32(locator + 16, true) > 1) throw new ZipError('multi-disk archives are not supported');
  const record = u64(view, locator + 8, 'ZIP64 end record offset');
  if (record + 56 > locator || view.getUint32(record, true) !== SIG_END64) throw new ZipError(`no ZIP64 end record at ${record}`);
  if (view.getUint32(record + 16, true) !== 0 || view.getUint32(record + 20, true) !== 0) throw new ZipError('multi-disk archives are not supported');
  const count = u64(view, record + 24, 'entry count');
  if (u64(view, record + 32, 'entry count') !== count) throw new ZipError('multi-disk archives are not supported');
  const size = u64(view, record + 40, 'central directory size');
  const offset = u64(view, record + 48, 'central directory offset');
  if (offset + size > record) throw new ZipError(`central directory [${offset}, ${offset + size}) runs past the ZIP64 end record at ${record}`);
  return { offset, size, count };
}
