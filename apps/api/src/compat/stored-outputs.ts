import type { GenerationRecord } from '#libs/contracts/src/index.js';
import type { ObjectStorage } from '#libs/storage/src/object-storage.js';

/** The bytes of a generation's images, in output order (read from storage, not through URLs). */
export async function outputBytes(record: GenerationRecord, storage: ObjectStorage): Promise<Buffer[]> {
  return Promise.all([...record.outputs].sort((a, b) => a.index - b.index).map((output) => storage.get(output.key)));
}
