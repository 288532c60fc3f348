import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeZip, type ZipFixtureEntry } from './testing/zip-writer.js';
import { ZipError } from './zip-error.js';
import { ZipArchive } from './zip-reader.js';

const text = (value: string) => new TextEncoder().encode(value);

function refused(entries: ZipFixtureEntry[], reason: RegExp, entry?: string, options: { zip64?: boolean; read?: string; maxTotalSize?: number } = {}): void {
  assert.throws(
    () => {
      const archive = ZipArchive.open(writeZip(entries, { zip64: options.zip64 }), { maxTotalSize: options.maxTotalSize });
      if (options.read !== undefined) archive.read(options.read);
    },
    (error: unknown) => {
      assert.ok(error instanceof ZipError, `expected ZipError, got ${String(error)}`);
      assert.match(error.message, reason);
      assert.equal(error.entry, entry);
      return true;
    },
  );
}

test('stored, deflated and ZIP64 entries read back exactly; stored data is a view', () => {
  const big = new Uint8Array(5000).map((_, i) => i % 7);
  for (const zip64 of [false, true]) {
    const bytes = writeZip(
      [
        { name: 'archive/data.pkl', data: text('pickle') },
        { name: 'archive/data/0', data: big },
        { name: 'archive/notes.txt', data: text('hello '.repeat(100)), deflate: true },
        { name: 'archive/empty', data: new Uint8Array(0) },
      ],
      { zip64 },
    );
    const archive = ZipArchive.open(bytes);
    assert.deepEqual([...archive.entries.keys()], ['archive/data.pkl', 'archive/data/0', 'archive/notes.txt', 'archive/empty']);
    assert.deepEqual(archive.read('archive/data/0'), big);
    assert.equal(archive.read('archive/data/0').buffer, bytes.buffer);
    assert.equal((archive.entries.get('archive/data/0')?.dataOffset ?? 1) % 64, 0, 'the local extra field is skipped');
    assert.equal(new TextDecoder().decode(archive.read('archive/notes.txt')), 'hello '.repeat(100));
    assert.equal(archive.read('archive/empty').byteLength, 0);
    assert.throws(() => archive.read('archive/missing'), /entry "archive\/missing": no such entry/);
  }
});

test('names that leave the archive are refused, naming the entry', () => {
  const data = text('x');
  refused([{ name: 'ok', data }, { name: '../evil.sh', data }], /escapes the archive/, '../evil.sh');
  refused([{ name: 'archive/../../etc/passwd', data }], /escapes the archive/, 'archive/../../etc/passwd');
  refused([{ name: '/etc/passwd', data }], /absolute path/, '/etc/passwd');
  refused([{ name: 'C:/Windows/win.ini', data }], /absolute path/, 'C:/Windows/win.ini');
  refused([{ name: 'archive\\..\\evil', data }], /backslash/, 'archive\\..\\evil');
  refused([{ name: 'a', data }, { name: 'a', data }], /appears twice/, 'a');
  refused([{ name: 'archive/data.pkl', data, localName: '../data.pkl' }], /local header names "\.\.\/data\.pkl"/, 'archive/data.pkl');
});

test('declared sizes that do not match the data, or are too large, are refused', () => {
  const data = text('0123456789');
  const squeezed = text('a'.repeat(10_000));
  refused([{ name: 'bomb', data: squeezed, deflate: true, declare: { size: 2 ** 40 } }], /declares 1099511627776 bytes, over the 68719476736-byte limit/, 'bomb', { zip64: true });
  refused([{ name: 'bomb', data: squeezed, deflate: true, declare: { size: 50_000_000 } }], /declares 50000000 bytes from \d+ compressed, more than deflate can produce/, 'bomb');
  refused([{ name: 'bomb', data: squeezed, deflate: true, declare: { size: 100 } }], /inflates past its declared 100 bytes/, 'bomb', { read: 'bomb' });
  refused([{ name: 'big', data: squeezed, deflate: true }], /declares 10000 bytes, over the 5000-byte limit/, 'big', { maxTotalSize: 5000 });
  const half = text('b'.repeat(3000));
  refused([{ name: 'one', data: half }, { name: 'two', data: half }], /declared sizes add up to more than the 5000-byte limit/, undefined, { maxTotalSize: 5000 });
  refused([{ name: 'w', data, declare: { size: 12 } }], /stored entry declares 10 bytes stored but 12 bytes of content/, 'w');
  refused([{ name: 'a', data, declare: { size: 200, compressedSize: 200 } }, { name: 'b', data }], /data \[64, 264\) overlaps entry "b"/, 'a');
  refused([{ name: 'a', data, declare: { size: 4096, compressedSize: 4096 } }], /runs into the central directory/, 'a');
  refused([{ name: 'a', data, declare: { crc32: 1234 } }], /CRC-32 does not match/, 'a', { read: 'a' });
  assert.throws(() => ZipArchive.open(text('definitely not a zip file at all')), /no end of central directory record/);
});
