// The files of a dataset, from a ZIP held in memory or from a folder, with the archive-level
// defences applied before anything is decoded: entry count, total size, compression ratio, no
// path traversal (ZipArchive refuses such names), no symbolic links out of a folder.
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ZipArchive, ZipError } from '@atelier/model-formats';
import { WHOLE_DATASET, type DatasetProblem } from './dataset-error.js';
import type { DatasetOptions } from './dataset-options.js';

export interface DatasetEntry {
  /** '/'-separated path relative to the archive or folder root. */
  readonly name: string;
  readonly size: number;
  read(): Promise<Uint8Array>;
}

export type DatasetSource = { readonly kind: 'zip'; readonly bytes: Uint8Array } | { readonly kind: 'folder'; readonly path: string };

type Limits = Pick<DatasetOptions, 'maxEntries' | 'maxTotalBytes' | 'maxCompressionRatio'>;

const RATIO_CHECK_BYTES = 1024 ** 2;
const MAX_DEPTH = 16;

/** Files every OS sprinkles into folders and archives; never training data. */
export function isJunk(name: string): boolean {
  const segments = name.split('/');
  const base = segments[segments.length - 1];
  return segments.includes('__MACOSX') || base.startsWith('.') || base === 'Thumbs.db' || base === 'desktop.ini';
}

export async function listDatasetEntries(source: DatasetSource, limits: Limits, problems: DatasetProblem[]): Promise<DatasetEntry[]> {
  return source.kind === 'zip' ? zipEntries(source.bytes, limits, problems) : folderEntries(source.path, limits, problems);
}

function zipEntries(bytes: Uint8Array, limits: Limits, problems: DatasetProblem[]): DatasetEntry[] {
  let archive: ZipArchive;
  try {
    archive = ZipArchive.open(bytes, { maxEntries: limits.maxEntries, maxTotalSize: limits.maxTotalBytes });
  } catch (error) {
    if (!(error instanceof ZipError)) throw error;
    problems.push({ file: error.entry ?? WHOLE_DATASET, reason: `unsafe or corrupt archive: ${error.reason}` });
    return [];
  }
  const entries: DatasetEntry[] = [];
  for (const entry of archive.entries.values()) {
    if (entry.name.endsWith('/') || isJunk(entry.name)) continue;
    const ratio = entry.size / Math.max(entry.compressedSize, 1);
    if (entry.size > RATIO_CHECK_BYTES && ratio > limits.maxCompressionRatio) {
      problems.push({ file: entry.name, reason: `compression ratio ${ratio.toFixed(0)}:1 exceeds ${limits.maxCompressionRatio}:1 (zip bomb?)` });
      continue;
    }
    entries.push({
      name: entry.name,
      size: entry.size,
      read: async () => {
        try {
          return archive.read(entry.name);
        } catch (error) {
          if (error instanceof ZipError) throw new Error(error.reason, { cause: error });
          throw error;
        }
      },
    });
  }
  return entries;
}

async function folderEntries(root: string, limits: Limits, problems: DatasetProblem[]): Promise<DatasetEntry[]> {
  const entries: DatasetEntry[] = [];
  let seen = 0;
  let total = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<boolean> => {
    let children;
    try {
      children = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      problems.push({ file: prefix || WHOLE_DATASET, reason: `cannot read folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      return true;
    }
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const name = prefix === '' ? child.name : `${prefix}/${child.name}`;
      if (++seen > limits.maxEntries) {
        problems.push({ file: WHOLE_DATASET, reason: `more than ${limits.maxEntries} entries` });
        return false;
      }
      if (isJunk(name)) continue;
      const full = path.join(dir, child.name);
      const info = await lstat(full);
      if (info.isSymbolicLink()) {
        problems.push({ file: name, reason: 'symbolic links are not followed' });
      } else if (info.isDirectory()) {
        if (depth >= MAX_DEPTH) problems.push({ file: name, reason: `folders nested deeper than ${MAX_DEPTH} levels` });
        else if (!(await walk(full, name, depth + 1))) return false;
      } else if (info.isFile()) {
        total += info.size;
        if (total > limits.maxTotalBytes) {
          problems.push({ file: WHOLE_DATASET, reason: `files add up to more than ${limits.maxTotalBytes} bytes` });
          return false;
        }
        entries.push({ name, size: info.size, read: async () => new Uint8Array(await readFile(full)) });
      } else {
        problems.push({ file: name, reason: 'not a regular file' });
      }
    }
    return true;
  };
  await walk(path.resolve(root), '', 0);
  return entries;
}
