import { access, constants } from 'node:fs/promises';
import path from 'node:path';

/** Resolves an executable on PATH, like `which`, without spawning a shell. */
export async function which(command: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/sbin', '/usr/local/sbin', '/usr/bin']) {
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
