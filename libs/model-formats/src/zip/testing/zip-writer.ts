// Builds ZIP archives for tests, laid out like PyTorch's writer (stored entries, data aligned to
// 64 bytes through a padding extra field, optional ZIP64 records), with hooks to lie in the
// central directory the way crafted archives do.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipFixtureEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Values written to the central directory instead of the true ones. */
  declare?: { size?: number; compressedSize?: number; crc32?: number };
  /** A different name in the local header. */
  localName?: string;
}

export interface ZipFixtureOptions {
  zip64?: boolean;
}

const encoder = new TextEncoder();

class Bytes {
  readonly parts: Uint8Array[] = [];
  length = 0;

  add(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.byteLength;
  }

  record(size: number, fill: (view: DataView) => void): void {
    const part = new Uint8Array(size);
    fill(new DataView(part.buffer));
    this.add(part);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.byteLength;
    }
    return out;
  }
}

export function writeZip(entries: readonly ZipFixtureEntry[], options: ZipFixtureOptions = {}): Uint8Array {
  const out = new Bytes();
  const central = new Bytes();
  for (const entry of entries) {
    const stored = entry.deflate === true ? deflateRawSync(entry.data) : entry.data;
    const localName = encoder.encode(entry.localName ?? entry.name);
    const headerOffset = out.length;
    // PyTorch pads the local extra field so that storages start on a 64-byte boundary.
    const unpadded = headerOffset + 30 + localName.byteLength + 4;
    const padding = (64 - (unpadded % 64)) % 64;
    out.record(30, (v) => {
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(4, options.zip64 === true ? 45 : 20, true);
      v.setUint16(8, entry.deflate === true ? 8 : 0, true);
      v.setUint32(14, crc32(entry.data) >>> 0, true);
      v.setUint32(18, stored.byteLength, true);
      v.setUint32(22, entry.data.byteLength, true);
      v.setUint16(26, localName.byteLength, true);
      v.setUint16(28, 4 + padding, true);
    });
    out.add(localName);
    out.record(4 + padding, (v) => {
      v.setUint16(0, 0x4246, true);
      v.setUint16(2, padding, true);
    });
    out.add(stored);

    const name = encoder.encode(entry.name);
    const size = entry.declare?.size ?? entry.data.byteLength;
    const compressedSize = entry.declare?.compressedSize ?? stored.byteLength;
    const zip64 = options.zip64 === true;
    central.record(46, (v) => {
      v.setUint32(0, 0x02014b50, true);
      v.setUint16(4, 45, true);
      v.setUint16(6, zip64 ? 45 : 20, true);
      v.setUint16(8, 0x0800, true);
      v.setUint16(10, entry.deflate === true ? 8 : 0, true);
      v.setUint32(16, entry.declare?.crc32 ?? crc32(entry.data) >>> 0, true);
      v.setUint32(20, zip64 ? 0xffffffff : compressedSize, true);
      v.setUint32(24, zip64 ? 0xffffffff : size, true);
      v.setUint16(28, name.byteLength, true);
      v.setUint16(30, zip64 ? 28 : 0, true);
      v.setUint32(42, zip64 ? 0xffffffff : headerOffset, true);
    });
    central.add(name);
    if (zip64) {
      central.record(28, (v) => {
        v.setUint16(0, 0x0001, true);
        v.setUint16(2, 24, true);
        v.setBigUint64(4, BigInt(size), true);
        v.setBigUint64(12, BigInt(compressedSize), true);
        v.setBigUint64(20, BigInt(headerOffset), true);
      });
    }
  }
  const directoryOffset = out.length;
  for (const part of central.parts) out.add(part);
  if (options.zip64 === true) {
    const record = out.length;
    out.record(56, (v) => {
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, 45, true);
      v.setUint16(14, 45, true);
      v.setBigUint64(24, BigInt(entries.length), true);
      v.setBigUint64(32, BigInt(entries.length), true);
      v.setBigUint64(40, BigInt(central.length), true);
      v.setBigUint64(48, BigInt(directoryOffset), true);
    });
    out.record(20, (v) => {
      v.setUint32(0, 0x07064b50, true);
      v.setBigUint64(8, BigInt(record), true);
      v.setUint32(16, 1, true);
    });
  }
  const zip64 = options.zip64 === true;
  out.record(22, (v) => {
    v.setUint32(0, 0x06054b50, true);
    v.setUint16(8, zip64 ? 0xffff : entries.length, true);
    v.setUint16(10, zip64 ? 0xffff : entries.length, true);
    v.setUint32(12, zip64 ? 0xffffffff : central.length, true);
    v.setUint32(16, zip64 ? 0xffffffff : directoryOffset, true);
  });
  return out.concat();
}
