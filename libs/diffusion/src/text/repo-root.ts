import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

function isWorkspaceRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  return existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object);
}

/** Nearest folder at or above `start` whose package.json declares the workspaces: the repository root (each package has its own package.json). */
export function findRepoRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (isWorkspaceRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json with workspaces found in ${start} or any folder above it`);
    dir = parent;
  }
}
