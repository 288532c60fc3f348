import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root: the package.json that declares the workspaces, not a package's own. */
function isWorkspaceRoot(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  return existsSync(manifest) && 'workspaces' in (JSON.parse(readFileSync(manifest, 'utf8')) as object);
}

export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!isWorkspaceRoot(dir)) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test file');
    dir = parent;
  }
  return dir;
}

/**
 * Absolute path of a fixture in the read-only `../shared/fixtures` beside the checkout. Missing
 * fixtures fail the test with the expected location: a suite never skips silently.
 */
export function sharedFixture(relative: string): string {
  const full = path.resolve(repoRoot(), '..', 'shared', 'fixtures', relative);
  if (!existsSync(full)) {
    throw new Error(`fixture missing: ${full} (the ../shared folder beside the checkout holds the project's reference fixtures)`);
  }
  return full;
}
