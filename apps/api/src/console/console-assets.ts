import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRepoRoot } from '@atelier/diffusion';

/** The console's files, by the name the page asks for; nothing else under the folder is served. */
export const CONSOLE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'inpaint.js': 'text/javascript; charset=utf-8',
} as const;
export type ConsoleFile = keyof typeof CONSOLE_FILES;

/**
 * `apps/api/console/` is plain HTML/CSS/JS (no build step), so it is not in dist/: it is found
 * from the repository root, which holds package.json both in a checkout and in the API image.
 */
export function consoleDir(): string {
  return path.join(findRepoRoot(path.dirname(fileURLToPath(import.meta.url))), 'apps', 'api', 'console');
}

const cache = new Map<ConsoleFile, Promise<Buffer>>();

/** Read once per process; a missing file is retried on the next request rather than cached. */
export function consoleFile(name: ConsoleFile): Promise<Buffer> {
  let bytes = cache.get(name);
  if (!bytes) {
    bytes = readFile(path.join(consoleDir(), name));
    bytes.catch(() => cache.delete(name));
    cache.set(name, bytes);
  }
  return bytes;
}
