import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
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
