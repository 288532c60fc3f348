import { existsSync } from 'node:fs';
import path from 'node:path';

/** Nearest folder at or above `start` that holds a package.json: the repository root for this project. */
export function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json found in ${start} or any folder above it`);
    dir = parent;
  }
}
