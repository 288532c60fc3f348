import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes to a uniquely named file in `scratchDir` (same filesystem as `target`), flushes it, then
 * renames it over `target`. Readers see either the old or the new content, never a partial file,
 * and concurrent writers of the same target cannot interleave bytes: the last rename wins.
 */
export async function writeFileAtomic(scratchDir: string, target: string, data: Buffer | string): Promise<void> {
  await mkdir(scratchDir, { recursive: true });
  const scratch = join(scratchDir, `${randomUUID()}.tmp`);
  try {
    const handle = await open(scratch, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(scratch, target);
  } catch (error) {
    await rm(scratch, { force: true });
    throw error;
  }
}
