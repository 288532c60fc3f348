import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

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

/**
 * Like writeFileAtomic, from a stream: the target appears only once every byte is on disk.
 * `beforeRename` runs after the (long) copy succeeded, so a failed stream changes nothing.
 */
export async function writeStreamAtomic(scratchDir: string, target: string, body: NodeJS.ReadableStream, beforeRename: () => Promise<void>): Promise<void> {
  await mkdir(scratchDir, { recursive: true });
  const scratch = join(scratchDir, `${randomUUID()}.tmp`);
  try {
    await pipeline(body, createWriteStream(scratch, { flags: 'wx' }));
    const handle = await open(scratch, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await beforeRename();
    await mkdir(dirname(target), { recursive: true });
    await rename(scratch, target);
  } catch (error) {
    await rm(scratch, { force: true });
    throw error;
  }
}
