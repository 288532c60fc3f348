// kohya's --save_state writes a folder (accelerate's optimizer, scheduler and RNG state); a
// checkpoint carries it as one stored ZIP, and resuming unpacks it through the safe ZipArchive
// reader, so a tampered checkpoint cannot write outside its folder.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { ZipArchive } from '@atelier/model-formats';

const encoder = new TextEncoder();
const MAX_STATE_BYTES = 64 * 1024 ** 3;

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), name)));
    else if (entry.isFile()) files.push(name);
  }
  return files.sort();
}

/** A stored (uncompressed) ZIP of every regular file under `dir`. */
export async function packDirectory(dir: string): Promise<Uint8Array> {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  const names = await listFiles(dir);
  if (names.length > 0xffff) throw new Error(`${dir} holds too many files for a state archive`);
  for (const name of names) {
    const data = new Uint8Array(await readFile(path.join(dir, ...name.split('/'))));
    if (data.byteLength >= 0xffffffff || offset >= 0xffffffff) throw new Error(`${dir} is too large for a state archive`);
    const nameBytes = encoder.encode(name);
    const checksum = crc32(data) >>> 0;
    const local = new Uint8Array(30 + nameBytes.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true);
    lv.setUint32(14, checksum, true);
    lv.setUint32(18, data.byteLength, true);
    lv.setUint32(22, data.byteLength, true);
    lv.setUint16(26, nameBytes.byteLength, true);
    local.set(nameBytes, 30);
    const central = new Uint8Array(46 + nameBytes.byteLength);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint32(16, checksum, true);
    cv.setUint32(20, data.byteLength, true);
    cv.setUint32(24, data.byteLength, true);
    cv.setUint16(28, nameBytes.byteLength, true);
    cv.setUint32(42, offset, true);
    central.set(nameBytes, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.byteLength + data.byteLength;
  }
  const directorySize = centrals.reduce((total, part) => total + part.byteLength, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, names.length, true);
  ev.setUint16(10, names.length, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + directorySize + end.byteLength);
  let cursor = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, cursor);
    cursor += part.byteLength;
  }
  return out;
}

/** Writes the archive's files under `dir` (names are checked by ZipArchive: no "..", no absolute paths). */
export async function unpackDirectory(bytes: Uint8Array, dir: string): Promise<void> {
  const archive = ZipArchive.open(bytes, { maxEntries: 10_000, maxTotalSize: MAX_STATE_BYTES });
  const root = path.resolve(dir);
  for (const name of archive.entries.keys()) {
    if (name.endsWith('/')) continue;
    const target = path.resolve(root, ...name.split('/'));
    if (!target.startsWith(root + path.sep)) throw new Error(`state archive entry ${name} leaves its folder`);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, archive.read(name));
  }
}
