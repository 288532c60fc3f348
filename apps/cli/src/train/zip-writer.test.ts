import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createZip } from './zip-writer.js';

interface ReadEntry {
  readonly name: string;
  readonly crc: number;
  readonly data: Buffer;
  readonly flags: number;
  readonly method: number;
}

/** An independent reader of what the spec says: end record → central directory → local headers. */
function readZip(zip: Buffer): ReadEntry[] {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory signature');
  const count = zip.readUInt16LE(end + 10);
  let cursor = zip.readUInt32LE(end + 16);
  assert.equal(cursor + zip.readUInt32LE(end + 12), end, 'central directory ends where the end record starts');
  const entries: ReadEntry[] = [];
  for (let index = 0; index < count; index++) {
    assert.equal(zip.readUInt32LE(cursor), 0x02014b50, 'central header signature');
    const nameLength = zip.readUInt16LE(cursor + 28);
    const name = zip.subarray(cursor + 46, cursor + 46 + nameLength).toString('utf8');
    const localOffset = zip.readUInt32LE(cursor + 42);
    const crc = zip.readUInt32LE(cursor + 16);
    assert.equal(zip.readUInt32LE(localOffset), 0x04034b50, 'local header signature');
    assert.equal(zip.readUInt32LE(localOffset + 14), crc, 'local and central CRC agree');
    const size = zip.readUInt32LE(localOffset + 22);
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    entries.push({ name, crc, data: zip.subarray(dataStart, dataStart + size), flags: zip.readUInt16LE(localOffset + 6), method: zip.readUInt16LE(localOffset + 8) });
    cursor += 46 + nameLength + zip.readUInt16LE(cursor + 30) + zip.readUInt16LE(cursor + 32);
  }
  return entries;
}

describe('ZIP writer (stored entries)', () => {
  it('writes entries a reader finds with their names, bytes and CRC-32', () => {
    const zip = createZip([
      { name: 'hello.txt', data: Buffer.from('hello') },
      { name: 'images/ünïcode.png', data: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]) },
      { name: 'empty.txt', data: new Uint8Array(0) },
    ]);
    const entries = readZip(zip);
    assert.deepEqual(
      entries.map((entry) => entry.name),
      ['hello.txt', 'images/ünïcode.png', 'empty.txt'],
    );
    assert.equal(entries[0].crc, 0x3610a686, 'CRC-32 of "hello"');
    assert.equal(entries[0].data.toString(), 'hello');
    assert.deepEqual([...entries[1].data], [0x89, 0x50, 0x4e, 0x47, 0, 255]);
    assert.equal(entries[2].crc, 0);
    assert.ok(entries.every((entry) => entry.method === 0 && (entry.flags & 0x0800) !== 0), 'stored, UTF-8 names');
  });

  it('writes an empty archive as just the end record', () => {
    const zip = createZip([]);
    assert.equal(zip.length, 22);
    assert.deepEqual(readZip(zip), []);
  });

  it('refuses paths that would escape or confuse an extractor', () => {
    for (const name of ['/etc/passwd', '../x.png', 'a/../../x', 'a\\b.png', '', 'a//b']) {
      assert.throws(() => createZip([{ name, data: new Uint8Array(1) }]), /invalid archive path/, name);
    }
  });

  it('stores DOS date and time from the modification time', () => {
    const zip = createZip([{ name: 'a', data: new Uint8Array(1), modified: new Date(2024, 4, 17, 13, 45, 31) }]);
    assert.equal(zip.readUInt16LE(10), (13 << 11) | (45 << 5) | 15);
    assert.equal(zip.readUInt16LE(12), ((2024 - 1980) << 9) | (5 << 5) | 17);
  });
});
