import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStorage } from '@atelier/storage';
import { InvalidModelError } from './model-folder.js';

const SYNC_RECORD = '.atelier-sync.json';
const CHECKSUMS_FILE = 'SHA256SUMS';

interface SyncRecord {
  readonly files: Record<string, { readonly sha256: string; readonly size: number; readonly lazy?: boolean }>;
}

/** Weight files are fetched on first use in lazy mode; everything else (configs, tokenizers) at once. */
export const WEIGHT_FILE = /(^|\/)(model\.onnx|model\.onnx_data|model\.onnx\.data|weights\.pb)$/;
export const REMOTE_MARKER_SUFFIX = '.remote.json';

export interface RemoteMarker {
  readonly key: string;
  readonly sha256: string | null;
}

export interface RemoteModelLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Parses `sha256sum` output: `<hex>  <path>` per line (a `*` before the path marks binary mode). */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/i.exec(line.trim());
    if (match) sums.set(match[2].replace(/^\.\//, ''), match[1].toLowerCase());
  }
  return sums;
}

async function downloadHashed(storage: ObjectStorage, key: string, file: string): Promise<{ sha256: string; size: number }> {
  await mkdir(path.dirname(file), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(await storage.openReadStream(key), tap, createWriteStream(file));
  return { sha256: hash.digest('hex'), size };
}

async function cachedCopyIsComplete(dir: string, remoteFiles: readonly string[]): Promise<boolean> {
  try {
    const record = JSON.parse(await readFile(path.join(dir, SYNC_RECORD), 'utf8')) as SyncRecord;
    const names = Object.keys(record.files).sort();
    if (names.join('\n') !== [...remoteFiles].sort().join('\n')) return false;
    for (const name of names) {
      const entry = record.files[name];
      if (entry.lazy) {
        // A weight fetched on first use: either its marker or the verified file is there.
        const present = await stat(path.join(dir, name)).then(() => true, () => false);
        if (!present) await stat(path.join(dir, `${name}${REMOTE_MARKER_SUFFIX}`));
        continue;
      }
      if ((await stat(path.join(dir, name))).size !== entry.size) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Model folders kept in object storage under `prefix/<model id>/…` are downloaded once into
 * `cacheDir/<model id>`, streamed (weights can be gigabytes) and hashed on the way. When the folder
 * holds a `SHA256SUMS` file, every file must match it or the model is refused; the cached copy
 * is reused as long as the remote file list and the local sizes still agree.
 */
export async function syncRemoteModels(
  storage: ObjectStorage,
  prefix: string,
  cacheDir: string,
  log: RemoteModelLog,
  options: { lazyWeights?: boolean } = {},
): Promise<Array<{ id: string; dir: string }>> {
  const normalized = prefix.replace(/\/+$/, '');
  const keys = await storage.list(`${normalized}/`);
  const byModel = new Map<string, string[]>();
  for (const key of keys) {
    const [id, ...rest] = key.slice(normalized.length + 1).split('/');
    if (!id || rest.length === 0) continue;
    byModel.set(id, [...(byModel.get(id) ?? []), rest.join('/')]);
  }
  const synced: Array<{ id: string; dir: string }> = [];
  for (const [id, files] of byModel) {
    const dir = path.join(cacheDir, id);
    try {
      if (!(await cachedCopyIsComplete(dir, files))) await downloadModel(storage, `${normalized}/${id}`, files, dir, log, options.lazyWeights ?? false);
      synced.push({ id, dir });
    } catch (error) {
      log.warn(`remote model ${id} refused: ${(error as Error).message}`);
    }
  }
  return synced;
}

async function downloadModel(storage: ObjectStorage, keyPrefix: string, files: readonly string[], dir: string, log: RemoteModelLog, lazyWeights: boolean): Promise<void> {
  const staging = `${dir}.download-${process.pid}-${Date.now()}`;
  log.info(`downloading model ${path.basename(dir)} (${files.length} files${lazyWeights ? ', weights on first use' : ''}) from ${storage.describe()}`);
  try {
    const record: SyncRecord = { files: {} };
    const hashes = record.files as Record<string, { sha256: string; size: number; lazy?: boolean }>;
    const lazy = (name: string): boolean => lazyWeights && WEIGHT_FILE.test(name);
    for (const name of files) if (!lazy(name)) hashes[name] = await downloadHashed(storage, `${keyPrefix}/${name}`, path.join(staging, name));
    const expected = files.includes(CHECKSUMS_FILE) ? parseChecksums(await readFile(path.join(staging, CHECKSUMS_FILE), 'utf8')) : new Map<string, string>();
    for (const name of files) {
      if (!lazy(name)) continue;
      const marker: RemoteMarker = { key: `${keyPrefix}/${name}`, sha256: expected.get(name) ?? null };
      await mkdir(path.dirname(path.join(staging, name)), { recursive: true });
      await writeFile(path.join(staging, `${name}${REMOTE_MARKER_SUFFIX}`), JSON.stringify(marker));
      hashes[name] = { sha256: marker.sha256 ?? '', size: 0, lazy: true };
    }
    for (const [name, sha256] of expected) {
      const actual = hashes[name];
      if (!actual) throw new InvalidModelError(dir, `${name} is listed in ${CHECKSUMS_FILE} but missing`);
      if (!actual.lazy && actual.sha256 !== sha256) throw new InvalidModelError(dir, `${name}: sha256 ${actual.sha256} does not match ${CHECKSUMS_FILE} (${sha256})`);
    }
    await writeFile(path.join(staging, SYNC_RECORD), JSON.stringify(record, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
