import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseYaml, parseYamlDocuments } from './yaml.js';

function isWorkspaceRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  return existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object);
}

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!isWorkspaceRoot(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}

/** The repository root: the package.json that declares the workspaces (the tests run from dist/test/deploy). */
export const repoRoot = findRepoRoot();

export function repoPath(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}

export function readRepoFile(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

export function readYaml(relative: string): unknown {
  return parseYaml(readRepoFile(relative));
}

export function readYamlDocuments(relative: string): unknown[] {
  return parseYamlDocuments(readRepoFile(relative));
}

export function readJson(relative: string): unknown {
  return JSON.parse(readRepoFile(relative)) as unknown;
}

/** Files under a repository folder (relative paths, sorted), optionally filtered by extension. */
export function listRepoFiles(relativeDir: string, extensions?: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(repoPath(relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (!extensions || extensions.some((extension) => entry.name.endsWith(extension))) found.push(child);
    }
  };
  walk(relativeDir);
  return found.sort();
}
